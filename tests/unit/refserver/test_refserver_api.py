"""Reference server API through WebOb (no sockets), with a fake wall clock.

``RefServerTestCase`` is the harness the other test_refserver_* modules
use: a fresh in-memory state seeded with a small scenario built here, so
each force_complete precondition has a server that exercises it.
"""

import json
import types

import webob

from novaclient_force.refserver import app as app_mod
from novaclient_force.refserver.edge import policy, validation
from novaclient_force.refserver.handlers import compute
from novaclient_force.refserver.notify import notifier
from novaclient_force.refserver.state import seed, simulator
from novaclient_force.refserver.state import store as store_mod
from tests import testcase

GIB = 1024 ** 3
BUSY = '00000000-0000-4000-8000-000000000001'
BUSY2 = '00000000-0000-4000-8000-000000000002'
IDLE = '00000000-0000-4000-8000-000000000003'
LOCKED = '00000000-0000-4000-8000-000000000004'
PAUSED = '00000000-0000-4000-8000-000000000005'
ALT = '00000000-0000-4000-8000-000000000006'
MISSING = '00000000-0000-4000-8000-0000000000ff'


def _server(name, uuid, project='demo', memory=4 * GIB, dirty=2e9,
            vm_state='active', locked=False):
    return types.SimpleNamespace(
        name=name, uuid=uuid, project=project, host='compute-1',
        memory_bytes=memory, dirty_rate=dirty, vm_state=vm_state,
        locked=locked, disk_bytes=0, working_set_bytes=None)


def _migration(server):
    return types.SimpleNamespace(
        server=server, dest='compute-2', status='running', started_ago=60,
        uuid=None, id=None, block_migration=False)


def scenario():
    """busy-vm (migration 1), locked-vm (2) and paused-vm (3) are
    migrating and never converge; busy-vm-2 and idle-vm are not. No limit
    on concurrent live migrations: all three run, sharing the link to
    compute-2."""
    return types.SimpleNamespace(
        users=[], projects=[], default_bandwidth=1.25e9,
        config=simulator.LiveMigrationConfig(),
        max_concurrent_live_migrations=0,
        hosts=[types.SimpleNamespace(name=f'compute-{i}',
                                     permit_post_copy=False)
               for i in (1, 2, 3)],
        links=[],
        servers=[_server('busy-vm', BUSY), _server('busy-vm-2', BUSY2),
                 _server('idle-vm', IDLE, memory=GIB, dirty=1e6),
                 _server('locked-vm', LOCKED, locked=True),
                 _server('paused-vm', PAUSED, vm_state='paused'),
                 _server('alt-vm', ALT, project='alt_demo')],
        migrations=[_migration('busy-vm'), _migration('locked-vm'),
                    _migration('paused-vm')])


class FakeWall:
    def __init__(self):
        self.now = 1_750_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class RefServerTestCase(testcase.TestCase):
    max_version = (2, 104)
    policy_file = None

    def setUp(self):
        super().setUp()
        self.wall = FakeWall()
        self.store = store_mod.Store(wall=self.wall)
        self.addCleanup(self.store.close)
        seed.seed(self.store, self.make_scenario())
        self.services = compute.Services(
            self.store, policy.Policy(self.policy_file), notifier.Notifier(),
            self.max_version)
        self.app = app_mod.RefServerApp(self.services)
        self._tokens = {}

    def make_scenario(self):
        return scenario()

    def token(self, user='admin', project='admin'):
        if (user, project) not in self._tokens:
            resp = self.request('POST', '/identity/v3/auth/tokens', {
                'auth': {'identity': {'methods': ['password'], 'password': {
                    'user': {'name': user, 'domain': {'id': 'default'},
                             'password': 'secret'}}},
                    'scope': {'project': {'name': project,
                                          'domain': {'id': 'default'}}}}},
                token=None)
            self.assertEqual(201, resp.status_int, resp.body)
            self._tokens[user, project] = resp.headers['X-Subject-Token']
        return self._tokens[user, project]

    def request(self, method, path, body=None, user='admin',
                project=None, version=None, headers=None, raw=None,
                token=True):
        req = webob.Request.blank(path, method=method)
        if raw is not None:
            req.body = raw
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        if token is True:
            default = 'admin' if user == 'admin' else (
                'alt_demo' if user.startswith('alt') else 'demo')
            req.headers['X-Auth-Token'] = self.token(user,
                                                     project or default)
        elif token:
            req.headers['X-Auth-Token'] = token
        if version:
            req.headers['OpenStack-API-Version'] = 'compute ' + version
        for name, value in (headers or {}).items():
            req.headers[name] = value
        return req.get_response(self.app)

    def compute(self, method, path, body=None, **kwargs):
        return self.request(method, '/compute/v2.1' + path, body, **kwargs)

    def assertFault(self, resp, code, message, key=None):
        self.assertEqual(code, resp.status_int, resp.body)
        body = json.loads(resp.body)
        key = key or {400: 'badRequest', 403: 'forbidden',
                      404: 'itemNotFound', 409: 'conflictingRequest',
                      415: 'badMediaType'}[code]
        self.assertEqual({key: {'code': code, 'message': message}}, body)


