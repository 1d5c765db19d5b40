"""Finding the server and the migration, counting round trips."""

import urllib.parse

from novaclient_force import exceptions
from tests.unit.sdk import sdk_fakes as f

INDEX = f.COMPUTE + f'/servers/{f.SERVER}/migrations'
ACTION = f.COMPUTE + f'/servers/{f.SERVER}/migrations/7/action'


class Named:
    id = f.SERVER
    name = 'busy-vm'


class TestServer(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.requests.post(ACTION, status_code=202)

    def servers(self, *entries):
        self.requests.get(f.COMPUTE + '/servers', json={'servers': [
            {'id': sid, 'name': name, 'links': []} for sid, name in entries]})

    def query(self):
        get = [r for r in self.requests.request_history
               if r.method == 'GET'][0]
        return urllib.parse.parse_qs(urllib.parse.urlsplit(get.url).query)

    def test_uuid_is_used_without_lookup(self):
        self.client().server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual(1, len(self.compute_calls()))

    def test_object_with_id(self):
        result = self.client().server_migrations.force_complete(Named(), 7)
        self.assertEqual(1, len(self.compute_calls()))
        self.assertEqual('busy-vm', result.server_name)

    def test_name_costs_one_request_with_an_anchored_escaped_regex(self):
        # Nova's name filter is a regex: 'web.1' would match 'web11'.
        self.servers((f.SERVER, 'web.1'), ('other', 'web11'))
        result = self.client().server_migrations.force_complete('web.1', 7)
        self.assertEqual(f.SERVER, result.server)
        self.assertEqual('web.1', result.server_name)
        self.assertEqual(['^web\\.1$'], self.query()['name'])
        self.assertEqual(['1'], self.query()['all_tenants'])
        self.assertEqual(2, len(self.compute_calls()))

    def test_ambiguous_name_lists_candidates(self):
        self.servers((f.SERVER, 'vm'), ('2d7c0f8e-0000-4000-8000-0000000000'
                                        '01', 'vm'))
        exc = self.assertRaises(
            exceptions.AmbiguousServer,
            self.client().server_migrations.force_complete, 'vm', 7)
        self.assertIn(f.SERVER, str(exc))
        self.assertIn('2d7c0f8e-0000-4000-8000-000000000001', str(exc))
        self.assertNotIn('POST', [m for m, _ in self.compute_calls()])

    def test_unknown_name(self):
        self.servers()
        exc = self.assertRaises(
            exceptions.ServerNotFound,
            self.client().server_migrations.force_complete, 'ghost', 7)
        self.assertIn('ghost', str(exc))

    def test_empty_server_is_refused_before_sending(self):
        for bad in ('', '  ', None, 5):
            self.assertRaises(exceptions.InvalidArgument,
                              self.client().server_migrations.force_complete,
                              bad, 7)
        self.assertEqual([], self.compute_calls())


class TestServerAsMember(f.SDKTestCase):
    roles = ('member', 'manager')

    def test_no_all_tenants_without_admin(self):
        self.requests.get(f.COMPUTE + '/servers', json={'servers': [
            {'id': f.SERVER, 'name': 'busy-vm'}]})
        self.requests.post(ACTION, status_code=202)
        self.client().server_migrations.force_complete('busy-vm', 7)
        self.assertEqual(
            ('GET', '/compute/v2.1/servers?name=%5ebusy%5c-vm%24'),
            self.compute_calls()[0])


class TestMigration(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.requests.post(ACTION, status_code=202)

    def index(self, *rows):
        self.requests.get(INDEX, json={'migrations': list(rows)})

    def test_digit_string(self):
        result = self.client().server_migrations.force_complete(f.SERVER,
                                                                ' 7 ')
        self.assertEqual(7, result.migration)
        self.assertEqual(1, len(self.compute_calls()))

    def test_the_one_in_progress_costs_one_more_request(self):
        self.index(f.migration_row(7))
        result = self.client().server_migrations.force_complete(f.SERVER)
        self.assertEqual(7, result.migration)
        self.assertEqual(f.MIGRATION_UUID, result.migration_uuid)
        base = f'/compute/v2.1/servers/{f.SERVER}/migrations'
        self.assertEqual([('GET', base), ('POST', f'{base}/7/action')],
                         self.compute_calls())

    def server_task_state(self, task_state):
        self.requests.get(f.COMPUTE + '/servers/' + f.SERVER, json={
            'server': {'id': f.SERVER, 'status': 'ACTIVE',
                       'OS-EXT-STS:task_state': task_state}})

    def test_none_in_progress_names_the_server(self):
        self.index()
        self.server_task_state(None)
        exc = self.assertRaises(
            exceptions.NoMigrationInProgress,
            self.client().server_migrations.force_complete, f.SERVER)
        self.assertEqual(
            f'Server {f.SERVER} has no live migration in progress', str(exc))

    def test_none_in_progress_yet_while_migrating_says_why(self):
        self.index()
        self.server_task_state('migrating')
        exc = self.assertRaises(
            exceptions.NoMigrationInProgress,
            self.client().server_migrations.force_complete, f.SERVER)
        self.assertIn('still be scheduling it (try again in a moment)',
                      str(exc))
        self.assertIn('post-copy', str(exc))
        self.assertNotIn('POST', [m for m, _ in self.compute_calls()])

    def test_several_in_progress_are_listed(self):
        self.index(f.migration_row(7), f.migration_row(8, status='queued'))
        exc = self.assertRaises(
            exceptions.AmbiguousMigration,
            self.client().server_migrations.force_complete, f.SERVER)
        self.assertIn('7 (running), 8 (queued)', str(exc))

    def test_uuid_resolves_to_the_integer_id(self):
        self.index(f.migration_row(3, uuid='aaaaaaaa-0000-4000-8000-'
                                            '000000000000'),
                   f.migration_row(7))
        result = self.client().server_migrations.force_complete(
            f.SERVER, f.MIGRATION_UUID)
        self.assertEqual(7, result.migration)
        self.assertEqual('POST', self.compute_calls()[-1][0])
        self.assertTrue(self.compute_calls()[-1][1].endswith('/7/action'))

    def test_unknown_uuid(self):
        self.index(f.migration_row(7))
        self.assertRaises(
            exceptions.MigrationNotFound,
            self.client().server_migrations.force_complete, f.SERVER,
            '0b1c2d3e-0000-4000-8000-000000000000')

    def test_malformed_migration_is_refused_before_sending(self):
        for bad in ('abc', '-1', -1, 1.5, True, '7a'):
            self.assertRaises(exceptions.InvalidArgument,
                              self.client().server_migrations.force_complete,
                              f.SERVER, bad)
        self.assertEqual([], self.compute_calls())
