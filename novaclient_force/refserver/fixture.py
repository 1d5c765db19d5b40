"""A ``fixtures.Fixture`` that runs the reference server for a test.

By default it starts ``python -m novaclient_force.refserver`` (what the
console script runs) on 127.0.0.1 with a free port, waits for its
``listening on`` line, and writes a clouds.yaml into a temporary
directory. With ``in_process=True`` it serves the same application from a
thread of the test process instead: no process to start, the same URLs,
options and control API. ``kill()`` and ``start()`` let outage tests stop
it hard and bring it back on the same port with the same arguments (and
state, given ``state_file``).

The other methods drive the control API under ``/_refserver/``
(``doc/source/control-api.rst``): reset, the simulated clock, making a
migration converge, stall or fail, injected faults, the requests received
and each migration's ground truth.
"""

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time

import fixtures

_LISTENING = re.compile(r'^listening on (http://[^\s:]+:(\d+))$')
START_TIMEOUT = 30.0


class RefServerError(Exception):
    pass


class RefServer(fixtures.Fixture):
    def __init__(self, scenario='stuck-migration', servers=None,
                 time_scale=1.0, max_microversion=None, policy_file=None,
                 state_file=None, notifications_file=None, extra_args=(),
                 in_process=False, max_concurrent_live_migrations=None,
                 token_expiration=None):
        super().__init__()
        self.in_process = in_process
        self.max_concurrent_live_migrations = max_concurrent_live_migrations
        self._server = self._store = self._thread = None
        self.scenario = scenario
        self.servers = servers
        self.time_scale = time_scale
        self.max_microversion = max_microversion
        self.policy_file = policy_file
        self.state_file = state_file
        self.notifications_file = notifications_file
        self.token_expiration = token_expiration
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
        return f"{self.url}/identity"

    @property
    def compute_url(self):
        return f"{self.url}/compute/v2.1"

    def _command(self):
        return [sys.executable, '-m', 'novaclient_force.refserver',
                *self._arguments()]

    def _arguments(self):
        command = ['--bind', '127.0.0.1', '--port', str(self.port),
                   '--scenario', self.scenario,
                   '--time-scale', repr(float(self.time_scale)),
                   '--clouds-yaml', self.clouds_yaml]
        for option, value in (('--servers', self.servers),
                              ('--max-concurrent-live-migrations',
                               self.max_concurrent_live_migrations),
                              ('--max-microversion', self.max_microversion),
                              ('--policy-file', self.policy_file),
                              ('--state', self.state_file),
                              ('--notifications', self.notifications_file),
                              ('--token-expiration', self.token_expiration)):
            if value is not None:
                command += [option, str(value)]
        return command + list(self.extra_args)

    def start(self):
        """Start (or restart, on the same port) the server."""
        if self.in_process:
            self._start_thread()
        else:
            self._start_process()

    def _start_thread(self):
        from novaclient_force.refserver import cli, clouds
        from novaclient_force.refserver.edge import httpserver

        self._log_to_file()
        try:
            args = cli.parser().parse_args(self._arguments())
        except SystemExit:
            # argparse has printed its one-line error to stderr.
            raise RefServerError('reference server did not start: bad '
                                 f'options {self._arguments()}') from None
        try:
            app, self._store = cli._build(args)
        except ValueError as error:
            raise RefServerError(
                f'reference server did not start: {error}') from None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self._server = httpserver.make_server(
                    '127.0.0.1', self.port, app)
                break
            except OSError as error:
                # A restart can race the old socket's release.
                if not self.port or time.monotonic() > deadline:
                    self._store.close()
                    raise RefServerError('reference server did not '
                                         f'start: {error}') from None
                time.sleep(0.1)
        self.port = self._server.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        clouds.write(self.clouds_yaml, self.auth_url)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
            name=f'refserver-{self.port}', daemon=True)
        self._thread.start()

    def _log_to_file(self):
        """Server logs go to ``log_path``, as a process's stderr would."""
        if getattr(self, '_log_handler', None):
            return
        logger = logging.getLogger('novaclient_force.refserver')
        handler = logging.FileHandler(self.log_path, encoding='utf-8')
        handler.setFormatter(logging.Formatter(
            '%(asctime)s %(levelname)s %(name)s %(message)s'))
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        self._log_handler = handler

        def restore():
            logger.removeHandler(handler)
            logger.setLevel(level)
            handler.close()
            self._log_handler = None

        self.addCleanup(restore)

    def _stop_thread(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._store.close()
            self._server = self._store = self._thread = None

    def _start_process(self):
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
            raise RefServerError(
                f'reference server did not start: {self._log_tail()}')
        self.url = match.group(1)
        self.port = int(match.group(2))

    def _log_tail(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as log:
            return ' | '.join(log.read().strip().splitlines()[-5:])

    def kill(self):
        """SIGKILL: nothing gets a chance to flush or clean up (in
        process: the listening socket and every connection are closed at
        once)."""
        self._stop_thread()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_pipe()

    def stop(self):
        self._stop_thread()
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
            headers={'OpenStack-API-Version': f'compute {version}'})
        if resp.status_code != 200:
            raise RefServerError(
                f'GET {path} answered {resp.status_code}: {resp.text}')
        return resp.json()

    def session(self, username='admin', project='admin'):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        auth = v3.Password(
            auth_url=self.auth_url, username=username, password='secret',
            project_name=project, user_domain_id='default',
            project_domain_id='default')
        return ks_session.Session(auth=auth)


    # -- control API (doc/source/control-api.rst) ---------------------------

    def control(self, method, path, body=None):
        """The JSON answer of the control API at ``/_refserver/<path>``;
        an error answer raises :class:`RefServerError` with its message."""
        import requests

        if getattr(self, '_control_session', None) is None:
            self._control_session = requests.Session()
            self.addCleanup(self._control_session.close)
        resp = self._control_session.request(
            method, f'{self.url}/_refserver/{path}', json=body,
            timeout=60)
        data = resp.json()
        if resp.status_code >= 400:
            raise RefServerError(
                f'{method} /_refserver/{path} answered {resp.status_code}: '
                f"{data['error']['message']}")
        return data

    def reset(self):
        """Back to the scenario; faults and the request log are cleared."""
        self.control('POST', 'reset')

    def clock(self):
        """``{'time': <virtual Unix time>, 'time_scale': <scale>}``."""
        return self.control('GET', 'clock')['clock']

    def advance_clock(self, seconds):
        """Move simulated time ``seconds`` forward, at once."""
        return self.control('POST', 'clock', {'advance': seconds})['clock']

    def set_time_scale(self, scale):
        """Simulated seconds per real second from now on (kept for a
        restart by ``start()``)."""
        clock = self.control('POST', 'clock', {'time_scale': scale})
        self.time_scale = scale
        return clock['clock']

    def converge_migration(self, migration):
        """The guest stops dirtying memory: the copy ends unaided."""
        return self.control('POST', f'migrations/{migration}/converge'
                            )['migration']

    def stall_migration(self, migration):
        """The guest dirties memory as fast as the link copies it: the
        migration never converges unaided."""
        return self.control('POST', f'migrations/{migration}/stall'
                            )['migration']

    def fail_migration(self, migration, status='failed', message=None):
        """End the migration as Nova ends a failed one: ``failed`` (the
        libvirt job failed, or pre_live_migration did) or ``error`` (the
        driver raised; the server goes to ERROR)."""
        body = {'status': status}
        if message is not None:
            body['message'] = message
        return self.control('POST', f'migrations/{migration}/fail',
                            body)['migration']

    def keep_host(self, server):
        """The server's next live migration completes, but its host stays
        the source (``instance.host`` never updated)."""
        return self.control('POST', f'servers/{server}/keep-host')['server']

    def migration_truth(self, migration):
        """One migration's status and ground truth (guest pause, bytes)."""
        return self.control('GET', f'migrations/{migration}')['migration']

    def migrations_truth(self):
        return self.control('GET', 'migrations')['migrations']

    def inject_fault(self, path, method=None, times=1, status=None,
                     delay=None, drop=None, message=None):
        """Fault the next ``times`` requests whose path matches the
        regular expression ``path``: answer ``status``, hold the answer
        ``delay`` seconds, and/or ``drop`` the connection ('before' or
        'after' the request is applied)."""
        body = {'path': path, 'times': times}
        for name, value in (('method', method), ('status', status),
                            ('delay', delay), ('drop', drop),
                            ('message', message)):
            if value is not None:
                body[name] = value
        return self.control('POST', 'faults', body)['fault']

    def faults(self):
        """The injected faults still to apply (with their ``times`` left)."""
        return self.control('GET', 'faults')['faults']

    def clear_faults(self):
        self.control('DELETE', 'faults')

    def requests(self, since=0):
        """Requests received after seq ``since``, oldest first: dicts with
        seq, method, path, status, microversion, started_at, duration,
        fault."""
        return self.control('GET', f'requests?since={int(since)}')['requests']

    def clear_requests(self):
        self.control('DELETE', 'requests')
