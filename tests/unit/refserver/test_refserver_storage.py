"""Storage that fails mid-run: a full database, an unwritable
notifications file.

A full disk is simulated with SQLite's ``max_page_count`` (the database
then answers ``SQLITE_FULL``, "database or disk is full", exactly as on a
full disk) and with ``/dev/full`` as the notifications file (every write
fails with ENOSPC).
"""

import json

import fixtures

from novaclient_force.refserver.edge import faults
from novaclient_force.refserver.notify import notifier
from tests.unit.refserver import test_refserver_api as api

NOVA_500 = {'computeFault': {
    'code': 500,
    'message': 'Unexpected API Error. Please report this at '
               'http://bugs.launchpad.net/nova/ and attach the Nova API '
               'log if possible.\n<class \'Exception\'>'}}
KEYSTONE_500 = {'error': {'code': 500, 'title': 'Internal Server Error',
                          'message': faults.KEYSTONE_UNEXPECTED}}


class TestFullDatabase(api.RefServerTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger())
        self.admin = self.token()

    def fill(self):
        """No page more: the next write fails with SQLITE_FULL."""
        conn = self.store._conn
        pages = conn.execute('PRAGMA page_count').fetchone()[0]
        conn.execute(f'PRAGMA max_page_count = {pages}')

    def test_identity_answers_in_keystone_format(self):
        self.fill()
        for _ in range(1000):
            resp = self.request('POST', '/identity/v3/auth/tokens', {
                'auth': {'identity': {'methods': ['password'], 'password': {
                    'user': {'name': 'demo', 'domain': {'id': 'default'},
                             'password': 'secret'}}}}}, token=None)
            if resp.status_int != 201:
                break
        self.assertEqual(500, resp.status_int)
        self.assertEqual(KEYSTONE_500, json.loads(resp.body))
        self.assertIn('database or disk is full', self.log.output)

    def test_compute_answers_compute_fault_and_applies_nothing(self):
        self.fill()
        status = 'ACTIVE'
        for _ in range(1000):
            action = 'pause' if status == 'ACTIVE' else 'unpause'
            resp = self.compute('POST', f'/servers/{api.IDLE}/action',
                                {action: None}, token=self.admin)
            if resp.status_int != 202:
                break
            status = 'PAUSED' if action == 'pause' else 'ACTIVE'
        self.assertEqual(500, resp.status_int, resp.body)
        self.assertEqual(NOVA_500, json.loads(resp.body))
        server = json.loads(self.compute(
            'GET', f'/servers/{api.IDLE}', token=self.admin).body)
        self.assertEqual(status, server['server']['status'])
        # Reads keep working on a full database.
        resp = self.compute('GET', '/os-migrations', token=self.admin)
        self.assertEqual(200, resp.status_int, resp.body)


class TestNotificationsCannotBeWritten(api.RefServerTestCase):
    """Nova sends notifications after the fact and only logs a failure to
    send one (oslo.messaging ``notify/notifier.py``, ``Notifier._notify``):
    the request that changed state still succeeds."""

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger())
        self.services.notifier = notifier.Notifier('/dev/full')

    def test_action_is_applied_and_answered(self):
        resp = self.compute(
            'POST', f'/servers/{api.BUSY}/migrations/1/action',
            {'force_complete': None}, version='2.22')
        self.assertEqual(202, resp.status_int, resp.body)
        migration = json.loads(self.compute(
            'GET', f'/servers/{api.BUSY}/migrations/1',
            version='2.80').body)['migration']
        self.assertEqual(1, migration['id'])
        actions = json.loads(self.compute(
            'GET', f'/servers/{api.BUSY}/os-instance-actions').body)
        self.assertIn('live_migration_force_complete',
                      [a['action'] for a in actions['instanceActions']])
        self.assertIn('notifications', self.log.output)
        self.assertNotIn('Traceback', self.log.output)

    def test_listings_still_answer(self):
        self.wall.advance(3600)
        resp = self.compute('GET', '/os-migrations', version='2.80')
        self.assertEqual(200, resp.status_int, resp.body)