class TestDiscovery(RefServerTestCase):
    def test_root_lists_versions_without_media_types(self):
        resp = self.request('GET', '/compute/', token=None)
        self.assertEqual(200, resp.status_int)
        versions = json.loads(resp.body)['versions']
        self.assertEqual(['v2.0', 'v2.1'], [v['id'] for v in versions])
        self.assertEqual('2.104', versions[1]['version'])
        self.assertNotIn('media-types', versions[1])
        self.assertNotIn('x-openstack-request-id', resp.headers)

    def test_v21_document_needs_no_token_and_echoes_version(self):
        for path in ('/compute/v2.1', '/compute/v2.1/'):
            resp = self.request('GET', path, token=None, version='2.50')
            self.assertEqual(200, resp.status_int)
            doc = json.loads(resp.body)['version']
            self.assertEqual('2.1', doc['min_version'])
            self.assertEqual('http://localhost/compute/v2.1/',
                             doc['links'][0]['href'])
            self.assertEqual('compute 2.50',
                             resp.headers['OpenStack-API-Version'])
            self.assertTrue(resp.headers['x-openstack-request-id']
                            .startswith('req-'))

    def test_unversioned_path_is_300(self):
        resp = self.request('GET', '/compute/servers', token=None)
        self.assertEqual(300, resp.status_int)
        self.assertIn('choices', json.loads(resp.body))

    def test_identity_discovery(self):
        resp = self.request('GET', '/identity', token=None)
        self.assertEqual(300, resp.status_int)
        self.assertEqual('http://localhost/identity/v3/',
                         resp.headers['Location'])
        resp = self.request('GET', '/identity/v3', token=None)
        self.assertEqual('v3.14', json.loads(resp.body)['version']['id'])


class TestMaxMicroversion(RefServerTestCase):
    max_version = (2, 60)

    def test_lowered_maximum(self):
        doc = json.loads(self.request('GET', '/compute/v2.1',
                                      token=None).body)
        self.assertEqual('2.60', doc['version']['version'])
        resp = self.compute('GET', '/servers', version='2.61')
        self.assertFault(resp, 406, 'Version 2.61 is not supported by the '
                         'API. Minimum is 2.1 and maximum is 2.60.',
                         key='computeFault')
        resp = self.compute('GET', '/servers', version='latest')
        self.assertEqual('compute 2.60',
                         resp.headers['OpenStack-API-Version'])


class TestMicroversionHeaders(RefServerTestCase):
    def test_no_header_is_21_with_both_headers_and_two_vary_lines(self):
        resp = self.compute('GET', '/servers')
        self.assertEqual('compute 2.1', resp.headers['OpenStack-API-Version'])
        self.assertEqual('2.1', resp.headers['X-OpenStack-Nova-API-Version'])
        vary = [v for k, v in resp.headerlist if k == 'Vary']
        self.assertEqual(['OpenStack-API-Version',
                          'X-OpenStack-Nova-API-Version'], vary)

    def test_standard_header_wins_over_legacy(self):
        resp = self.compute('GET', '/servers', headers={
            'OpenStack-API-Version': 'compute 2.30',
            'X-OpenStack-Nova-API-Version': '2.40'})
        self.assertEqual('2.30', resp.headers['X-OpenStack-Nova-API-Version'])

    def test_legacy_header_alone(self):
        resp = self.compute('GET', '/servers', headers={
            'X-OpenStack-Nova-API-Version': '2.40'})
        self.assertEqual('compute 2.40', resp.headers['OpenStack-API-Version'])

    def test_latest_is_case_sensitive(self):
        resp = self.compute('GET', '/servers', version='latest')
        self.assertEqual('compute 2.104',
                         resp.headers['OpenStack-API-Version'])
        resp = self.compute('GET', '/servers', version='LATEST')
        self.assertFault(resp, 400, 'API Version String LATEST is of '
                         'invalid format. Must be of format '
                         'MajorNum.MinorNum.')
        self.assertNotIn('OpenStack-API-Version', resp.headers)

    def test_out_of_range_is_406_echoing_the_request(self):
        resp = self.compute('GET', '/servers', version='2.105')
        self.assertFault(resp, 406, 'Version 2.105 is not supported by the '
                         'API. Minimum is 2.1 and maximum is 2.104.',
                         key='computeFault')
        self.assertEqual('compute 2.105',
                         resp.headers['OpenStack-API-Version'])

    def test_bad_formats(self):
        for text in ('2.022', '2', 'v2.1'):
            resp = self.compute('GET', '/servers', version=text)
            self.assertEqual(400, resp.status_int, text)

    def test_wrong_method_is_webob_404_without_version_headers(self):
        resp = self.compute('PUT', '/servers',
                            headers={'Accept': 'application/json'})
        self.assertEqual(404, resp.status_int)
        self.assertEqual('404 Not Found', json.loads(resp.body)['code'])
        self.assertNotIn('OpenStack-API-Version', resp.headers)
        self.assertIn('x-openstack-request-id', resp.headers)


