"""Load and concurrency against the reference server process.

Sixteen clients, each with its own keystoneauth session and SDK client,
hammer one server with a mix of list, show, force_complete and abort for
``LOAD_SECONDS`` (30 s; 5 s when ``CI=true``, to keep CI on two cores
fast). Only errors Nova itself gives for such races (400, 404, 409) are
acceptable; every 202 the clients received must be recorded exactly once
in the servers' instance actions; every migration is still there exactly
once; the server's resident memory is sampled all along and must level
off. A host drain of 200 live migrations with concurrency 16 must account
for every migration exactly once.
"""

import collections
import os
import random
import threading
import time

from novaclient_force import client, exceptions, outcome
from novaclient_force.refserver import fixture
from tests import testcase

CLIENTS = 16
LOAD_SECONDS = 5.0 if os.environ.get('CI') == 'true' else 30.0
SERVERS = 48
DRAIN_SERVERS = 200
# Answers Nova gives when requests race a migration's end: not running any
# more (400), gone from the in-progress index (404), server no longer
# migrating (409).
NOVA_RACE_STATUSES = (400, 404, 409)
NOVA_RACE_ERRORS = (exceptions.MigrationNotRunning,
                    exceptions.MigrationNotFound,
                    exceptions.ServerNotMigrating,
                    exceptions.AlreadyPostCopy)


def rss_bytes(pid):
    """Resident set size of a process, from /proc (None elsewhere)."""
    try:
        with open(f'/proc/{pid:d}/status') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    def __init__(self, pid, interval=0.25):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            value = rss_bytes(self.pid)
            if value is not None:
                self.samples.append(value)
            self.done.wait(self.interval)


class Worker(threading.Thread):
    """One operator's script: random operations until time is up."""

    def __init__(self, cloud, servers, seed, stop_at):
        super().__init__(daemon=True)
        self.nc = client.Client(session=cloud.session())
        self.servers = servers
        self.random = random.Random(seed)
        self.stop_at = stop_at
        self.calls = collections.Counter()
        self.accepted = collections.Counter()   # (op, server id) -> 202s
        self.race_errors = collections.Counter()
        self.bad = []

    def run(self):
        migrations = self.nc.server_migrations
        while time.monotonic() < self.stop_at:
            server_id, migration_id = self.random.choice(self.servers)
            op = self.random.choice(
                ('list', 'list', 'show', 'force', 'force', 'abort'))
            self.calls[op] += 1
            try:
                if op == 'list':
                    rows = migrations.list(server_id)
                    if len(rows) > 1:
                        self.bad.append(f'{server_id} listed {len(rows):d} '
                                        'migrations in progress')
                elif op == 'show':
                    migrations.get(server_id, migration_id)
                elif op == 'force':
                    migrations.live_migrate_force_complete(server_id,
                                                           migration_id)
                    self.accepted['force', server_id] += 1
                else:
                    migrations.live_migration_abort(server_id, migration_id)
                    self.accepted['abort', server_id] += 1
            except NOVA_RACE_ERRORS as exc:
                if exc.http_status in NOVA_RACE_STATUSES:
                    self.race_errors[type(exc).__name__] += 1
                else:
                    self.bad.append(f'{op}: {exc!r}')
            except Exception as exc:   # anything else is a failure
                self.bad.append(f'{op}: {type(exc).__name__}: {exc}')


