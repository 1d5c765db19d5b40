"""The reference server's cost does not grow with the cloud: every
statement a page or the seeding runs finds its rows through an index
(no full scan, no sort of the whole table), and derived queue state is
reused only while no migration changed."""

import sqlite3

from novaclient_force.refserver.state import scenarios, seed
from novaclient_force.refserver.state import store as store_mod
from tests import testcase
from tests.unit.refserver import test_refserver_api as base


def _plans(store, action):
    """Run ``action`` and return the query plan lines of each SELECT it
    ran, with the statement."""
    statements = []
    store._conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        store._conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith('SELECT'):
            continue
        rows = store._conn.execute('EXPLAIN QUERY PLAN ' + sql).fetchall()
        plans.append((sql, [row[3] for row in rows]))
    return plans


class IndexedAccess:
    def assertIndexed(self, plans, tables):
        self.assertTrue(plans)
        for sql, lines in plans:
            for line in lines:
                self.assertNotIn('TEMP B-TREE', line, sql)
                for table in tables:
                    self.assertNotEqual('SCAN ' + table, line.strip(), sql)


class TestSeedScale(testcase.TestCase, IndexedAccess):
    def test_seeding_never_scans_the_servers(self):
        store = store_mod.Store()
        self.addCleanup(store.close)
        scenario = scenarios.load('host-maintenance', servers=50)
        plans = _plans(store, lambda: seed.seed(store, scenario))
        self.assertIndexed(plans, ('servers', 'migrations'))
        with store.transaction() as db:
            self.assertEqual(50, db.one(
                "SELECT COUNT(*) AS n FROM servers WHERE task_state = "
                "'migrating' AND active_migration IS NOT NULL")['n'])


    def test_seeding_leaves_every_index_in_place(self):
        store = store_mod.Store()
        self.addCleanup(store.close)
        for _ in range(2):      # a seed, then a reset's reseed
            seed.reset(store, scenarios.load('host-maintenance',
                                             servers=5))
            with store.transaction() as db:
                found = {row['name'] for row in db.all(
                    "SELECT name FROM sqlite_master WHERE type = 'index'")}
            self.assertLessEqual(
                {name for name, _, _ in store_mod.INDEXES}, found)

    def test_a_failed_seed_keeps_the_indexes(self):
        store = store_mod.Store()
        self.addCleanup(store.close)
        broken = scenarios.Scenario('broken', servers=(scenarios.Server(
            'a', 'same', 'demo', 'compute-1', 1, 0.0), scenarios.Server(
            'b', 'same', 'demo', 'compute-1', 1, 0.0)))
        self.assertRaises(sqlite3.IntegrityError, seed.seed, store, broken)
        with store.transaction() as db:
            found = {row['name'] for row in db.all(
                "SELECT name FROM sqlite_master WHERE type = 'index'")}
            self.assertIsNone(db.one('SELECT * FROM servers'))
        self.assertLessEqual({name for name, _, _ in store_mod.INDEXES},
                             found)


class TestPageScale(base.RefServerTestCase, IndexedAccess):
    def make_scenario(self):
        return scenarios.load('host-maintenance', servers=30)

    def page(self, path, key, marker_key):
        first = self.compute('GET', path, version='2.80').json
        marker = first[key][-1][marker_key]
        return _plans(self.store, lambda: self.assertEqual(
            200, self.compute('GET', path + '&marker=' + marker,
                              version='2.80').status_int))

    def test_migration_pages_walk_an_index(self):
        self.token()
        plans = self.page('/os-migrations?source_compute=compute-1&limit=10',
                          'migrations', 'uuid')
        self.assertIndexed(plans, ('m', 'migrations'))
        self.assertTrue(any('LIMIT' in sql for sql, _ in plans))

    def test_server_pages_walk_an_index(self):
        self.token()
        plans = self.page('/servers/detail?all_tenants=1&limit=10',
                          'servers', 'id')
        self.assertIndexed(plans, ('servers',))
        self.assertTrue(any('LIMIT' in sql for sql, _ in plans))

    def test_a_migrating_server_costs_one_statement_in_a_page(self):
        # Its migration's row; the queue limit is read once, and the
        # server is read again only if its migration has just ended.
        self.token()
        statements = []
        self.store._conn.set_trace_callback(statements.append)
        try:
            page = self.compute('GET', '/servers/detail?all_tenants=1',
                                version='2.80').json['servers']
        finally:
            self.store._conn.set_trace_callback(None)
        self.assertEqual(30, len(page))
        self.assertEqual({'MIGRATING'}, {item['status'] for item in page})
        self.assertLessEqual(len(statements), len(page) + 10)


class TestDerived(testcase.TestCase):
    def setUp(self):
        super().setUp()
        self.store = store_mod.Store()
        self.addCleanup(self.store.close)
        seed.seed(self.store, scenarios.load('host-maintenance', servers=2))
        self.computed = 0

    def derive(self):
        def compute():
            self.computed += 1
            return self.computed
        with self.store.transaction() as db:
            return db.derived('key', compute)

    def test_kept_until_a_migration_changes(self):
        self.assertEqual(1, self.derive())
        self.assertEqual(1, self.derive())
        with self.store.transaction() as db:
            db.execute('UPDATE migrations SET abort_at = 1 WHERE id = 1')
        self.assertEqual(2, self.derive())

    def test_never_kept_from_a_rolled_back_transaction(self):
        self.derive()

        def write_then_fail():
            with self.store.transaction() as db:
                db.execute('UPDATE migrations SET abort_at = 1 WHERE '
                           'id = 1')
                db.derived('key', lambda: 'uncommitted')
                raise RuntimeError('rolled back')

        self.assertRaises(RuntimeError, write_then_fail)
        self.assertEqual(2, self.derive())
