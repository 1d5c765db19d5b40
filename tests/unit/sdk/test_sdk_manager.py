"""python-novaclient compatible methods keep their names and types."""

from novaclient import base

from novaclient_force import client, exceptions
from novaclient_force.v2 import server_migrations
from tests.unit.sdk import sdk_fakes as f

INDEX = f.COMPUTE + f'/servers/{f.SERVER}/migrations'


class TestCompatible(f.SDKTestCase):

    def test_is_a_novaclient_manager(self):
        nc = self.client()
        self.assertIsInstance(nc.server_migrations,
                              server_migrations.upstream
                              .ServerMigrationsManager)
        self.assertIs(nc.server_migrations, nc.compute.server_migrations)

    def test_list(self):
        self.requests.get(INDEX, json={'migrations': [f.migration_row()]},
                          headers={'x-openstack-request-id': 'req-9'})
        result = self.client().server_migrations.list(f.SERVER)
        self.assertIsInstance(result, base.ListWithMeta)
        self.assertEqual(7, result[0].id)
        self.assertEqual('running', result[0].status)
        self.assertEqual(['req-9'], result.request_ids)

    def test_get(self):
        self.requests.get(INDEX + '/7', json={'migration':
                                              f.migration_row()})
        migration = self.client().server_migrations.get(f.SERVER, 7)
        self.assertEqual(f.MIGRATION_UUID, migration.uuid)

    def test_get_is_admin_only(self):
        self.requests.get(INDEX + '/7', **f.fault(
            403, 'forbidden', "Policy doesn't allow os_compute_api:servers:"
            "migrations:show to be performed."))
        exc = self.assertRaises(exceptions.PolicyRefused,
                                self.client().server_migrations.get,
                                f.SERVER, 7)
        self.assertIn('os_compute_api:servers:migrations:show refused',
                      str(exc))

    def test_abort(self):
        self.requests.delete(INDEX + '/7', status_code=202)
        result = self.client().server_migrations.live_migration_abort(
            f.SERVER, 7)
        self.assertIsInstance(result, base.TupleWithMeta)
        self.assertEqual(['compute 2.80'], self.versions_sent())

    def test_abort_needs_2_24(self):
        self.assertRaises(exceptions.VersionPinnedTooLow,
                          self.client('2.23').server_migrations
                          .live_migration_abort, f.SERVER, 7)

    def test_live_migrate_force_complete(self):
        self.requests.post(INDEX + '/7/action', status_code=202)
        result = self.client().server_migrations.live_migrate_force_complete(
            f.SERVER, 7)
        self.assertIsInstance(result, base.TupleWithMeta)
        self.assertEqual({'force_complete': None},
                         self.requests.request_history[-1].json())

    def test_other_novaclient_managers_are_reachable(self):
        nc = client.Client(session=self.session)
        self.assertIs(nc.compute.servers, nc.servers)
        self.assertRaises(AttributeError, getattr, nc, 'no_such_manager')
