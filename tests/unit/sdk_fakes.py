"""A fake cloud for the SDK unit tests: keystone token + compute mocks.

requests-mock serves Keystone (a real v3 token with a catalog, built with
keystoneauth's fixture) and whatever compute answers a test registers; the
request history is what round-trip assertions count.
"""

import fixtures
import testtools
from keystoneauth1 import fixture as ksa_fixture
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3
from requests_mock.contrib import fixture as rm_fixture

from novaclient_force import client
from novaclient_force.v2 import server_migrations

AUTH_URL = 'http://keystone.test/identity/v3'
COMPUTE = 'http://nova.test/compute/v2.1'
SERVER = '9128d044-7b61-403e-b766-7547076ff6c1'
MIGRATION_UUID = '12341d4b-346a-40d0-83c6-5f4f6892b650'
PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'


def fault(code, key, message):
    return {'json': {key: {'code': code, 'message': message}},
            'status_code': code}


def migration_row(mid=7, status='running', uuid=MIGRATION_UUID,
                  server=SERVER, processed=None, remaining=None, total=None,
                  **extra):
    row = {'id': mid, 'uuid': uuid, 'server_uuid': server,
           'status': status, 'source_compute': 'compute-1',
           'dest_compute': 'compute-2',
           'memory_processed_bytes': processed,
           'memory_remaining_bytes': remaining,
           'memory_total_bytes': total}
    row.update(extra)
    return row


def os_migration_row(mid=7, status='running', server=SERVER,
                     host='compute-1', uuid=None, **extra):
    row = {'id': mid, 'uuid': uuid or '%08d-0000-4000-8000-000000000000'
           % mid, 'instance_uuid': server, 'status': status,
           'migration_type': 'live-migration', 'source_compute': host,
           'dest_compute': 'compute-2'}
    row.update(extra)
    return row


class FakeClock:
    """Injectable clock and sleep: sleeping advances the clock."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class SDKTestCase(testtools.TestCase):
    roles = ('admin',)

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(
            'NOVACLIENT_UUID_CACHE_DIR', self.useFixture(
                fixtures.TempDir()).path))
        self.requests = self.useFixture(rm_fixture.Fixture())
        token = ksa_fixture.V3Token(project_id=PROJECT)
        token.set_project_scope(id=PROJECT, name='demo')
        for role in self.roles:
            token.add_role(name=role)
        service = token.add_service('compute')
        service.add_standard_endpoints(public=COMPUTE, region='RegionOne')
        self.token = token
        self.requests.post(AUTH_URL + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'secret-token'},
                           status_code=201)
        auth = v3.Password(auth_url=AUTH_URL, username='admin',
                           password='secret', project_name='demo',
                           user_domain_id='default',
                           project_domain_id='default')
        self.session = ksa_session.Session(auth=auth)
        self.clock = FakeClock()

    def client(self, api_version=None):
        nc = client.Client(session=self.session, api_version=api_version)
        return nc

    def manager(self, api_version=None):
        """Our manager with the fake clock, on a fresh client."""
        nc = self.client(api_version)
        return server_migrations.ServerMigrationsManager(
            nc.compute, pinned=nc.server_migrations._pinned,
            clock=self.clock, sleep=self.clock.sleep)

    def compute_calls(self):
        return [(r.method, r.path + ('?' + r.query if r.query else ''))
                for r in self.requests.request_history
                if r.url.startswith('http://nova.test')]

    def versions_sent(self):
        return [r.headers.get('OpenStack-API-Version')
                for r in self.requests.request_history
                if r.url.startswith(COMPUTE + '/')]

    def url(self, path):
        return COMPUTE + path
