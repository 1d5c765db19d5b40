"""Checking and revoking tokens is Keystone's policy: an admin, the token's
owner, or (to validate) a service (keystone/common/policies/token.py)."""

import json
import sqlite3
import types

import fixtures

from novaclient_force.refserver.state import accounts, seed
from novaclient_force.refserver.state import store as store_mod
from tests import testcase
from tests.unit.refserver import test_refserver_api as api

TOKENS = '/identity/v3/auth/tokens'


class TestTokenPolicy(api.RefServerTestCase):
    def make_scenario(self):
        base = api.scenario()
        base.users = [types.SimpleNamespace(
            name='nova', password='secret', roles=[('service', 'admin')])]
        return base

    def call(self, method, subject, user, project):
        headers = {} if subject is None else {'X-Subject-Token': subject}
        return self.request(method, TOKENS, user=user, project=project,
                            headers=headers)

    def assertForbidden(self, resp, action):
        self.assertEqual(403, resp.status_int, resp.body)
        self.assertEqual({'error': {
            'code': 403, 'title': 'Forbidden',
            'message': 'You are not authorized to perform the requested '
                       f'action: {action}.'}}, json.loads(resp.body))

    def test_a_reader_can_neither_check_nor_revoke_admins_token(self):
        admin = self.token('admin', 'admin')
        for method, action in (('GET', 'identity:validate_token'),
                               ('HEAD', 'identity:check_token'),
                               ('DELETE', 'identity:revoke_token')):
            resp = self.call(method, admin, 'demo-reader', 'demo')
            if method == 'HEAD':
                self.assertEqual(403, resp.status_int)
            else:
                self.assertForbidden(resp, action)
        self.assertEqual(200, self.compute('GET', '/servers').status_int)

    def test_a_member_cannot_revoke_another_members_token(self):
        other = self.token('demo-manager', 'demo')
        self.assertForbidden(self.call('DELETE', other, 'demo', 'demo'),
                             'identity:revoke_token')
        self.assertEqual(200, self.call('GET', other, 'demo-manager',
                                        'demo').status_int)

    def test_the_owner_checks_and_revokes_its_own_token(self):
        own = self.token('demo-reader', 'demo')
        # Another token of the same user counts as the owner too.
        other = self.rescope(self.token('demo-reader', 'demo'))
        for method in ('GET', 'HEAD'):
            self.assertEqual(200, self.call(method, other, 'demo-reader',
                                            'demo').status_int)
        self.assertEqual(204, self.call('DELETE', other, 'demo-reader',
                                        'demo').status_int)
        self.assertEqual(404, self.call('GET', other, 'demo-reader',
                                        'demo').status_int)
        self.assertEqual(204, self.call('DELETE', own, 'demo-reader',
                                        'demo').status_int)

    def test_an_admin_checks_and_revokes_any_token(self):
        demo = self.token('demo', 'demo')
        for method in ('GET', 'HEAD'):
            self.assertEqual(200, self.call(method, demo, 'admin',
                                            'admin').status_int)
        self.assertEqual(204, self.call('DELETE', demo, 'admin',
                                        'admin').status_int)
        self.assertEqual(401, self.compute('GET', '/servers', user='demo',
                                           token=demo).status_int)

    def test_a_service_validates_but_neither_checks_nor_revokes(self):
        demo = self.token('demo', 'demo')
        self.assertEqual(200, self.call('GET', demo, 'nova',
                                        'admin').status_int)
        self.assertEqual(403, self.call('HEAD', demo, 'nova',
                                        'admin').status_int)
        self.assertForbidden(self.call('DELETE', demo, 'nova', 'admin'),
                             'identity:revoke_token')

    def test_an_unknown_subject_is_404_before_the_policy(self):
        for method in ('GET', 'DELETE'):
            resp = self.call(method, 'bogus', 'demo-reader', 'demo')
            self.assertEqual(404, resp.status_int, method)
            self.assertEqual('Could not find token.',
                             json.loads(resp.body)['error']['message'])

    def test_no_subject_is_403_then_404(self):
        self.assertForbidden(self.call('DELETE', None, 'demo', 'demo'),
                             'identity:revoke_token')
        self.assertEqual(404, self.call('DELETE', None, 'admin',
                                        'admin').status_int)

    def test_the_caller_is_authenticated_first(self):
        resp = self.request('DELETE', TOKENS, token='bogus',
                            headers={'X-Subject-Token': 'bogus'})
        self.assertEqual(401, resp.status_int)

    def rescope(self, token, project='demo'):
        resp = self.request('POST', TOKENS, {'auth': {
            'identity': {'methods': ['token'], 'token': {'id': token}},
            'scope': {'project': {'name': project,
                                  'domain': {'id': 'default'}}}}},
            token=None)
        self.assertEqual(201, resp.status_int, resp.body)
        return resp.headers['X-Subject-Token']

    def audit_ids(self, token):
        resp = self.call('GET', token, 'admin', 'admin')
        return json.loads(resp.body)['token']['audit_ids']

    def test_tokens_obtained_from_a_token_join_its_audit_chain(self):
        first = self.token('admin', 'admin')
        (chain,) = self.audit_ids(first)
        second = self.rescope(first)
        third = self.rescope(second, 'alt_demo')
        own = set()
        for token in (second, third):
            audit_id, chained = self.audit_ids(token)
            self.assertEqual(chain, chained)
            own.add(audit_id)
        self.assertEqual(2, len(own - {chain}))

    def test_revoking_a_token_leaves_the_tokens_obtained_from_it(self):
        # Keystone revokes by the token's own audit ID, not its chain
        # (keystone/token/provider.py, revoke_token); a token matches a
        # revocation event by its own audit ID only
        # (keystone/revoke/backends/sql.py, _list_token_events), as
        # keystone/tests/unit/test_v3_auth.py,
        # test_list_delete_token_shows_in_event_list, checks.
        parent = self.token('demo', 'demo')
        child = self.rescope(parent)
        self.assertEqual(204, self.call('DELETE', parent, 'admin',
                                        'admin').status_int)
        self.assertEqual(404, self.call('GET', parent, 'admin',
                                        'admin').status_int)
        self.assertEqual(200, self.call('GET', child, 'admin',
                                        'admin').status_int)


class TestOlderStateFile(testcase.TestCase):
    def test_a_token_table_without_audit_chains_gains_them(self):
        path = self.useFixture(fixtures.TempDir()).join('state.db')
        with sqlite3.connect(path) as db:
            db.execute(
                'CREATE TABLE tokens (digest TEXT PRIMARY KEY, user_id TEXT '
                'NOT NULL, project_id TEXT, roles TEXT NOT NULL, audit_id '
                'TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL '
                'NOT NULL)')
        db.close()
        store = store_mod.Store(path, wall=api.FakeWall())
        self.addCleanup(store.close)
        seed.seed(store, api.scenario())
        text, first = accounts.issue(store, {'identity': {
            'methods': ['password'], 'password': {'user': {
                'name': 'demo', 'domain': {'id': 'default'},
                'password': 'secret'}}}})
        _, second = accounts.issue(store, {'identity': {
            'methods': ['token'], 'token': {'id': text}}})
        self.assertEqual(first.audit_id, second.audit_chain_id)