class TestConcurrentClients(testcase.TestCase):

    def setUp(self):
        super().setUp()
        # Forced migrations finish in ~5.5 s and aborts in ~1 s of
        # simulated time: at this scale some finish during the run and
        # some are still running at its end.
        self.cloud = self.useFixture(fixture.RefServer(
            scenario='host-maintenance', servers=SERVERS, time_scale=0.5))
        self.admin = client.Client(session=self.cloud.session())

    def compute_get(self, path):
        return self.cloud.get(path)

    def all_migrations(self):
        return self.compute_get('/os-migrations?limit=1000')['migrations']

    def actions(self, server_id):
        return collections.Counter(
            a['action'] for a in self.compute_get(
                f'/servers/{server_id}/os-instance-actions')[
                    'instanceActions'])

    def test_sixteen_clients(self):
        before = {m['id']: m for m in self.all_migrations()}
        self.assertEqual(SERVERS, len(before))
        servers = sorted((m['instance_uuid'], m['id'])
                         for m in before.values())
        sampler = MemorySampler(self.cloud.process.pid)
        stop_at = time.monotonic() + LOAD_SECONDS
        workers = [Worker(self.cloud, servers, seed, stop_at)
                   for seed in range(CLIENTS)]
        sampler.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(LOAD_SECONDS + 120)
            self.assertFalse(worker.is_alive())
        sampler.done.set()
        sampler.join()

        self.assertEqual([], [bad for w in workers for bad in w.bad])
        calls = sum((w.calls for w in workers), collections.Counter())
        accepted = sum((w.accepted for w in workers), collections.Counter())
        self.assertGreater(sum(calls.values()), CLIENTS * LOAD_SECONDS)
        self.assertGreater(sum(accepted.values()), 0)

        # No migration lost or duplicated, none created.
        after = self.all_migrations()
        self.assertEqual(sorted(before), sorted(m['id'] for m in after))
        self.assertEqual(len(after), len({m['uuid'] for m in after}))
        for row in after:
            self.assertEqual(before[row['id']]['instance_uuid'],
                             row['instance_uuid'])
            self.assertIn(row['status'], ('running', 'completed',
                                          'cancelled'))

        # Every 202 a client got is recorded exactly once by the cloud.
        for server_id, _ in servers:
            actions = self.actions(server_id)
            self.assertEqual(accepted['force', server_id],
                             actions['live_migration_force_complete'],
                             server_id)
            self.assertEqual(accepted['abort', server_id],
                             actions['live_migration_cancel'], server_id)

        # Memory levels off: the last third of the run holds no more than
        # the first third plus a small allowance for caches warming up.
        samples = sampler.samples
        if len(samples) >= 6:
            third = len(samples) // 3
            early, late = max(samples[:third]), max(samples[-third:])
            self.assertLess(late, early * 1.25 + 16 * 1024 * 1024,
                            (early, late))


class TestHostDrain(testcase.TestCase):

    def test_two_hundred_migrations_concurrency_sixteen(self):
        cloud = self.useFixture(fixture.RefServer(
            scenario='host-maintenance', servers=DRAIN_SERVERS,
            time_scale=60.0))
        nc = client.Client(session=cloud.session())
        results = nc.server_migrations.force_complete_host(
            'compute-1', wait=True, timeout=120, concurrency=16)
        self.assertEqual(DRAIN_SERVERS, len(results))
        self.assertEqual(list(range(1, DRAIN_SERVERS + 1)),
                         sorted(r.migration for r in results))
        self.assertEqual(DRAIN_SERVERS, len({r.server for r in results}))
        self.assertEqual({outcome.COMPLETED},
                         {r.status for r in results},
                         [r.reason for r in results if not r.ok][:3])
        rows = cloud.session().get(
            cloud.compute_url + '/os-migrations?limit=1000',
            headers={'OpenStack-API-Version': 'compute 2.80'}).json()[
                'migrations']
        self.assertEqual(DRAIN_SERVERS, len(rows))
        self.assertEqual({'completed'}, {r['status'] for r in rows})
        forced = collections.Counter()
        for result in results:
            actions = cloud.session().get(
                f'{cloud.compute_url}/servers/{result.server}'
                '/os-instance-actions').json()['instanceActions']
            forced[result.server] = sum(
                1 for a in actions
                if a['action'] == 'live_migration_force_complete')
        self.assertEqual({1}, set(forced.values()))
