"""State files: seeded once, resumed after a restart, clock kept."""

import contextlib
import io
import subprocess
import sys

import fixtures

from novaclient_force.refserver import cli
from novaclient_force.refserver.state import scenarios, seed
from novaclient_force.refserver.state import store as store_mod
from tests import testcase
from tests.unit.refserver.test_refserver_api import FakeWall


class TestStateFile(testcase.TestCase):
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


class TestOneServerPerFile(testcase.TestCase):
    """Two servers on one state file ran two clocks over the same rows;
    the second is refused while the first has the file open."""

    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('state.db')

    def test_a_second_store_is_refused_until_the_first_closes(self):
        first = store_mod.Store(self.path, wall=FakeWall())
        error = self.assertRaises(store_mod.StateInUse, store_mod.Store,
                                  self.path, wall=FakeWall())
        self.assertEqual('in use by another reference server', str(error))
        first.close()
        store_mod.Store(self.path, wall=FakeWall()).close()

    def test_a_second_server_exits_with_one_line(self):
        first = store_mod.Store(self.path, wall=FakeWall())
        self.addCleanup(first.close)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--state', self.path, '--scenario', 'empty'])
        self.assertEqual(2, code)
        self.assertEqual(
            [f'novaclient-force-refserver: error: state file {self.path}: '
             'in use by another reference server'],
            err.getvalue().splitlines())

    def test_a_killed_server_leaves_the_file_free(self):
        script = ('import os, sys\n'
                  'from novaclient_force.refserver.state import store\n'
                  'store.Store(sys.argv[1])\n'
                  'print("open", flush=True)\n'
                  'sys.stdin.read()\n')
        child = subprocess.Popen([sys.executable, '-c', script, self.path],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        self.addCleanup(child.wait)
        self.addCleanup(child.kill)
        self.assertEqual('open\n', child.stdout.readline())
        self.assertRaises(store_mod.StateInUse, store_mod.Store, self.path)
        child.kill()
        child.wait()
        store_mod.Store(self.path, wall=FakeWall()).close()
