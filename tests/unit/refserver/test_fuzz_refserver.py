"""Property tests over the reference server's HTTP surface (no sockets).

Hypothesis builds requests of every shape (methods, paths, headers,
microversion strings, JSON bodies of any shape, non-UTF-8 and oversized
bodies) and sends them to the WSGI application in-process with
``webob.Request.blank``. Whatever arrives, the server must answer like
Nova would answer garbage: never a 5xx, never a traceback in a response,
and a request it refuses leaves the state exactly as it was. The wall
clock is frozen, so reading a migration cannot move it on and any change
to the state is the request's doing.
"""

import json
import urllib.parse

import webob
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from novaclient_force.refserver import app as app_mod
from novaclient_force.refserver.edge import microversions, policy
from novaclient_force.refserver.handlers import compute
from novaclient_force.refserver.notify import notifier
from novaclient_force.refserver.state import accounts, scenarios, seed
from novaclient_force.refserver.state import store as store_mod
from tests import testcase

FROZEN = 1_800_000_000.0
TABLES = ('servers', 'migrations', 'actions', 'events', 'tokens', 'users',
          'assignments', 'projects', 'hosts', 'links', 'meta')
SERVER_NAMES = ('busy-vm', 'busy-vm-2', 'idle-vm')
DEMO = accounts.project_id('demo')
ADMIN = accounts.project_id('admin')

# Nested deeper than Python's JSON decoder can recurse, yet small.
DEEP_JSON = b'[' * 5000 + b']' * 5000

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _build():
    store = store_mod.Store(':memory:', 1.0, wall=lambda: FROZEN)
    seed.seed(store, scenarios.load('stuck-migration'))
    services = compute.Services(store, policy.Policy(),
                                notifier.Notifier(None),
                                microversions.MAX_VERSION)
    return app_mod.RefServerApp(services), store


def _token(store, user, project):
    text, _ = accounts.issue(store, {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'password': 'secret',
            'domain': {'id': 'default'}}}},
        'scope': {'project': {'name': project,
                              'domain': {'id': 'default'}}}})
    return text


def snapshot(store):
    """Every row of every table, to compare before and after a request."""
    with store.transaction() as db:
        return {table: [tuple(row) for row in db.all(
            f'SELECT * FROM {table} ORDER BY 1')] for table in TABLES}


# -- strategies -----------------------------------------------------------

_HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xff,
                  blacklist_characters='\x7f'), max_size=40)

_VERSIONS = st.one_of(
    st.sampled_from(['2.1', '2.22', '2.23', '2.24', '2.59', '2.65', '2.80',
                     '2.104', '2.105', '2.0', '3.0', '1.5', 'latest',
                     'LATEST', '2.022', '2', 'v2.1', '', ' 2.80 ',
                     '2.80, 2.1']),
    st.builds('{}.{}'.format, st.integers(-1, 12), st.integers(-5, 300)),
    _HEADER_TEXT)

_VERSION_HEADERS = st.one_of(
    st.just({}),
    st.builds(lambda v: {'OpenStack-API-Version': 'compute ' + v},
              _VERSIONS),
    st.builds(lambda v: {'OpenStack-API-Version': v}, _HEADER_TEXT),
    st.builds(lambda v: {'X-OpenStack-Nova-API-Version': v}, _VERSIONS),
    st.builds(lambda a, b: {'OpenStack-API-Version': 'compute ' + a,
                            'X-OpenStack-Nova-API-Version': b},
              _VERSIONS, _VERSIONS))

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)

