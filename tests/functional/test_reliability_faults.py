"""Faults an operator meets mid-incident, injected for real over loopback.

The reference server runs as a process (``fixture.RefServer``); the real
``openstack`` and ``nova`` programs run against it. Outages are real:
``kill -9`` of the server, a port nobody listens on, a host name that
does not resolve, TLS spoken to a plain-HTTP port. Server errors and hung
answers come from ``FaultProxy``, a small HTTP proxy in front of the
reference server that passes requests through untouched unless a rule
matches. Each test checks what the operator sees (exit status, one line,
no traceback) and, through the API, what really happened in the cloud.
"""

import http.client
import http.server
import os
import re
import socket
import socketserver
import subprocess
import threading
import time

import fixtures
import testtools
import yaml

from novaclient_force.refserver import fixture
from tests.functional import test_nova_cli, test_osc_cli

COMMAND = test_osc_cli.COMMAND
NOVA_COMMAND = 'live-migration-force-complete'
ACTION = re.compile(r'/compute/v2\.1/servers/[^/]+/migrations/\d+/action$')
COMPUTE_READ = re.compile(r'/compute/v2\.1/')
EXIT_ERROR, EXIT_TIMED_OUT, EXIT_UNREACHABLE, EXIT_SERVICE = 1, 5, 6, 7
DEPRECATION = test_nova_cli.DEPRECATION
# How long a hung answer is held before the proxy gives up on the client.
HANG = 30.0


def free_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _relay(self):
        proxy = self.server.proxy
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        action = proxy.seen(self.command, self.path)
        if action in ('500', '503'):
            return self._answer(int(action))
        upstream = http.client.HTTPConnection('127.0.0.1', proxy.port,
                                              timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() != 'connection'}
        upstream.request(self.command, self.path, body=body,
                         headers=headers)
        resp = upstream.getresponse()
        data = resp.read()
        upstream.close()
        if action == 'hang':
            # Forwarded and applied upstream, but the answer never comes.
            proxy.release.wait(HANG)
            self.close_connection = True
            return
        self.send_response(resp.status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() not in ('connection', 'transfer-encoding',
                                    'content-length'):
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, status):
        name = {500: 'computeFault', 503: 'serviceUnavailable'}[status]
        data = ('{"%s": {"code": %d, "message": "injected"}}'
                % (name, status)).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _relay

    def log_message(self, *args):
        pass


