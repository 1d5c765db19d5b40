"""State files: seeded once, resumed after a restart, clock kept."""

import fixtures
import testtools

from novaclient_force.refserver.state import scenarios, seed
from novaclient_force.refserver.state import store as store_mod
from tests.unit.refserver.test_refserver_api import FakeWall


class TestStateFile(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('state.db')
        self.wall = FakeWall()

    def open(self, scale=1.0):
        store = store_mod.Store(self.path, scale, wall=self.wall)
        self.addCleanup(store.close)
        return store

    def test_seeded_once_then_resumed(self):
        first = self.open()
        self.assertTrue(seed.seed(first, scenarios.load('stuck-migration')))
        with first.transaction() as db:
            db.execute("UPDATE servers SET locked = 1 WHERE name = 'idle-vm'")
        first.close()
        second = self.open()
        self.assertFalse(seed.seed(second, scenarios.load('empty')))
        with second.transaction() as db:
            row = db.one("SELECT locked FROM servers WHERE name = 'idle-vm'")
        self.assertEqual(1, row['locked'])

    def test_clock_survives_a_restart(self):
        first = self.open(scale=10.0)
        start = first.now()
        first.close()
        self.wall.advance(5)
        second = self.open(scale=10.0)
        self.assertEqual(start + 50, second.now())