_ACTION_BODIES = st.one_of(
    st.just({'force_complete': None}),
    st.builds(lambda v: {'force_complete': v}, _JSON),
    st.builds(lambda v: {'os-migrateLive': v}, _JSON),
    st.just({'os-migrateLive': {'host': None, 'block_migration': 'auto'}}),
    st.builds(lambda k, v: {k: v}, st.sampled_from(
        ['pause', 'unpause', 'lock', 'unlock', 'force_complete']), _JSON),
    st.dictionaries(st.sampled_from(['force_complete', 'pause', 'x']),
                    _JSON, min_size=2, max_size=3),
    st.builds(lambda u, p: {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': u, 'password': p, 'domain': {'id': 'default'}}}}}},
        st.sampled_from(['admin', 'demo', 'nobody', '']),
        st.sampled_from(['secret', 'wrong', ''])))

_BODIES = st.one_of(
    st.none(),
    st.builds(lambda v: json.dumps(v).encode(), _JSON),
    st.builds(lambda v: json.dumps(v).encode(), _ACTION_BODIES),
    st.binary(max_size=64),
    st.just(b'\xff\xfe{"force_complete": null}'),
    st.just(b'{"force_complete": "\xff"}'),
    st.just(b'{"force_complete": null}'
            + b' ' * (app_mod.MAX_BODY + 1)),
    st.just(DEEP_JSON))


def _segments(server_ids):
    words = st.sampled_from(
        ['servers', 'detail', 'migrations', 'action', 'os-migrations',
         'os-instance-actions', 'v2.1', 'v3', 'auth', 'tokens', '1', '2',
         '0', '-1', '99999999999999999999', DEMO, ADMIN, '%ff', '%00',
         '..', '', 'x' * 300] + list(server_ids) + list(SERVER_NAMES))
    free = st.text(max_size=12).map(
        lambda s: urllib.parse.quote(s, safe=''))
    return st.lists(st.one_of(words, free), max_size=6)


def _paths(server_ids):
    prefixes = st.sampled_from(
        ['/compute/v2.1', '/compute/v2.1/' + DEMO, '/compute/v2.1/' + ADMIN,
         '/compute', '/compute/v2', '/identity', '/identity/v3', '',
         '/compute/v2.1/servers/' + server_ids[0] + '/migrations/1'])
    return st.builds(lambda prefix, parts: '/'.join([prefix] + parts),
                     prefixes, _segments(server_ids))


_QUERIES = st.one_of(
    st.just(''),
    st.builds(lambda pairs: urllib.parse.urlencode(pairs),
              st.lists(st.tuples(
                  st.sampled_from(['limit', 'marker', 'all_tenants', 'name',
                                   'host', 'status', 'instance_uuid',
                                   'migration_type', 'changes-since',
                                   'project_id', 'nocatalog', 'x']),
                  st.text(max_size=10)), max_size=3)),
    st.just('limit=%ff'), st.just('name=%C0%AF'))

_METHODS = st.sampled_from(
    ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE',
     'get', 'FORCE'])

_CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(['application/json', 'application/json; charset=utf-8',
                     'application/vnd.openstack.compute+json', 'text/plain',
                     '', 'application/xml', 'multipart/form-data']),
    _HEADER_TEXT)


