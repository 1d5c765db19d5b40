"""The real reference server process over loopback, driven by real clients."""

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import fixtures
import testtools

from novaclient_force.refserver import fixture
from tests import testcase

SAMPLES = os.path.join(os.path.dirname(__file__), '..', 'samples')
BUSY_VM = 'busy-vm'


def _sample(name):
    with open(os.path.join(SAMPLES, name)) as stream:
        return json.load(stream)


class RefServerCase(testcase.TestCase):
    scenario = 'stuck-migration'
    servers = None
    time_scale = 1.0

    def setUp(self):
        super().setUp()
        self.server = self.useFixture(fixture.RefServer(
            scenario=self.scenario, servers=self.servers,
            time_scale=self.time_scale, **self.fixture_args()))
        self.session = self.server.session()

    def fixture_args(self):
        return {}

    def get(self, path, version=None, session=None, **kwargs):
        headers = {}
        if version:
            headers['OpenStack-API-Version'] = 'compute ' + version
        return (session or self.session).get(
            self.server.compute_url + path, headers=headers,
            raise_exc=False, **kwargs)

    def post(self, path, body, version, session=None):
        return (session or self.session).post(
            self.server.compute_url + path, json=body, raise_exc=False,
            headers={'OpenStack-API-Version': 'compute ' + version})

    def find_server(self, name):
        resp = self.get(f'/servers/detail?all_tenants=1&name=^{name}$')
        return resp.json()['servers'][0]

    def running_migration(self, server_id):
        resp = self.get(f'/servers/{server_id}/migrations', '2.80')
        return resp.json()['migrations'][0]


class TestRawHttp(RefServerCase):
    def test_discovery_without_token(self):
        import requests

        root = requests.get(self.server.url + '/compute/').json()
        self.assertEqual(
            sorted(_sample('versions-get.json')['versions'][1]),
            sorted(root['versions'][1]))
        doc = requests.get(self.server.compute_url).json()
        self.assertEqual(sorted(_sample('v21-version-get.json')['version']),
                         sorted(doc['version']))

    def test_field_sets_match_nova_samples_per_version(self):
        busy = self.find_server(BUSY_VM)
        for version in ('2.23', '2.59', '2.80'):
            index = self.get(f"/servers/{busy['id']}/migrations", version)
            self.assertEqual(200, index.status_code)
            expected = _sample(f'server-migrations-index-v{version}.json')
            self.assertEqual(sorted(expected['migrations'][0]),
                             sorted(index.json()['migrations'][0]), version)
            migration_id = index.json()['migrations'][0]['id']
            show = self.get(
                f"/servers/{busy['id']}/migrations/{migration_id}", version)
            expected = _sample(f'server-migrations-get-v{version}.json')
            self.assertEqual(sorted(expected['migration']),
                             sorted(show.json()['migration']), version)

    def test_headers_on_the_wire(self):
        resp = self.get('/servers', '2.60')
        self.assertEqual('compute 2.60',
                         resp.headers['OpenStack-API-Version'])
        self.assertEqual('OpenStack-API-Version, '
                         'X-OpenStack-Nova-API-Version',
                         resp.headers['Vary'])
        self.assertTrue(resp.headers['x-compute-request-id'].startswith(
            'req-'))

    def test_force_complete_then_completed(self):
        busy = self.find_server(BUSY_VM)
        migration = self.running_migration(busy['id'])
        resp = self.post(
            f"/servers/{busy['id']}/migrations/{migration['id']}/action",
            {'force_complete': None}, '2.22')
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('', resp.text)