class TestAuth(RefServerTestCase):
    def test_missing_and_bad_token(self):
        for token in (None, 'not-a-token'):
            resp = self.compute('GET', '/servers', token=token)
            self.assertEqual(401, resp.status_int)
            self.assertEqual(
                {'error': {'code': 401, 'title': 'Unauthorized',
                           'message': 'The request you have made requires '
                                      'authentication.'}},
                json.loads(resp.body))
            self.assertEqual('Keystone uri="http://localhost/identity"',
                             resp.headers['WWW-Authenticate'])

    def test_token_expires_after_an_hour(self):
        self.token()
        self.wall.advance(3601)
        self.assertEqual(401, self.compute('GET', '/servers').status_int)

    def test_wrong_password(self):
        resp = self.request('POST', '/identity/v3/auth/tokens', {
            'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'admin', 'domain': {'id': 'default'},
                         'password': 'nope'}}}}}, token=None)
        self.assertEqual(401, resp.status_int)
        self.assertNotIn(b'nope', resp.body)

    def test_implied_roles_and_catalog(self):
        resp = self.request('POST', '/identity/v3/auth/tokens', {
            'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'demo-manager',
                         'domain': {'name': 'Default'},
                         'password': 'secret'}}},
                'scope': {'project': {'name': 'demo',
                                      'domain': {'name': 'Default'}}}}},
            token=None)
        token = json.loads(resp.body)['token']
        self.assertEqual(['manager', 'member', 'reader'],
                         [r['name'] for r in token['roles']])
        compute_entry = [c for c in token['catalog']
                         if c['type'] == 'compute'][0]
        self.assertEqual({'public', 'internal', 'admin'},
                         {e['interface'] for e in compute_entry['endpoints']})
        self.assertEqual('http://localhost/compute/v2.1',
                         compute_entry['endpoints'][0]['url'])

    def test_validate_token(self):
        subject = self.token('demo', 'demo')
        resp = self.request('GET', '/identity/v3/auth/tokens',
                            headers={'X-Subject-Token': subject})
        self.assertEqual(200, resp.status_int)
        self.assertEqual('demo',
                         json.loads(resp.body)['token']['user']['name'])
        resp = self.request('GET', '/identity/v3/auth/tokens',
                            headers={'X-Subject-Token': 'bogus'})
        self.assertEqual(404, resp.status_int)

    def rescope(self, token, project):
        return self.request('POST', '/identity/v3/auth/tokens', {
            'auth': {'identity': {'methods': ['token'],
                                  'token': {'id': token}},
                     'scope': {'project': {'name': project,
                                           'domain': {'id': 'default'}}}}},
            token=None)

    def test_token_method_rescopes_a_live_token(self):
        self.wall.advance(600)
        original = self.token('admin', 'admin')
        self.wall.advance(600)
        resp = self.rescope(original, 'demo')
        self.assertEqual(201, resp.status_int, resp.body)
        body = json.loads(resp.body)['token']
        self.assertEqual(('admin', 'demo'), (body['user']['name'],
                                             body['project']['name']))
        # It expires with the token it was made from, not an hour later.
        self.assertEqual(
            json.loads(self.request(
                'GET', '/identity/v3/auth/tokens',
                headers={'X-Subject-Token': original}).body)['token'][
                    'expires_at'], body['expires_at'])
        new = resp.headers['X-Subject-Token']
        self.assertEqual(200, self.compute('GET', '/servers',
                                           token=new).status_int)

    def test_token_method_refuses_dead_tokens_and_unassigned_projects(self):
        self.assertEqual(401, self.rescope('bogus', 'demo').status_int)
        self.assertEqual(401, self.rescope(None, 'demo').status_int)
        demo = self.token('demo', 'demo')
        self.assertEqual(401, self.rescope(demo, 'admin').status_int)
        self.wall.advance(3601)
        self.assertEqual(401, self.rescope(demo, 'demo').status_int)

    def test_no_role_on_project_is_refused(self):
        resp = self.request('POST', '/identity/v3/auth/tokens', {
            'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'demo', 'domain': {'id': 'default'},
                         'password': 'secret'}}},
                'scope': {'project': {'name': 'admin',
                                      'domain': {'id': 'default'}}}}},
            token=None)
        self.assertEqual(401, resp.status_int)


