"""The SDK against the reference server, over loopback, with a real
keystoneauth session."""

import logging

import fixtures

from novaclient_force import client, exceptions, outcome
from novaclient_force.refserver import fixture
from tests import testcase


def count_compute_requests(session, compute_url):
    """A list that collects (method, path) of every compute request."""
    seen = []

    def hook(resp, *args, **kwargs):
        if resp.request.url.startswith(compute_url):
            seen.append((resp.request.method, resp.request.path_url))
    session.session.hooks['response'].append(hook)
    return seen


class TestStuckMigration(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', time_scale=20))

    def test_force_complete_and_wait_completes(self):
        nc = client.Client(session=self.cloud.session())
        events = []
        result = nc.server_migrations.force_complete(
            'busy-vm', wait=True, timeout=120, progress=events.append)
        self.assertEqual(outcome.COMPLETED, result.status, result.reason)
        self.assertEqual('busy-vm', result.server_name)
        self.assertEqual('completed', result.migration_status)
        server = nc.servers.get(result.server)
        self.assertEqual('compute-2',
                         getattr(server, 'OS-EXT-SRV-ATTR:host'))
        self.assertEqual([], nc.server_migrations.list(result.server))

    def test_round_trips(self):
        nc = client.Client(session=self.cloud.session())
        row = nc.server_migrations.list('busy-vm')[0]
        server, migration = row.server_uuid, row.id

        session = self.cloud.session()
        seen = count_compute_requests(session, self.cloud.compute_url)
        fresh = client.Client(session=session)
        fresh.server_migrations.force_complete(server, migration)
        self.assertEqual(['POST'], [m for m, _ in seen])
        self.assertEqual('2.80', fresh.api_version.get_string())
        self.assertEqual(1, len(seen))

    def test_auto_detected_migration_by_name(self):
        session = self.cloud.session()
        seen = count_compute_requests(session, self.cloud.compute_url)
        result = client.Client(session=session).server_migrations \
            .force_complete('busy-vm')
        self.assertEqual(outcome.ACCEPTED, result.status)
        self.assertEqual(['GET', 'GET', 'POST'], [m for m, _ in seen])

    def test_member_is_refused_with_the_role_needed(self):
        nc = client.Client(session=self.cloud.session('demo', 'demo'))
        exc = self.assertRaises(exceptions.PolicyRefused,
                                nc.server_migrations.force_complete,
                                'busy-vm')
        self.assertIn('manager role', str(exc))

    def test_project_manager_waits_without_admin_reads(self):
        nc = client.Client(session=self.cloud.session('demo-manager',
                                                      'demo'))
        result = nc.server_migrations.force_complete(
            'busy-vm', wait=True, timeout=120)
        self.assertEqual(outcome.COMPLETED, result.status, result.reason)

    def test_idle_vm_has_nothing_to_force(self):
        nc = client.Client(session=self.cloud.session())
        self.assertRaises(exceptions.NoMigrationInProgress,
                          nc.server_migrations.force_complete, 'idle-vm')


class TestAutoAtAnyTimeScale(testcase.TestCase):
    """--auto through the SDK: readings dated by Nova's saves give the
    link's rate at any time scale (the ground truth's)."""

    def check(self, time_scale):
        cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', time_scale=time_scale))
        nc = client.Client(session=cloud.session())
        result = nc.server_migrations.force_complete(
            'busy-vm', wait=True, timeout=120, auto=True)
        self.assertEqual((outcome.COMPLETED, True),
                         (result.status, result.forced), result.reason)
        self.assertIn('(--auto)', result.reason)
        truth = cloud.migrations_truth()[0]['ground_truth']
        self.assertAlmostEqual(truth['transfer_rate'],
                               result.diagnosis.transfer_rate,
                               delta=0.1 * truth['transfer_rate'])

    def test_real_time(self):
        self.check(1.0)

    def test_fifty_times_faster(self):
        self.check(50.0)


class TestTooOldCloud(testcase.TestCase):

    def test_refused_naming_both_versions(self):
        cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', max_microversion='2.21'))
        session = cloud.session()
        seen = count_compute_requests(session, cloud.compute_url)
        nc = client.Client(session=session)
        exc = self.assertRaises(
            exceptions.CloudTooOld, nc.server_migrations.force_complete,
            '00000000-0000-4000-8000-000000000000', 1)
        self.assertIn('2.22', str(exc))
        self.assertIn('at most 2.21', str(exc))
        # The one POST was refused with 406 before Nova did anything.
        self.assertEqual(['POST', 'GET'], [m for m, _ in seen])


class TestHostDrain(testcase.TestCase):

    def test_drain_host_maintenance(self):
        cloud = self.useFixture(fixture.RefServer(
            'host-maintenance', servers=12, time_scale=50))
        nc = client.Client(session=cloud.session())
        results = nc.server_migrations.force_complete_host(
            'compute-1', wait=True, timeout=120, concurrency=4)
        self.assertEqual(12, len(results))
        self.assertEqual({outcome.COMPLETED},
                         {r.status for r in results},
                         [r.reason for r in results])
        self.assertEqual([], nc.server_migrations.force_complete_host(
            'compute-1'))


class TestDrainConnections(testcase.TestCase):
    """More workers than requests' default pool of 10 connections per host
    keep one keep-alive connection each: otherwise every request beyond
    the pool opens a new connection and drops it (against a cloud, a TCP
    handshake, one more round trip, per request)."""

    def test_a_connection_per_worker_not_per_request(self):
        cloud = self.useFixture(fixture.RefServer(
            'host-maintenance', servers=64, time_scale=0.0001))
        session = cloud.session()
        session.get_token()
        pool_log = self.useFixture(fixtures.FakeLogger(
            name='urllib3.connectionpool', level=logging.DEBUG,
            format='%(message)s'))
        results = client.Client(session=session).server_migrations \
            .force_complete_host('compute-1', concurrency=32)
        self.assertEqual([outcome.ACCEPTED] * 64,
                         [r.status for r in results])
        lines = pool_log.output.splitlines()
        opened = [line for line in lines
                  if line.startswith('Starting new HTTP connection')]
        self.assertLessEqual(len(opened), 32, lines)
        self.assertEqual([], [line for line in lines
                              if 'pool is full' in line])


def simulated_manager(cloud):
    """A ServerMigrationsManager on ``cloud``'s simulated clock: its
    sleeps move the server's (stopped) clock forward."""
    from novaclient_force.v2 import server_migrations

    def clock():
        return cloud.clock()['time']

    def sleep(seconds):
        if seconds > 0:
            cloud.advance_clock(seconds)

    nc = client.Client(session=cloud.session())
    return server_migrations.ServerMigrationsManager(
        nc.compute, pinned=None, clock=clock, sleep=sleep)


class TestAutoLooksAfterSaves(testcase.TestCase):
    """--auto on the simulated clock (stopped, moved only by the SDK's
    sleeps): each busy guest of host-evacuation is forced within a
    second of the first stats save after its first pass over memory (the
    save that can first prove it stuck), by force_complete_host and by
    drain_host."""

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            'host-evacuation', servers=9, time_scale=1e-9,
            in_process=True))

    def manager(self):
        return simulated_manager(self.cloud)

    def assert_forced_after_the_proving_save(self, start):
        forced = {m['server_uuid']: m for m in self.cloud.migrations_truth()
                  if m['force_complete_at'] is not None}
        self.assertEqual(3, len(forced))
        for migration in forced.values():
            truth = migration['ground_truth']
            since = truth['first_sync_at'] - truth['running_at']
            proving_save = truth['running_at'] + 5.0 * (since // 5.0 + 1)
            late = migration['force_complete_at'] - proving_save
            self.assertGreaterEqual(late, 0.0, migration)
            # The first was running when the drain began: until a save
            # is seen soon after it happened, the cloud's clock is known
            # only roughly, and the back-off finds the save.
            bound = 1.0 if truth['running_at'] > start else 5.0
            self.assertLess(late, bound, migration)

    def test_force_complete_host(self):
        start = self.cloud.clock()['time']
        results = self.manager().force_complete_host(
            'compute-1', wait=True, timeout=3600, auto=True)
        self.assertEqual({outcome.COMPLETED}, {r.status for r in results})
        self.assert_forced_after_the_proving_save(start)

    def test_drain_host(self):
        # the migrations are followed, not requested again; --auto is its
        # default
        start = self.cloud.clock()['time']
        result = self.manager().drain_host('compute-1', timeout=3600)
        self.assertEqual(0, result.exit_code, [r.reason for r in result])
        self.assert_forced_after_the_proving_save(start)


class TestDeadlineOnTime(testcase.TestCase):
    """drain_host with a 60 s deadline on host-evacuation's twelve
    servers, nothing requested yet, on the simulated clock: forcing at
    once empties the host in 59 s, so the deadline can be met, and is.
    The estimate of the queue counts sizes: the smallest guests go first,
    and what they took says little of the larger ones behind them."""

    def setUp(self):
        super().setUp()
        import yaml

        from novaclient_force.refserver.state import scenarios

        built = scenarios.host_evacuation(12)
        path = self.useFixture(fixtures.TempDir()).join('unrequested.yaml')
        with open(path, 'w') as stream:
            yaml.safe_dump({
                'name': 'unrequested',
                'hosts': [h.name for h in built.hosts],
                'servers': [{'name': s.name, 'host': s.host,
                             'memory': s.memory_bytes,
                             'dirty_rate': s.dirty_rate}
                            for s in built.servers]}, stream)
        self.cloud = self.useFixture(fixture.RefServer(
            path, time_scale=1e-9, in_process=True))

    def test_every_guest_moved_by_the_deadline(self):
        start = self.cloud.clock()['time']
        result = simulated_manager(self.cloud).drain_host(
            'compute-1', deadline=60, timeout=3600)
        self.assertEqual(0, result.exit_code, [r.reason for r in result])
        ends = [m['finished_at'] - start
                for m in self.cloud.migrations_truth()]
        self.assertEqual(12, len(ends))
        self.assertLessEqual(max(ends), 60.0)
