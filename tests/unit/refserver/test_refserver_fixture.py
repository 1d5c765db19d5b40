"""The fixture's control methods, through the control API in-process.

``RefServer``'s methods only speak HTTP to ``/_refserver/``; here their
requests go to the WSGI application directly (no socket), and what they
did is checked through the Nova API and the ground truth.
"""

import json

import webob

from novaclient_force.refserver import fixture
from tests.unit.refserver import test_refserver_control as control
from tests.unit.refserver.test_refserver_api import BUSY, IDLE


class _Answer:
    def __init__(self, resp):
        self.status_code = resp.status_int
        self._body = resp.body

    def json(self):
        return json.loads(self._body)


class _WsgiSession:
    """What ``RefServer.control`` needs of a ``requests.Session``."""

    def __init__(self, app):
        self.app = app

    def request(self, method, url, json=None, timeout=None):
        req = webob.Request.blank(url, method=method)
        req.remote_addr = '127.0.0.1'
        if json is not None:
            req.json_body = json
        return _Answer(req.get_response(self.app))


class FixtureTestCase(control.ControlTestCase):
    def setUp(self):
        super().setUp()
        self.refserver = fixture.RefServer()
        self.refserver.url = 'http://127.0.0.1:8080'
        self.refserver._control_session = _WsgiSession(self.app)


class TestConvergeMigration(FixtureTestCase):
    def test_a_migration_that_never_converges_completes(self):
        self.refserver.advance_clock(300)
        self.assertEqual('running', self.migration(BUSY)['status'])
        answer = self.refserver.converge_migration(1)
        self.assertEqual(['converge'],
                         [item['kind'] for item in answer['overrides']])
        # Three migrations share the link to compute-2: 3 x 3.4 s.
        self.refserver.advance_clock(20)
        self.assertEqual('completed', self.migration(BUSY)['status'])
        self.assertEqual('compute-2',
                         self.server(BUSY)['OS-EXT-SRV-ATTR:host'])
        truth = self.refserver.migration_truth(1)
        self.assertEqual(('completed', 'converged'),
                         (truth['status'], truth['ended_by']))
        # Converging is not forcing: the guest never stands still.
        self.assertEqual(0.0, truth['ground_truth']['paused_seconds'])
        self.assertIsNone(truth['force_complete_at'])

    def test_an_ended_migration_is_refused(self):
        self.refserver.converge_migration(1)
        self.refserver.advance_clock(20)
        error = self.assertRaises(fixture.RefServerError,
                                  self.refserver.converge_migration, 1)
        self.assertIn('409', str(error))
        self.assertIn('ended', str(error))


class TestStallMigration(FixtureTestCase):
    def test_a_converging_migration_runs_on(self):
        migration = self.start_migration(IDLE)
        self.refserver.advance_clock(2.5)              # running
        answer = self.refserver.stall_migration(migration)
        self.assertEqual(['stall'],
                         [item['kind'] for item in answer['overrides']])
        # idle-vm alone converges within seconds; stalled it does not,
        # until Nova's completion timeout (800 s x 2 GiB) would abort it.
        self.refserver.advance_clock(600)
        self.assertEqual('running', self.migration(IDLE)['status'])
        self.assertEqual('MIGRATING', self.server(IDLE)['status'])
        truth = self.refserver.migration_truth(migration)
        self.assertEqual(('running', None, None),
                         (truth['status'], truth['finished_at'],
                          truth['ended_by']))
        self.assertIsNone(truth['ground_truth']['paused_at'])
        self.assertGreater(truth['ground_truth']['bytes_sent'], 2 ** 30)

    def test_a_stalled_migration_still_yields_to_a_force(self):
        migration = self.start_migration(IDLE)
        self.refserver.advance_clock(2.5)
        self.refserver.stall_migration(migration)
        self.refserver.advance_clock(60)
        self.assertEqual('running', self.migration(IDLE)['status'])
        resp = self.compute(
            'POST', f'/servers/{IDLE}/migrations/{migration}/action',
            control.FORCE, version='2.22')
        self.assertEqual(202, resp.status_int, resp.body)
        self.refserver.advance_clock(10)
        truth = self.refserver.migration_truth(migration)
        self.assertEqual(('completed', 'force_complete'),
                         (truth['status'], truth['ended_by']))
        self.assertGreater(truth['ground_truth']['paused_seconds'], 0)