class TestRobustness(RefServerTestCase):
    def test_huge_body_is_413(self):
        resp = self.compute('POST', f'/servers/{BUSY}/action',
                            raw=b'x' * 200000)
        self.assertEqual(413, resp.status_int)

    def test_non_utf8_body(self):
        resp = self.compute('POST', f'/servers/{BUSY}/action',
                            raw=b'\xff\xfe{', version='2.22')
        self.assertFault(resp, 400, 'Malformed request body')

    def test_odd_input_never_gives_a_500(self):
        cases = [
            ('GET', '/servers/detail?name=%ff', {}),
            ('GET', '/servers/%ff', {}),
            ('GET', '/servers?limit=abc', {}),
            ('GET', '/servers?marker=zzz', {}),
            ('GET', '/os-migrations?changes-since=garbage',
             {'version': '2.59'}),
            ('GET', '/os-migrations?limit=-1', {'version': '2.59'}),
            ('POST', f'/servers/{BUSY}/action',
             {'raw': b'{"os-migrateLive": 5}'}),
            ('POST', f'/servers/{BUSY}/action',
             {'raw': b'{"lock": {"locked_reason": 5}}', 'version': '2.73'}),
            ('DELETE', f'/servers/{BUSY}/migrations/1',
             {'raw': b'\xff', 'version': '2.24'}),
            ('GET', '/servers',
             {'headers': {'OpenStack-API-Version': 'compute'}}),
        ]
        for method, path, kwargs in cases:
            resp = self.compute(method, path, **kwargs)
            self.assertIn(resp.status_int, (200, 400, 404), path)
            self.assertNotIn(b'Traceback', resp.body)
        for raw in (b'\xff', b'{"auth": {"identity": {"methods": '
                                b'["password"], "password": 5}}}'):
            resp = self.request('POST', '/identity/v3/auth/tokens', raw=raw,
                                token=None)
            self.assertIn(resp.status_int, (400, 401))

    def test_unknown_route(self):
        self.assertEqual(404, self.compute('GET', '/nothing').status_int)
        self.assertEqual(404, self.request('GET', '/else').status_int)


class TestValidationFaults(RefServerTestCase):
    """Nova names the innermost key of the failing path
    (``nova/api/validation/validators.py``, ``_SchemaValidator``)."""

    def migrate_live(self, body, version='2.68'):
        return self.compute('POST', f'/servers/{BUSY2}/action',
                            {'os-migrateLive': body}, version=version)

    def test_nested_attribute_is_named_by_its_own_key(self):
        resp = self.migrate_live({'host': 5, 'block_migration': False})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "host. Value: 5. 5 is not of type 'string', "
                         "'null'")
        resp = self.migrate_live({'host': None, 'block_migration': 'x'})
        allowed = validation.BOOLEAN['enum'] + ['auto']
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "block_migration. Value: x. 'x' is not one of "
                         f"{allowed!r}")

    def test_missing_key_is_reported_on_the_object_lacking_it(self):
        resp = self.migrate_live({'block_migration': False})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "os-migrateLive. Value: {'block_migration': "
                         "False}. 'host' is a required property")
        # Before 2.25 disk_over_commit comes before host in Nova's list.
        resp = self.migrate_live({'block_migration': False}, '2.24')
        self.assertIn("'disk_over_commit' is a required property",
                      json.loads(resp.body)['badRequest']['message'])

    def test_host_keywords_in_nova_order_and_wording(self):
        resp = self.migrate_live({'host': '', 'block_migration': False})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "host. Value: . '' should be non-empty")
        bad = 'a b' * 100
        resp = self.migrate_live({'host': bad, 'block_migration': False})
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         f"host. Value: {bad}. {bad!r} does not match "
                         "'^[a-zA-Z0-9-._]*$'")

    def test_action_value_of_the_wrong_type(self):
        resp = self.compute('POST', f'/servers/{BUSY2}/action',
                            {'lock': 5}, version='2.73')
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "lock. Value: 5. 5 is not of type 'object', "
                         "'null'")
        resp = self.compute('POST', f'/servers/{BUSY2}/action',
                            {'lock': {'locked_reason': ''}}, version='2.73')
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "locked_reason. Value: . '' should be non-empty")