class TestQueue(RefServerCase):
    """host-evacuation: Nova's default limit of 1 live migration at a
    time leaving compute-1; the others wait queued."""

    scenario = 'host-evacuation'
    servers = 3
    # The clock is stepped through the control API, not left to run.
    time_scale = 1e-6
    step = 0.25             # simulated seconds per look
    steps = 400

    def statuses(self):
        found = self.server.get('/os-migrations?source_compute=compute-1',
                                '2.80')['migrations']
        return {item['id']: item['status'] for item in found}

    def test_the_queue_moves_once_the_blocking_migration_is_forced(self):
        self.assertEqual({1: 'running', 2: 'queued', 3: 'queued'},
                         self.statuses())
        first = self.find_server('evac-vm-001')
        resp = self.post(f"/servers/{first['id']}/migrations/1/action",
                         {'force_complete': None}, '2.22')
        self.assertEqual(202, resp.status_code, resp.text)
        seen = []
        for _ in range(self.steps):
            statuses = self.statuses()
            seen.append(statuses)
            active = [key for key, status in statuses.items()
                      if status in ('preparing', 'running')]
            self.assertLessEqual(len(active), 1, statuses)
            if set(statuses.values()) == {'completed'}:
                break
            self.server.advance_clock(self.step)
        self.assertEqual({1: 'completed', 2: 'completed', 3: 'completed'},
                         seen[-1])
        # 3 never ran before 2 had ended
        for statuses in seen:
            if statuses[3] != 'queued':
                self.assertEqual('completed', statuses[2], statuses)


class TestNoLimit(RefServerCase):
    scenario = 'host-evacuation'
    servers = 3

    def fixture_args(self):
        return {'max_concurrent_live_migrations': 0}

    def test_every_migration_runs_at_once(self):
        found = self.server.get('/os-migrations', '2.80')['migrations']
        statuses = {item['id']: item['status'] for item in found}
        # the busy one never ends unaided; the others may have converged
        # already; none waits
        self.assertEqual('running', statuses[1])
        self.assertLessEqual(set(statuses.values()),
                             {'running', 'completed'})


class TestClients(RefServerCase):
    def test_python_novaclient(self):
        import novaclient
        from novaclient import api_versions
        from novaclient import client as nova_client

        probe = nova_client.Client('2.1', session=self.session)
        version = api_versions.discover_version(
            probe, api_versions.APIVersion('2.latest'))
        # novaclient's own maximum is below the server's 2.104.
        self.assertEqual(novaclient.API_MAX_VERSION, version)
        nova = nova_client.Client(version, session=self.session)
        names = {s.name for s in nova.servers.list(
            search_opts={'all_tenants': True})}
        self.assertIn(BUSY_VM, names)
        busy = nova.servers.find(name=BUSY_VM, all_tenants=True)
        migrations = nova.server_migrations.list(busy)
        self.assertEqual(1, len(migrations))
        self.assertEqual('running', migrations[0].status)
        result = nova.server_migrations.live_migrate_force_complete(
            busy, migrations[0].id)
        request_id = result.request_ids[0]
        actions = nova.instance_action.list(busy)
        self.assertIn(('live_migration_force_complete', request_id),
                      [(a.action, a.request_id) for a in actions])

    def test_openstacksdk(self):
        import openstack

        conn = openstack.connection.Connection(session=self.session)
        busy = conn.compute.find_server(BUSY_VM, all_projects=True)
        self.assertIsNotNone(busy)
        migrations = list(conn.compute.server_migrations(busy))
        self.assertEqual(['running'], [m.status for m in migrations])
        conn.compute.force_complete_server_migration(migrations[0], busy)
        listed = list(conn.compute.migrations(instance_uuid=busy.id))
        self.assertEqual(1, len(listed))


class TestPersistence(RefServerCase):
    def fixture_args(self):
        self.state = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'state.db')
        return {'state_file': self.state}

    def test_kill_9_loses_nothing_acknowledged(self):
        busy = self.find_server(BUSY_VM)
        migration = self.running_migration(busy['id'])
        resp = self.post(
            f"/servers/{busy['id']}/migrations/{migration['id']}/action",
            {'force_complete': None}, '2.22')
        self.assertEqual(202, resp.status_code)
        request_id = resp.headers['x-openstack-request-id']
        self.server.kill()
        self.server.start()
        # The old token survives too: it was committed before the 201.
        resp = self.get(
            f"/servers/{busy['id']}/os-instance-actions/{request_id}", '2.84')
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('live_migration_force_complete',
                         resp.json()['instanceAction']['action'])


