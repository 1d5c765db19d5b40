"""The benchmarks run: ``python benchmarks/run.py --quick``, end to end.

Benchmarks are not tests, so nothing here looks at a timing. What must hold
is that the one documented command builds (or reuses) its two venvs, runs
every section against real reference servers and real ``openstack`` and
``nova`` processes, and exits 0: a command that failed to force a migration,
a section that crashed or a missing table makes this test fail.
"""

import os
import subprocess
import sys

from tests import testcase

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUNNER = os.path.join(CHECKOUT, 'benchmarks', 'run.py')
# A fresh machine builds two venvs first (about a minute with pip's cache).
TIMEOUT = 900
SECTIONS = ('== 1. Requests per force-complete', '== 1b. SDK requests',
            '== 2. Start-up cost', '== 4. Host drain',
            '== 5. Reference server throughput',
            '== 6. Drain strategies in simulated time',
            '== 7. Requests per force-complete', '== 7b. One force_complete',
            '== 7c. Host drain', '== Targets ==')


def _usage_error(*argv):
    """The runner with bad arguments: it must stop before building."""
    return subprocess.run([sys.executable, RUNNER, *argv], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


class QuickBenchmarkTest(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = TIMEOUT + 60

    def test_quick_mode_runs_every_section(self):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('OS_') and key != 'PYTHONPATH'}
        done = subprocess.run(
            [sys.executable, RUNNER, '--quick'], cwd=CHECKOUT, env=env,
            capture_output=True, text=True, timeout=TIMEOUT,
            stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        self.assertEqual(0, done.returncode, output[-3000:])
        self.assertNotIn('Traceback', output)
        for title in SECTIONS:
            self.assertIn(title, done.stdout)
        self.assertIn('command: python3 benchmarks/run.py --quick',
                      done.stdout)
        self.assertNotIn('FAILED', done.stdout)
        self.assertNotIn('ERROR', done.stdout)

    def test_unknown_section_is_a_usage_error(self):
        done = _usage_error('--only', 'nonsense')
        self.assertEqual(2, done.returncode)
        self.assertIn("invalid choice: 'nonsense'", done.stderr)
        self.assertNotIn('Traceback', done.stderr)
        self.assertEqual('', done.stdout)


class DelayProxyTest(testcase.TestCase):
    """benchmarks/latency.py: clients that authenticate through the proxy
    are sent through it for compute too, and every byte gets there."""

    def setUp(self):
        super().setUp()
        sys.path.insert(0, os.path.dirname(RUNNER))
        self.addCleanup(sys.path.remove, os.path.dirname(RUNNER))
        import latency

        from novaclient_force.refserver import fixture

        self.server = self.useFixture(fixture.RefServer(
            'host-maintenance', servers=2, in_process=True))
        self.proxied = latency.Proxied(self.server, 0.0)
        self.addCleanup(self.proxied.close)

    def test_catalog_points_through_the_proxy(self):
        session = self.proxied.session('demo-manager', 'demo')
        endpoint = session.get_endpoint(service_type='compute',
                                        interface='public')
        self.assertEqual(self.proxied.compute_url, endpoint)
        self.assertNotEqual(self.server.url, self.proxied.url)
        answer = session.get(endpoint + '/servers/detail',
                             headers={'OpenStack-API-Version':
                                      'compute 2.80'})
        self.assertEqual(200, answer.status_code)
        self.assertEqual(2, len(answer.json()['servers']))
        paths = [r['path'] for r in self.server.requests()]
        self.assertIn('/compute/v2.1/servers/detail', paths)

    def test_bad_latency_is_a_usage_error(self):
        done = _usage_error('--latency', '35,x')
        self.assertEqual(2, done.returncode)
        self.assertIn("invalid --latency '35,x'", done.stderr)
        self.assertNotIn('Traceback', done.stderr)


class StrategiesBenchmarkTest(testcase.TestCase):
    """benchmarks/strategies.py runs all seven strategies to the end."""

    # Its commands have their own bound; this one is above it.
    timeout = TIMEOUT + 60

    def test_small_run(self):
        done = subprocess.run(
            [sys.executable, os.path.join(CHECKOUT, 'benchmarks',
                                          'strategies.py'),
             '--servers', '3', '--limits', '1', '--timeline'], cwd=CHECKOUT,
            capture_output=True, text=True, timeout=TIMEOUT,
            stdin=subprocess.DEVNULL)
        self.assertEqual(0, done.returncode, done.stderr[-3000:])
        rows = [line.split('  ') for line in done.stdout.splitlines()
                if line.startswith('1  ')]
        self.assertEqual(7, len(rows), done.stdout)
        for row in rows:
            cells = [c.strip() for c in row if c.strip()]
            if cells[1].startswith('(f)'):
                # Nova's default aborts the busy guest: it stays
                self.assertEqual(('inf', '1'), (cells[2], cells[7]), row)
                continue
            # Every other strategy drained the host: none left behind.
            self.assertNotEqual('inf', cells[2], row)
            self.assertEqual('0', cells[7], row)
        self.assertIn('physical floor', done.stdout)
        self.assertIn('(e) --auto empties the host in', done.stdout)
        self.assertIn('the best possible client', done.stdout)
        # one timeline per strategy, a row per server
        rows = [line for line in done.stdout.splitlines()
                if line.startswith('  evac-vm-') and line.endswith('|')]
        self.assertEqual(7 * 3, len(rows), done.stdout)


class HostEmptyBenchmarkTest(testcase.TestCase):
    """benchmarks/host_empty.py drains the host with every policy."""

    # Its commands have their own bound; this one is above it.
    timeout = TIMEOUT + 60

    def test_small_run(self):
        done = subprocess.run(
            [sys.executable, os.path.join(CHECKOUT, 'benchmarks',
                                          'host_empty.py'),
             '--servers', '3', '--deadline', '30'], cwd=CHECKOUT,
            capture_output=True, text=True, timeout=TIMEOUT,
            stdin=subprocess.DEVNULL)
        self.assertEqual(0, done.returncode, done.stderr[-3000:])
        lines = done.stdout.splitlines()
        header = next(i for i, line in enumerate(lines)
                      if line.startswith('policy '))
        policies = lines[header + 1:lines.index('', header)]
        self.assertEqual(6, len(policies), done.stdout)
        # Every forcing policy empties the host (exit 0); without forcing
        # Nova's completion timeout cancels the busy guest's migration.
        self.assertEqual(['0', '0', '0', '0', '0', '4'],
                         [line.split()[-1] for line in policies])
        self.assertEqual(3, sum('moved by the deadline' in line
                                for line in lines))
