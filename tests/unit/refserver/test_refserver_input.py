"""Text that is not Unicode: lone surrogates in JSON bodies.

``"\\ud800"`` is valid JSON syntax but no Unicode text: it cannot be
encoded as UTF-8, so it can be neither stored nor compared. Each service
refuses it as a malformed body, in its own error format.
"""

import json

from tests.unit.refserver import test_refserver_api as api

LONE = '\ud800'
KEYSTONE_INVALID_JSON = (
    'Expecting to find valid JSON in request body. The server could not '
    'comply with the request since it is either malformed or otherwise '
    'incorrect. The client is assumed to be in error.')


def _raw(body):
    """JSON text keeping the lone surrogate as its escape."""
    return json.dumps(body).encode('ascii')


class TestLoneSurrogates(api.RefServerTestCase):

    def password_auth(self, user='admin', password='secret',
                      project='admin'):
        return {'auth': {
            'identity': {'methods': ['password'], 'password': {
                'user': {'name': user, 'domain': {'id': 'default'},
                         'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'id': 'default'}}}}}

    def assert_keystone_400(self, body):
        resp = self.request('POST', '/identity/v3/auth/tokens',
                            raw=_raw(body), token=None)
        self.assertEqual(400, resp.status_int, resp.body)
        self.assertEqual({'error': {'code': 400, 'title': 'Bad Request',
                                    'message': KEYSTONE_INVALID_JSON}},
                         json.loads(resp.body))

    def test_password(self):
        self.assert_keystone_400(self.password_auth(password=LONE))

    def test_user_name(self):
        self.assert_keystone_400(self.password_auth(user=LONE))

    def test_project_name(self):
        self.assert_keystone_400(self.password_auth(project='x' + LONE))

    def test_token(self):
        self.assert_keystone_400({'auth': {'identity': {
            'methods': ['token'], 'token': {'id': LONE}}}})

    def test_key(self):
        body = self.password_auth()
        body['auth'][LONE] = 1
        self.assert_keystone_400(body)

    def test_surrogate_pair_is_text(self):
        """A proper pair (an emoji) is fine: just a wrong password."""
        resp = self.request(
            'POST', '/identity/v3/auth/tokens', token=None,
            raw=_raw(self.password_auth(password='\U0001f600')))
        self.assertEqual(401, resp.status_int, resp.body)

    def test_locked_reason(self):
        resp = self.compute('POST', f'/servers/{api.IDLE}/action',
                            raw=_raw({'lock': {'locked_reason': LONE}}),
                            version='2.73',
                            headers={'Content-Type': 'application/json'})
        self.assertFault(resp, 400, 'Malformed request body')
        server = json.loads(self.compute(
            'GET', f'/servers/{api.IDLE}', version='2.73').body)['server']
        self.assertFalse(server['locked'])

    def test_migrate_live_host(self):
        resp = self.compute(
            'POST', f'/servers/{api.IDLE}/action',
            raw=_raw({'os-migrateLive': {'host': LONE,
                                         'block_migration': 'auto'}}),
            version='2.68', headers={'Content-Type': 'application/json'})
        self.assertFault(resp, 400, 'Malformed request body')