class TestRefServerHTTPSurface(testcase.TestCase):
    """Any request: no 5xx, no traceback, no change when refused."""

    def setUp(self):
        super().setUp()
        self.app, self.store = _build()
        self.tokens = {
            'admin': _token(self.store, 'admin', 'admin'),
            'manager': _token(self.store, 'demo-manager', 'demo'),
            'reader': _token(self.store, 'demo-reader', 'demo'),
            'malformed': 'gAAAAA' + 'x' * 40,
            'empty': '',
        }
        with self.store.transaction() as db:
            self.server_ids = [row['uuid'] for row in db.all(
                'SELECT uuid FROM servers ORDER BY name')]
        self.requests = 0
        self.refused = 0
        self.statuses = {}

    def send(self, method, path, query, headers, body):
        req = webob.Request.blank(path, method=method)
        if query:
            req.environ['QUERY_STRING'] = query
        for name, value in headers.items():
            req.headers[name] = value
        if body is not None:
            req.body = body
        resp = req.get_response(self.app)
        self.requests += 1
        self.statuses[resp.status_int] = (
            self.statuses.get(resp.status_int, 0) + 1)
        return resp

    def check(self, resp, before, request):
        self.assertLess(resp.status_int, 500, (request, resp.body[:300]))
        self.assertNotIn(b'Traceback', resp.body, request)
        self.assertNotIn(b'File "', resp.body, request)
        if resp.status_int >= 400:
            self.refused += 1
            self.assertEqual(before, snapshot(self.store), request)

    @SETTINGS
    @given(data=st.data())
    def test_any_request(self, data):
        method = data.draw(_METHODS)
        path = data.draw(_paths(self.server_ids))
        query = data.draw(_QUERIES)
        token = data.draw(st.sampled_from(sorted(self.tokens) + [None]))
        headers = dict(data.draw(_VERSION_HEADERS))
        if token is not None:
            headers['X-Auth-Token'] = self.tokens[token]
        content_type = data.draw(_CONTENT_TYPES)
        if content_type is not None:
            headers['Content-Type'] = content_type
        extra = data.draw(st.dictionaries(
            st.sampled_from(['Accept', 'X-Subject-Token', 'Content-Length',
                             'Connection', 'Host', 'X-Forwarded-For']),
            _HEADER_TEXT, max_size=2))
        if 'Content-Length' in extra:
            extra['Content-Length'] = data.draw(st.sampled_from(
                ['-1', '0', 'abc', '1', str(app_mod.MAX_BODY + 1)]))
        headers.update(extra)
        body = data.draw(_BODIES)
        request = (method, path, query, headers,
                   body[:80] if body else body)
        before = snapshot(self.store)
        resp = self.send(method, path, query, headers, body)
        self.check(resp, before, request)

    @SETTINGS
    @given(version_headers=_VERSION_HEADERS, body=_BODIES,
           content_type=_CONTENT_TYPES,
           target=st.sampled_from(['busy', 'other', 'missing', 'name']),
           migration=st.sampled_from(['1', '2', '999', 'abc', '-1',
                                      '00000000-0000-4000-8000-000000000001',
                                      '1.0', ' 1', '%31']),
           token=st.sampled_from(['admin', 'manager', 'reader',
                                  'malformed']))
    def test_force_complete_action(self, version_headers, body,
                                   content_type, target, migration, token):
        """The one mutating call of the workflow, with every argument
        bent: only a well-formed request by an allowed caller on a running
        migration may change anything."""
        server = {'busy': self.server_ids[0], 'other': self.server_ids[1],
                  'missing': '00000000-0000-4000-8000-0000000000ff',
                  'name': 'busy-vm'}[target]
        headers = dict(version_headers, **{
            'X-Auth-Token': self.tokens[token]})
        if content_type is not None:
            headers['Content-Type'] = content_type
        path = f'/compute/v2.1/servers/{server}/migrations/{migration}/action'
        before = snapshot(self.store)
        resp = self.send('POST', path, '', headers, body)
        self.check(resp, before, (path, headers, body and body[:80]))
        if resp.status_int == 202:
            self.assertEqual(b'', resp.body)
            self.assertIn(token, ('admin', 'manager'))

    def test_oversized_body_is_413_everywhere(self):
        """Nova's sizelimit filter: 413 before anything else runs."""
        body = b'{"force_complete": null}' + b' ' * app_mod.MAX_BODY
        before = snapshot(self.store)
        for path in (f'/compute/v2.1/servers/{self.server_ids[0]}'
                     '/migrations/1/action', '/identity/v3/auth/tokens',
                     '/compute/v2.1/servers'):
            resp = self.send('POST', path, '', {
                'X-Auth-Token': self.tokens['admin'],
                'OpenStack-API-Version': 'compute 2.80',
                'Content-Type': 'application/json'}, body)
            self.assertEqual(413, resp.status_int, path)
        self.assertEqual(before, snapshot(self.store))

    def test_deeply_nested_json_is_a_bad_request(self):
        """JSON nested past the decoder's recursion limit is malformed
        input (400), not a server failure."""
        headers = {'X-Auth-Token': self.tokens['admin'],
                   'OpenStack-API-Version': 'compute 2.80',
                   'Content-Type': 'application/json'}
        before = snapshot(self.store)
        for path in (f'/compute/v2.1/servers/{self.server_ids[0]}'
                     '/migrations/1/action',
                     f'/compute/v2.1/servers/{self.server_ids[0]}/action',
                     '/identity/v3/auth/tokens'):
            resp = self.send('POST', path, '', headers, DEEP_JSON)
            self.assertEqual(400, resp.status_int, (path, resp.body))
        self.assertEqual(before, snapshot(self.store))
