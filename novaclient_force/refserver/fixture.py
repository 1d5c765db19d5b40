"""A ``fixtures.Fixture`` that runs the reference server for a test.

It starts ``python -m novaclient_force.refserver`` (what the console
script runs) on 127.0.0.1 with a free port, waits for its ``listening on``
line, and writes a clouds.yaml into a temporary directory. ``kill()`` and
``start()`` let outage tests stop it hard and bring it back on the same
port with the same arguments (and state, given ``state_file``).
"""

import os
import re
import signal
import subprocess
import sys
import time

import fixtures

_LISTENING = re.compile(r'^listening on (http://[^\s:]+:(\d+))$')
START_TIMEOUT = 30.0


class RefServerError(Exception):
    pass


class RefServer(fixtures.Fixture):
    def __init__(self, scenario='stuck-migration', servers=None,
                 time_scale=1.0, max_microversion=None, policy_file=None,
                 state_file=None, notifications_file=None, extra_args=()):
        super().__init__()
        self.scenario = scenario
        self.servers = servers
        self.time_scale = time_scale
        self.max_microversion = max_microversion
        self.policy_file = policy_file
        self.state_file = state_file
        self.notifications_file = notifications_file
        self.extra_args = tuple(extra_args)
        self.port = 0
        self.process = None
        self.url = None

    def _setUp(self):
        self._sessions = {}
        self.tempdir = self.useFixture(fixtures.TempDir()).path
        self.clouds_yaml = os.path.join(self.tempdir, 'clouds.yaml')
        self.log_path = os.path.join(self.tempdir, 'refserver.log')
        self.addCleanup(self.stop)
        self.start()

    @property
    def auth_url(self):
        return self.url + '/identity'

    @property
    def compute_url(self):
        return self.url + '/compute/v2.1'

    def _command(self):
        command = [sys.executable, '-m', 'novaclient_force.refserver',
                   '--bind', '127.0.0.1', '--port', str(self.port),
                   '--scenario', self.scenario,
                   '--time-scale', repr(float(self.time_scale)),
                   '--clouds-yaml', self.clouds_yaml]
        for option, value in (('--servers', self.servers),
                              ('--max-microversion', self.max_microversion),
                              ('--policy-file', self.policy_file),
                              ('--state', self.state_file),
                              ('--notifications', self.notifications_file)):
            if value is not None:
                command += [option, str(value)]
        return command + list(self.extra_args)

    def start(self):
        """Start (or restart, on the same port) the server process."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with open(self.log_path, 'ab') as log:
                self.process = subprocess.Popen(
                    self._command(), stdout=subprocess.PIPE, stderr=log,
                    stdin=subprocess.DEVNULL)
            line = self.process.stdout.readline().decode('utf-8').strip()
            match = _LISTENING.match(line)
            if match:
                break
            self.process.wait()
            # A restart can race the old socket's release: try again.
            if self.port and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise RefServerError('reference server did not start: %s'
                                 % self._log_tail())
        self.url = match.group(1)
        self.port = int(match.group(2))

    def _log_tail(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as log:
            return ' | '.join(log.read().strip().splitlines()[-5:])

    def kill(self):
        """SIGKILL: nothing gets a chance to flush or clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_pipe()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipe()

    def _close_pipe(self):
        if self.process and self.process.stdout:
            self.process.stdout.close()

    def env(self, cloud='refserver-admin'):
        """os.environ without OS_* plus this server's clouds.yaml."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('OS_')}
        env['OS_CLIENT_CONFIG_FILE'] = self.clouds_yaml
        env['OS_CLOUD'] = cloud
        return env

    def get(self, path, version='2.80', username='admin', project='admin'):
        """The JSON body of ``GET <compute_url><path>`` as ``username``.

        For checking what the cloud did, independently of the client under
        test; anything but a 200 raises. One session per user is kept, so
        repeated checks authenticate once.
        """
        key = (username, project)
        if key not in self._sessions:
            self._sessions[key] = self.session(username, project)
        resp = self._sessions[key].get(
            self.compute_url + path, raise_exc=False,
            headers={'OpenStack-API-Version': 'compute %s' % version})
        if resp.status_code != 200:
            raise RefServerError('GET %s answered %d: %s' % (
                path, resp.status_code, resp.text))
        return resp.json()

    def session(self, username='admin', project='admin'):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        auth = v3.Password(
            auth_url=self.auth_url, username=username, password='secret',
            project_name=project, user_domain_id='default',
            project_domain_id='default')
        return ks_session.Session(auth=auth)