class _ThreadedServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of a reference server.

    ``rules`` is a list of (method, path regex, action, times): the first
    ``times`` matching requests (None: all) get the action, '500' or '503'
    (an error answer, not forwarded) or 'hang' (forwarded, so applied,
    but never answered). ``log`` holds (method, path) of every request.
    The Host header goes through untouched, so the reference server's
    service catalog sends clients back through the proxy.
    """

    def __init__(self, upstream_port):
        self.port = upstream_port
        self.rules = []
        self.log = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.server = _ThreadedServer(('127.0.0.1', 0), _ProxyHandler)
        self.server.proxy = self
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def seen(self, method, path):
        with self._lock:
            self.log.append((method, path))
            for rule in self.rules:
                rule_method, pattern, action, times = rule
                if method == rule_method and pattern.search(path):
                    if times is not None:
                        if times <= 0:
                            continue
                        rule[3] = times - 1
                    return action
        return None

    def add(self, method, pattern, action, times=None):
        self.rules.append([method, re.compile(pattern), action, times])

    def count(self, method, pattern):
        return sum(1 for m, p in self.log
                   if m == method and re.search(pattern, p))


class FaultTest(testtools.TestCase):
    """A reference server, clients for it, and the checks every test
    makes on what the operator sees."""

    scenario = 'stuck-migration'
    time_scale = 1.0
    state = False

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        state_file = (os.path.join(self.tmp, 'state.sqlite')
                      if self.state else None)
        self.cloud = self.useFixture(fixture.RefServer(
            scenario=self.scenario, time_scale=self.time_scale,
            state_file=state_file))
        self.base = self.cloud.url

    # -- clients --------------------------------------------------------

    def clouds_yaml(self, base, **extra):
        """A clouds.yaml for admin at ``base`` (plus cloud options)."""
        with open(self.cloud.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        cloud = clouds['clouds']['refserver-admin']
        cloud['auth']['auth_url'] = base + '/identity'
        cloud.update(extra)
        path = os.path.join(self.tmp, 'clouds-%d.yaml' % len(
            os.listdir(self.tmp)))
        with open(path, 'w') as f:
            yaml.safe_dump(clouds, f)
        return path

    def openstack_env(self, base=None, **extra):
        env = self.cloud.env()
        env['OS_CLIENT_CONFIG_FILE'] = self.clouds_yaml(
            base or self.base, **extra)
        return env

    def nova_env(self, base=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_AUTH_URL=(base or self.base) + '/identity',
                   OS_USERNAME='admin', OS_PASSWORD='secret',
                   OS_PROJECT_NAME='admin', OS_USER_DOMAIN_ID='default',
                   OS_PROJECT_DOMAIN_ID='default',
                   OS_REGION_NAME='RegionOne')
        return env

    def openstack(self, *argv, env=None, timeout=120):
        done = subprocess.run(
            [test_osc_cli.openstack_program(), *argv],
            env=env or self.openstack_env(), capture_output=True,
            text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr.splitlines()

    def nova(self, *argv, env=None, timeout=120):
        done = subprocess.run(
            [test_nova_cli.NOVA, *argv], env=env or self.nova_env(),
            capture_output=True, text=True, timeout=timeout)
        err = [line for line in done.stderr.splitlines()
               if not line.startswith(DEPRECATION)]
        return done.returncode, done.stdout, err

    # -- what the cloud did ----------------------------------------------

    def compute_get(self, path):
        return self.cloud.get(path)

    def server_id(self, name):
        [server] = self.compute_get(
            '/servers?all_tenants=1&name=^%s$' % name)['servers']
        return server['id']

    def force_completes(self, name):
        actions = self.compute_get('/servers/%s/os-instance-actions'
                                   % self.server_id(name))
        return [a for a in actions['instanceActions']
                if a['action'] == 'live_migration_force_complete']

    def migration_status(self, migration_id):
        rows = self.compute_get('/os-migrations')['migrations']
        return {r['id']: r['status'] for r in rows}[migration_id]

    # -- what the operator sees ------------------------------------------

    def assertOneLineError(self, result, exit_code, *words):
        code, out, err = result
        self.assertEqual(exit_code, code, (out, err))
        self.assertEqual(1, len(err), err)
        for word in words:
            self.assertIn(word, err[0])
        self.assertNotIn('Traceback', '\n'.join(err) + out)


    def assertNovaReports(self, result, endpoint):
        """python-novaclient's own report: one ``ERROR (Kind): ...`` line
        naming the URL, exit 1, a traceback only with --debug.
        keystoneauth may log one warning line before it."""
        code, out, err = result
        self.assertEqual(EXIT_ERROR, code, err)
        errors = [line for line in err if line.startswith('ERROR (')]
        self.assertEqual(1, len(errors), err)
        self.assertIn(endpoint, errors[0])
        self.assertLessEqual(len(err), 2, err)
        self.assertNotIn('Traceback', '\n'.join(err) + out)


class TestUnreachableCloud(FaultTest):
    """Nothing answers at the auth URL: refused, unresolvable, or TLS
    spoken to a plain-HTTP port. Exit 6 and one line naming it."""

    def bases(self):
        return [('http://127.0.0.1:%d' % free_port(), 'Connection refused'),
                ('http://refserver.invalid:%d' % self.cloud.port,
                 'refserver.invalid'),
                (self.base.replace('http://', 'https://'), 'TLS')]

    def test_openstack(self):
        for base, words in self.bases():
            result = self.openstack(*COMMAND, 'busy-vm',
                                    env=self.openstack_env(base))
            self.assertOneLineError(result, EXIT_UNREACHABLE, base, words)

    def test_nova(self):
        """nova authenticates and discovers the version before running
        any command, in python-novaclient's own code, which reports the
        failure its way (``ERROR (DiscoveryFailure): ...``, exit 1)."""
        for base, _ in self.bases():
            self.assertNovaReports(self.nova(
                NOVA_COMMAND, 'busy-vm', env=self.nova_env(base)), base)


class TestUnreachableCompute(FaultTest):
    """Keystone answers; the compute endpoint does not."""

    def overrides(self):
        return ['http://127.0.0.1:%d' % free_port(),
                'http://refserver.invalid:%d' % self.cloud.port,
                self.base.replace('http://', 'https://')]

    def test_openstack(self):
        for base in self.overrides():
            env = self.openstack_env(
                compute_endpoint_override=base + '/compute/v2.1')
            result = self.openstack(*COMMAND, 'busy-vm', env=env)
            self.assertOneLineError(result, EXIT_UNREACHABLE, base,
                                    'check')
        self.assertEqual([], self.force_completes('busy-vm'))

    def test_nova(self):
        """nova GETs the compute version document itself before any
        command runs (even with a pinned version), so here too it is
        python-novaclient that reports the failure."""
        for base in self.overrides():
            self.assertNovaReports(self.nova(
                '--os-endpoint-override', base + '/compute/v2.1',
                NOVA_COMMAND, 'busy-vm'), base)
        self.assertEqual([], self.force_completes('busy-vm'))


class ProxiedTest(FaultTest):

    def setUp(self):
        super().setUp()
        self.proxy = FaultProxy(self.cloud.port)
        self.addCleanup(self.proxy.close)
        self.base = self.proxy.url


class TestServerErrors(ProxiedTest):
    """500 and 503 answers from the compute API."""

    time_scale = 4.0

    def test_500_on_force_complete(self):
        self.proxy.add('POST', ACTION.pattern, '500')
        self.assertOneLineError(
            self.openstack(*COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'HTTP 500', self.proxy.url)
        self.assertOneLineError(
            self.nova(NOVA_COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'ServiceError', 'HTTP 500', self.proxy.url)
        self.assertEqual([], self.force_completes('busy-vm'))

    def test_503_on_force_complete_is_not_resent(self):
        self.proxy.add('POST', ACTION.pattern, '503')
        self.assertOneLineError(
            self.openstack(*COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'HTTP 503', self.proxy.url)
        self.assertEqual(1, self.proxy.count('POST', ACTION.pattern))

    def test_brief_503_on_reads_is_ridden_out(self):
        """A load balancer's 503 during the wait: reads are retried with
        backoff and the true outcome is still reported."""
        self.proxy.add('GET', r'/migrations$', '503', times=3)
        code, out, err = self.openstack(*COMMAND, 'busy-vm', '--wait',
                                        '--timeout', '60')
        self.assertEqual(0, code, err)
        self.assertIn('completed', out)
        self.assertEqual(1, self.proxy.count('POST', ACTION.pattern))
        self.assertEqual(1, len(self.force_completes('busy-vm')))


class TestReadTimeout(ProxiedTest):
    """The force-complete reaches Nova and is applied, but the answer
    never comes back: the client must not send it again, and must say
    that it may have been applied and how to check."""

    def assert_not_resent(self, result, *words):
        self.assertOneLineError(result, EXIT_UNREACHABLE,
                                'may have been applied',
                                'openstack server migration list', *words)
        self.assertEqual(1, self.proxy.count('POST', ACTION.pattern))
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_openstack(self):
        self.proxy.add('POST', ACTION.pattern, 'hang')
        start = time.monotonic()
        result = self.openstack(*COMMAND, 'busy-vm', '--wait', '--timeout',
                                '3')
        self.assertLess(time.monotonic() - start, HANG)
        self.assert_not_resent(result, self.proxy.url)

    def test_nova(self):
        self.proxy.add('POST', ACTION.pattern, 'hang')
        start = time.monotonic()
        result = self.nova(NOVA_COMMAND, 'busy-vm', '--wait', '--timeout',
                           '3')
        self.assertLess(time.monotonic() - start, HANG)
        self.assert_not_resent(result, 'EndpointUnreachable')


class TestWaitTimeout(FaultTest):
    """--timeout runs out while the migration is still copying."""

    # A forced busy-vm needs ~4.5 simulated s: 45 real s at this scale.
    time_scale = 0.1

    def assert_may_still_finish(self, result):
        code, out, err = result
        self.assertEqual(EXIT_TIMED_OUT, code, err)
        text = out + '\n'.join(err)
        self.assertIn('may still finish', text)
        self.assertRegex(text, 'migration[ -]show')
        self.assertNotIn('Traceback', text)

    def test_openstack(self):
        result = self.openstack(*COMMAND, 'busy-vm', '--wait', '--timeout',
                                '2')
        self.assert_may_still_finish(result)
        self.assertEqual(1, len(result[2]), result[2])
        self.assertEqual('running', self.migration_status(1))

    def test_nova(self):
        result = self.nova(NOVA_COMMAND, 'busy-vm', '--wait', '--timeout',
                           '2')
        self.assert_may_still_finish(result)
        self.assertIn('WaitTimedOut', '\n'.join(result[2]))
        self.assertEqual('running', self.migration_status(1))


class TestKilledDuringWait(FaultTest):
    """kill -9 of the cloud while --wait polls, restart on the same port
    with the same --state file: the client rides it out and reports the
    true outcome; the accepted force-complete is not lost."""

    state = True
    # A forced busy-vm needs ~5.5 simulated s: ~11 real s at this scale,
    # time enough to kill and restart the server mid-copy.
    time_scale = 0.5
    OUTAGE = 2.0

    def run_through_outage(self, argv, env):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 60
        while not self.force_completes('busy-vm'):
            self.assertLess(time.monotonic(), deadline)
            self.assertIsNone(proc.poll(), proc.stderr.read()
                              if proc.poll() is not None else '')
            time.sleep(0.2)
        self.assertEqual('running', self.migration_status(1))
        self.cloud.kill()
        time.sleep(self.OUTAGE)
        self.cloud.start()
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def assert_true_outcome(self, code, out, err):
        self.assertEqual(0, code, err)
        self.assertIn('completed', out)
        self.assertNotIn('Traceback', err)
        self.assertEqual('completed', self.migration_status(1))
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_openstack(self):
        self.assert_true_outcome(*self.run_through_outage(
            [test_osc_cli.openstack_program(), *COMMAND, 'busy-vm',
             '--wait', '--timeout', '90'], self.openstack_env()))

    def test_nova(self):
        self.assert_true_outcome(*self.run_through_outage(
            [test_nova_cli.NOVA, NOVA_COMMAND, 'busy-vm', '--wait',
             '--timeout', '90'], self.nova_env()))
