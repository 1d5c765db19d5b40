"""Building a client from clouds.yaml, a Connection or a session, and what
it raises when nothing listens."""

import os
import socket

import fixtures
import yaml
from keystoneauth1 import loading
from keystoneauth1 import session as ks_session

from novaclient_force import client, exceptions
from tests import testcase


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TestFromCloud(testcase.TestCase):

    def setUp(self):
        super().setUp()
        # keystoneauth warns about the failed discovery; keep it here.
        self.useFixture(fixtures.FakeLogger('keystoneauth'))
        self.auth_url = f'http://127.0.0.1:{closed_port()}/identity'
        for name in [key for key in os.environ if key.startswith('OS_')]:
            self.useFixture(fixtures.EnvironmentVariable(name))
        self.clouds_yaml = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'clouds.yaml')
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', self.clouds_yaml))

    def write_cloud(self, name, **settings):
        cloud = {'auth': {'auth_url': self.auth_url, 'username': 'admin',
                          'password': 'secret', 'project_name': 'admin',
                          'user_domain_id': 'default',
                          'project_domain_id': 'default'}}
        cloud.update(settings)
        with open(self.clouds_yaml, 'w') as f:
            yaml.safe_dump({'clouds': {name: cloud}}, f)

    def test_settings_of_the_named_cloud(self):
        self.write_cloud('lab', region_name='RegionTwo',
                         compute_api_version='2.60',
                         interface='internal')
        nc = client.Client(cloud='lab')
        self.assertEqual('2.60', nc.api_version.get_string())
        self.assertEqual('RegionTwo', nc.compute.client.region_name)
        self.assertEqual('internal', nc.compute.client.interface)

    def test_os_cloud_when_nothing_is_given(self):
        self.write_cloud('lab', compute_default_microversion='2.70')
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD', 'lab'))
        self.assertEqual('2.70', client.Client().api_version.get_string())

    def test_bare_major_version_pins_nothing(self):
        self.write_cloud('lab', compute_api_version='2')
        nc = client.Client(cloud='lab')
        self.assertIsNone(nc.server_migrations.compute.pinned)

    def test_unknown_cloud_is_a_bad_argument(self):
        self.write_cloud('lab')
        exc = self.assertRaises(exceptions.InvalidArgument, client.Client,
                                cloud='nosuch')
        self.assertIn('nosuch', str(exc))
        self.assertEqual(exceptions.EXIT_USAGE, exc.exit_code)

    def test_no_cloud_configured_is_a_bad_argument(self):
        # No clouds.yaml and no OS_* variables: keystoneauth's loader
        # misses auth_url, which is one line, not a traceback.
        exc = self.assertRaises(exceptions.InvalidArgument, client.Client)
        self.assertIn('auth_url', str(exc))
        self.assertEqual(exceptions.EXIT_USAGE, exc.exit_code)

    def test_one_source_of_credentials(self):
        self.write_cloud('lab')
        exc = self.assertRaises(exceptions.InvalidArgument, client.Client,
                                session=ks_session.Session(), cloud='lab')
        self.assertIn('session and cloud', str(exc))

    def test_connection_session_is_used(self):
        import openstack

        self.write_cloud('lab', region_name='RegionTwo')
        conn = openstack.connect(cloud='lab')
        nc = client.Client(connection=conn)
        self.assertIs(conn.session, nc.compute.client.session)
        self.assertEqual('RegionTwo', nc.compute.client.region_name)

    def test_refused_connection_is_unreachable(self):
        # The identity endpoint refuses: keystoneauth's DiscoveryFailure
        # must not come out as a generic authentication failure.
        self.write_cloud('lab')
        nc = client.Client(cloud='lab')
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                nc.server_migrations.force_complete,
                                'busy-vm')
        self.assertEqual(exceptions.EXIT_UNREACHABLE, exc.exit_code)
        self.assertIn('Connection refused', str(exc))
        self.assertNotIn('Authentication failed', str(exc))

    def test_refused_connection_with_a_session(self):
        # The generic password plugin (keystoneauth's loaders, openstack,
        # nova) discovers the identity version first; v3.Password does not.
        for plugin in (loading.get_plugin_loader('password'),
                       loading.get_plugin_loader('v3password')):
            auth = plugin.load_from_options(
                auth_url=self.auth_url, username='admin', password='secret',
                project_name='admin', user_domain_id='default',
                project_domain_id='default')
            nc = client.Client(session=ks_session.Session(auth=auth))
            self.assertRaises(exceptions.EndpointUnreachable,
                              nc.server_migrations.force_complete,
                              'busy-vm', wait=True, timeout=600)