class TestConcurrency(RefServerCase):
    scenario = 'host-maintenance'
    servers = 12

    def test_many_clients_at_once(self):
        servers = self.get('/servers/detail?all_tenants=1').json()['servers']
        self.assertEqual(12, len(servers))

        def work(server):
            session = self.server.session()
            migration = self.running_migration(server['id'])
            codes = []
            for _ in range(3):
                codes.append(self.get(
                    f"/servers/{server['id']}/migrations/{migration['id']}",
                    '2.80',
                    session=session).status_code)
                codes.append(self.post(
                    f"/servers/{server['id']}/migrations/{migration['id']}"
                    '/action',
                    {'force_complete': None}, '2.22',
                    session=session).status_code)
            return server['id'], codes

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(work, servers))
        for server_id, codes in results:
            self.assertNotIn(500, codes)
            accepted = codes.count(202)
            actions = self.get(f'/servers/{server_id}/os-instance-actions'
                               ).json()['instanceActions']
            forced = [a for a in actions
                      if a['action'] == 'live_migration_force_complete']
            self.assertEqual(accepted, len(forced))


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ''


class TestCommandLine(testcase.TestCase):
    def run_cli(self, *args):
        return subprocess.run(
            [sys.executable, '-m', 'novaclient_force.refserver'] + list(args),
            capture_output=True, text=True, timeout=60)

    def test_bad_options_give_one_line_and_exit_2(self):
        for args in (['--max-microversion', '3.0'],
                     ['--time-scale', '-1'],
                     ['--scenario', 'no-such-scenario']):
            result = self.run_cli(*args)
            self.assertEqual(2, result.returncode, args)
            self.assertNotIn('Traceback', result.stderr)
            self.assertEqual('', result.stdout)

    def serve_one_request(self, *args, logged_in=None):
        """Start the server, send it one request, stop it: (stderr, the
        request's path). The request is logged just after its answer is
        written: with ``logged_in`` (a file), stop once it is there."""
        tmp = self.useFixture(fixtures.TempDir()).path
        stderr_path = os.path.join(tmp, 'stderr')
        with open(stderr_path, 'w') as stderr:
            process = subprocess.Popen(
                [sys.executable, '-m', 'novaclient_force.refserver',
                 '--port', '0', '--scenario', 'empty', *args],
                stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.addCleanup(process.stdout.close)
        url = process.stdout.readline().split()[-1]
        path = '/compute/v2.1/no-such-page'
        with testtools.ExpectedException(urllib.error.HTTPError):
            urllib.request.urlopen(url + path, timeout=10)
        deadline = time.monotonic() + 30
        while logged_in and path not in _read(logged_in):
            self.assertLess(time.monotonic(), deadline, 'nothing logged')
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(timeout=30))
        return _read(stderr_path), path

    def test_requests_are_not_logged_unless_asked(self):
        stderr, path = self.serve_one_request()
        self.assertNotIn(path, stderr)

    def test_access_log_to_a_file(self):
        log = os.path.join(self.useFixture(fixtures.TempDir()).path, 'log')
        stderr, path = self.serve_one_request('--access-log', log,
                                              logged_in=log)
        self.assertNotIn(path, stderr)
        self.assertIn(f'"GET {path} HTTP/1.1" 401', _read(log))

    def test_an_access_log_that_cannot_be_opened_is_one_line(self):
        result = self.run_cli('--access-log', '/nonexistent/dir/log')
        self.assertEqual(2, result.returncode)
        self.assertEqual('', result.stdout)
        self.assertRegex(result.stderr, r'^novaclient-force-refserver: '
                         r'error: --access-log: .*/nonexistent/dir/log'
                         r"'?\n$")

    def test_sigterm_exits_cleanly(self):
        process = subprocess.Popen(
            [sys.executable, '-m', 'novaclient_force.refserver',
             '--port', '0'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        line = process.stdout.readline()
        self.assertTrue(line.startswith('listening on http://127.0.0.1:'))
        process.send_signal(signal.SIGTERM)
        self.assertEqual(0, process.wait(timeout=30))
        process.stdout.close()
        process.stderr.close()
