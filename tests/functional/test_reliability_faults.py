"""Faults an operator meets mid-incident, injected for real over loopback.

The reference server runs as a process (``fixture.RefServer``); the real
``openstack`` and ``nova`` programs run against it. Outages are real:
``kill -9`` of the server, a port nobody listens on, a host name that
does not resolve, TLS spoken to a plain-HTTP port. Server errors and
answers that never come are the reference server's own injected faults
(its control API, ``fixture.RefServer.inject_fault``), and what reached
it is its request log. Each test checks what the operator sees (exit
status, one line, no traceback) and, through the API, what really
happened in the cloud.
"""

import os
import re
import socket
import subprocess
import time

import fixtures
import yaml

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import test_nova_cli, test_osc_cli

COMMAND = test_osc_cli.COMMAND
NOVA_COMMAND = 'live-migration-force-complete'
ACTION = r'/compute/v2\.1/servers/[^/]+/migrations/\d+/action$'
EXIT_ERROR, EXIT_TIMED_OUT, EXIT_UNREACHABLE, EXIT_SERVICE = 1, 5, 6, 7
DEPRECATION = test_nova_cli.DEPRECATION
# How long an answer is held before the connection is dropped unanswered.
HANG = 30.0


def free_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class FaultTest(testcase.TestCase):
    """A reference server, clients for it, and the checks every test
    makes on what the operator sees."""

    scenario = 'stuck-migration'
    servers = None
    time_scale = 1.0
    state = False
    token_expiration = None

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        state_file = (os.path.join(self.tmp, 'state.sqlite')
                      if self.state else None)
        self.cloud = self.useFixture(fixture.RefServer(
            scenario=self.scenario, servers=self.servers,
            time_scale=self.time_scale, state_file=state_file,
            token_expiration=self.token_expiration))
        self.base = self.cloud.url

    # -- clients --------------------------------------------------------

    def clouds_yaml(self, base, **extra):
        """A clouds.yaml for admin at ``base`` (plus cloud options)."""
        with open(self.cloud.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        cloud = clouds['clouds']['refserver-admin']
        cloud['auth']['auth_url'] = base + '/identity'
        cloud.update(extra)
        path = os.path.join(self.tmp,
                            f'clouds-{len(os.listdir(self.tmp)):d}.yaml')
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
            f'/servers?all_tenants=1&name=^{name}$')['servers']
        return server['id']

    def force_completes(self, name):
        actions = self.compute_get(
            f'/servers/{self.server_id(name)}/os-instance-actions')
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
        return [(f'http://127.0.0.1:{free_port():d}', 'Connection refused'),
                (f'http://refserver.invalid:{self.cloud.port:d}',
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
        return [f'http://127.0.0.1:{free_port():d}',
                f'http://refserver.invalid:{self.cloud.port:d}',
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


class TestServerErrors(FaultTest):
    """500 and 503 answers from the compute API."""

    time_scale = 4.0

    def posts(self):
        return [r for r in self.cloud.requests()
                if r['method'] == 'POST' and re.search(ACTION, r['path'])]

    def test_500_on_force_complete(self):
        self.cloud.inject_fault(ACTION, method='POST', status=500, times=2)
        self.assertOneLineError(
            self.openstack(*COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'HTTP 500', self.base)
        self.assertOneLineError(
            self.nova(NOVA_COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'ServiceError', 'HTTP 500', self.base)
        self.assertEqual([], self.force_completes('busy-vm'))

    def test_503_on_force_complete_is_not_resent(self):
        self.cloud.inject_fault(ACTION, method='POST', status=503, times=5)
        self.assertOneLineError(
            self.openstack(*COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'HTTP 503', self.base)
        self.assertEqual([503], [r['status'] for r in self.posts()])

    def test_brief_503_on_reads_is_ridden_out(self):
        """A load balancer's 503 during the wait: reads are retried with
        backoff and the true outcome is still reported."""
        self.cloud.inject_fault(r'/migrations$', method='GET', status=503,
                                times=3)
        code, out, err = self.openstack(*COMMAND, 'busy-vm', '--wait',
                                        '--timeout', '60')
        self.assertEqual(0, code, err)
        self.assertIn('completed', out)
        self.assertEqual([], self.cloud.faults())
        self.assertEqual([202], [r['status'] for r in self.posts()])
        self.assertEqual(1, len(self.force_completes('busy-vm')))


class TestReadTimeout(FaultTest):
    """The force-complete reaches Nova and is applied, but the answer
    never comes back: the client must not send it again, and must say
    that it may have been accepted and how to follow it."""

    # Slow enough that the forced copy outlasts --timeout 3 (a forced
    # busy-vm needs a few simulated seconds: tens of real ones here).
    time_scale = 0.1

    def setUp(self):
        super().setUp()
        # Applied, then held until the connection is dropped unanswered;
        # a resent request would be applied (and held) too.
        self.cloud.inject_fault(ACTION, method='POST', delay=HANG,
                                drop='after', times=5)

    def assert_not_resent(self, result, check, *words):
        # --wait: followed until --timeout ran out, as an accepted one is.
        self.assertOneLineError(result, EXIT_TIMED_OUT,
                                'may have been accepted', check, *words)
        self.assertNotIn('refused', result[2][0])
        self.assertEqual(1, len(self.force_completes('busy-vm')))
        [fault] = self.cloud.faults()
        self.assertEqual(4, fault['times'])

    def test_openstack(self):
        start = time.monotonic()
        result = self.openstack(*COMMAND, 'busy-vm', '--wait', '--timeout',
                                '3')
        self.assertLess(time.monotonic() - start, HANG)
        self.assert_not_resent(
            result, 'openstack server migration list --server ')

    def test_nova(self):
        start = time.monotonic()
        result = self.nova(NOVA_COMMAND, 'busy-vm', '--wait', '--timeout',
                           '3')
        self.assertLess(time.monotonic() - start, HANG)
        self.assert_not_resent(
            result, 'nova migration-list --instance-uuid ', 'WaitTimedOut')


class TestWaitTimeout(FaultTest):
    """--timeout runs out while the migration is still copying."""

    # A forced busy-vm needs ~4.5 simulated s: 45 real s at this scale.
    time_scale = 0.1

    def assert_may_still_finish(self, result):
        code, out, err = result
        self.assertEqual(EXIT_TIMED_OUT, code, err)
        text = out + '\n'.join(err)
        self.assertIn('may still finish', text)
        self.assertRegex(
            text, 'follow it with `(openstack server migration list '
            '--server|nova migration-list --instance-uuid) [0-9a-f-]{36}`')
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


class TestRateLimited(FaultTest):
    """A proxy in front of Nova answers 429: it did not pass the request
    on, so the force-complete is sent again, after a backoff, and
    applied once."""

    def posts(self):
        return [r for r in self.cloud.requests()
                if r['method'] == 'POST' and re.search(ACTION, r['path'])]

    def test_openstack(self):
        self.cloud.inject_fault(ACTION, method='POST', status=429, times=2)
        code, out, err = self.openstack(*COMMAND, 'busy-vm', '1')
        self.assertEqual(0, code, (out, err))
        self.assertEqual([429, 429, 202], [r['status'] for r in self.posts()])
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_nova_reads(self):
        self.cloud.inject_fault(r'/migrations$', method='GET', status=429,
                                times=2)
        code, out, err = self.nova(NOVA_COMMAND, 'busy-vm')
        self.assertEqual(0, code, (out, err))
        self.assertEqual([202], [r['status'] for r in self.posts()])
        self.assertEqual([], self.cloud.faults())

    def test_a_lasting_rate_limit_is_reported(self):
        self.cloud.inject_fault(ACTION, method='POST', status=429, times=10)
        self.assertOneLineError(
            self.openstack(*COMMAND, 'busy-vm', '1'), EXIT_SERVICE,
            'limiting the rate of requests', 'HTTP 429', self.base)
        # Resent for as long as a request's retry window lasts.
        statuses = [r['status'] for r in self.posts()]
        self.assertEqual({429}, set(statuses))
        self.assertGreater(len(statuses), 2)
        self.assertEqual([], self.force_completes('busy-vm'))
