"""Host drain: paging, concurrency, partial failure, one poll loop."""

from novaclient_force import drain, exceptions, outcome
from tests.unit import sdk_fakes as f

OS_MIGRATIONS = f.COMPUTE + '/os-migrations'
SERVERS = ['%08d-1111-4000-8000-000000000000' % i for i in range(4)]


def action(server, mid):
    return f.COMPUTE + '/servers/%s/migrations/%s/action' % (server, mid)


def page(rows, next_marker=None):
    body = {'migrations': rows}
    if next_marker:
        body['migrations_links'] = [{'rel': 'next', 'href': OS_MIGRATIONS +
                                     '?limit=2&marker=%s' % next_marker}]
    return {'json': body}


class TestDrain(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.requests.get(f.COMPUTE + '/servers', json={'servers': [
            {'id': s, 'name': 'vm-%d' % i} for i, s in enumerate(SERVERS)]})

    def listing_gets(self):
        return [p for m, p in self.compute_calls()
                if m == 'GET' and '/os-migrations' in p]

    def rows(self, status='running'):
        return [f.os_migration_row(10 + i, status=status, server=s)
                for i, s in enumerate(SERVERS[:3])]

    def list_pages(self, *later):
        rows = self.rows()
        self.requests.get(OS_MIGRATIONS, [page(rows[:2], rows[1]['uuid']),
                                          page(rows[2:])] + list(later))

    def test_pages_are_followed_and_one_failure_stops_nothing(self):
        self.list_pages()
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        self.requests.post(action(SERVERS[1], 11), **f.fault(
            400, 'badRequest', 'Migration 11 state of instance %s is '
            'completed. Cannot force complete while the migration is in '
            'this state.' % SERVERS[1]))
        self.requests.post(action(SERVERS[2], 12), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([10, 11, 12], [r.migration for r in results])
        self.assertEqual([outcome.ACCEPTED, outcome.ERROR, outcome.ACCEPTED],
                         [r.status for r in results])
        self.assertIsInstance(results[1].error,
                              exceptions.MigrationNotRunning)
        self.assertEqual(1, results[1].exit_code)
        first = self.requests.request_history[1].qs
        self.assertEqual(['compute-1'], first['source_compute'])
        self.assertEqual(['running'], first['status'])
        self.assertEqual(['live-migration'], first['migration_type'])
        self.assertNotIn('host', first)
        gets = self.listing_gets()
        self.assertEqual(2, len(gets))
        self.assertIn('marker=%s' % self.rows()[1]['uuid'], gets[1])
        self.assertEqual(3, [m for m, _ in self.compute_calls()]
                         .count('POST'))

    def test_rows_of_other_hosts_are_skipped(self):
        self.requests.get(OS_MIGRATIONS, **page([
            f.os_migration_row(10, server=SERVERS[0]),
            f.os_migration_row(11, server=SERVERS[1], host='compute-9')]))
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([10], [r.migration for r in results])

    def test_server_names_come_from_one_host_listing(self):
        self.requests.get(OS_MIGRATIONS, **page(self.rows()))
        for i, server in enumerate(SERVERS[:3]):
            self.requests.post(action(server, 10 + i), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual(['vm-0', 'vm-1', 'vm-2'],
                         [r.server_name for r in results])
        lookups = [p for m, p in self.compute_calls()
                   if m == 'GET' and p.startswith('/compute/v2.1/servers?')]
        self.assertEqual(1, len(lookups))
        self.assertIn('host=compute-1', lookups[0])

    def test_names_refused_leave_them_blank(self):
        self.requests.get(f.COMPUTE + '/servers', **f.fault(
            403, 'forbidden', 'Only admins may filter by host'))
        self.requests.get(OS_MIGRATIONS, **page(self.rows()[:1]))
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([(outcome.ACCEPTED, '')],
                         [(r.status, r.server_name) for r in results])

    def test_no_migrations(self):
        self.requests.get(OS_MIGRATIONS, json={'migrations': []})
        self.assertEqual([], self.manager().force_complete_host('compute-1'))
        self.assertEqual(1, len(self.compute_calls()))

    def test_cannot_list_raises(self):
        self.requests.get(OS_MIGRATIONS, **f.fault(
            403, 'forbidden', "Policy doesn't allow os_compute_api:"
            "os-migrations:index:all_projects to be performed."))
        self.assertRaises(exceptions.PolicyRefused,
                          self.manager().force_complete_host, 'compute-1')

    def test_bad_arguments_send_nothing(self):
        manager = self.manager()
        for host, concurrency in (('', 8), (None, 8), ('h', 0), ('h', 'x'),
                                  ('h', True)):
            self.assertRaises(exceptions.InvalidArgument,
                              manager.force_complete_host, host,
                              concurrency=concurrency)
        self.assertRaises(exceptions.InvalidArgument,
                          manager.force_complete_host, 'h', timeout=-1)
        self.assertEqual([], self.compute_calls())

    def test_wait_is_one_loop_over_the_listing(self):
        done = [f.os_migration_row(10, 'completed', server=SERVERS[0]),
                f.os_migration_row(11, 'running', server=SERVERS[1]),
                f.os_migration_row(12, 'cancelled', server=SERVERS[2])]
        later = [dict(done[0]), dict(done[1], status='completed'),
                 dict(done[2])]
        self.requests.get(OS_MIGRATIONS, [
            page(self.rows()), page(done), page(later)])
        for i, server in enumerate(SERVERS[:3]):
            self.requests.post(action(server, 10 + i), status_code=202)
        events = []
        results = self.manager().force_complete_host(
            'compute-1', wait=True, timeout=60, progress=events.append)
        self.assertEqual([outcome.COMPLETED, outcome.COMPLETED,
                          outcome.CANCELLED], [r.status for r in results])
        # One listing per poll, for all migrations.
        self.assertEqual(3, len(self.listing_gets()))
        self.assertEqual([(SERVERS[1], 11, 'running')],
                         [(e.server, e.migration, e.status)
                          for e in events])

    def test_wait_stops_paging_once_all_are_seen(self):
        rows = self.rows()
        self.requests.get(OS_MIGRATIONS, [
            page(rows),
            page([dict(r, status='completed') for r in rows], 'more')])
        for i, server in enumerate(SERVERS[:3]):
            self.requests.post(action(server, 10 + i), status_code=202)
        results = self.manager().force_complete_host('compute-1', wait=True)
        self.assertEqual({outcome.COMPLETED}, {r.status for r in results})
        self.assertEqual(2, len(self.listing_gets()))

    def test_wait_times_out_per_migration(self):
        rows = self.rows()[:1]
        self.requests.get(OS_MIGRATIONS, json={'migrations': rows})
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1', wait=True,
                                                     timeout=2)
        self.assertEqual(outcome.TIMED_OUT, results[0].status)
        self.assertIn('may still finish', results[0].reason)


class TestPool(f.SDKTestCase):

    def test_pool_is_sized_to_the_concurrency(self):
        adapters = self.session.session.adapters
        self.assertEqual(10, adapters['http://']._pool_maxsize)
        drain.ensure_pool_size(self.session, 32)
        self.assertEqual(32, adapters['http://']._pool_maxsize)
        self.assertEqual(32, adapters['https://']._pool_maxsize)
        before = adapters['http://']
        drain.ensure_pool_size(self.session, 8)
        self.assertIs(before, adapters['http://'])
