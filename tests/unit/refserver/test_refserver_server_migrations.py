"""force_complete, abort, index and show: each row of the reference tables."""

import json
import os

import fixtures

from novaclient_force.refserver.notify import notifier
from tests.unit.refserver import test_refserver_api as base
from tests.unit.refserver.test_refserver_api import (
    BUSY,
    BUSY2,
    LOCKED,
    MISSING,
    PAUSED,
)

FORCE = {'force_complete': None}


def _path(server, migration=1):
    return f'/servers/{server}/migrations/{migration}/action'


class TestForceCompleteTable(base.RefServerTestCase):
    def force(self, server=BUSY, migration=1, body=FORCE, version='2.22',
              **kwargs):
        return self.compute('POST', _path(server, migration), body,
                            version=version, **kwargs)

    def test_00_no_token(self):
        self.assertEqual(401, self.force(token=None).status_int)

    def test_0b_unsupported_content_type(self):
        resp = self.force(headers={'Content-Type': 'text/xml'})
        self.assertFault(resp, 415, 'Unsupported Content-Type')

    def test_0b_text_plain_is_parsed_as_json(self):
        resp = self.force(headers={'Content-Type': 'text/plain'})
        self.assertEqual(202, resp.status_int, resp.body)

    def test_0c_dispatch_errors_come_before_the_version_check(self):
        for raw in (b'not json', b'', b'{"a": 1, "b": 2}'):
            resp = self.force(raw=raw, version='2.21')
            self.assertFault(resp, 400, 'Malformed request body')
        resp = self.force(body={'force_completed': None})
        self.assertFault(resp, 400,
                         'There is no such action: force_completed')
        for raw in (b'null', b'["x"]', b'"x"'):
            resp = self.force(raw=raw)
            self.assertFault(resp, 404, 'The resource could not be found.')

    def test_0d_url_project_mismatch(self):
        other = '0123456789abcdef0123456789abcdef'
        resp = self.compute('POST', f'/{other}{_path(BUSY)}', FORCE,
                            version='2.22')
        self.assertEqual(400, resp.status_int)
        self.assertIn(f"URL's project_id '{other}'",
                      json.loads(resp.body)['badRequest']['message'])

    def test_url_with_own_project_works(self):
        project = self.admin_project()
        resp = self.compute('POST', f'/{project}{_path(BUSY)}', FORCE,
                            version='2.22')
        self.assertEqual(202, resp.status_int, resp.body)

    def admin_project(self):
        resp = self.request('GET', '/identity/v3/auth/tokens',
                            headers={'X-Subject-Token': self.token()})
        return json.loads(resp.body)['token']['project']['id']

    def test_1_below_222_is_404_even_with_a_bad_schema(self):
        resp = self.force(version='2.21')
        self.assertFault(resp, 404, 'The resource could not be found.')
        self.assertEqual('compute 2.21',
                         resp.headers['OpenStack-API-Version'])
        resp = self.force(body={'force_complete': {}}, version='2.21')
        self.assertEqual(404, resp.status_int)

    def test_2_schema_before_server_lookup(self):
        resp = self.force(server=MISSING, body={'force_complete': {}})
        self.assertFault(resp, 400, 'Invalid input for field/attribute '
                         "force_complete. Value: {}. {} is not of type "
                         "'null'")

    def test_3_unknown_other_project_and_not_uuid(self):
        for server in (MISSING, base.ALT, 'busy-vm'):
            resp = self.force(server=server, user='demo-manager')
            self.assertFault(resp, 404,
                             f'Instance {server} could not be found.')

    def test_4_policy(self):
        for user in ('demo', 'demo-reader'):
            resp = self.force(user=user)
            self.assertFault(resp, 403, "Policy doesn't allow os_compute_api"
                             ':servers:migrations:force_complete to be '
                             'performed.')

    def test_5_locked_for_manager_not_for_admin(self):
        resp = self.force(server=LOCKED, migration=2, user='demo-manager')
        self.assertFault(resp, 409, f'Instance {LOCKED} is locked')
        self.assertEqual(202, self.force(server=LOCKED,
                                         migration=2).status_int)

    def test_6_paused_server(self):
        resp = self.force(server=PAUSED, migration=3)
        self.assertFault(resp, 409, "Cannot 'force_complete' instance "
                         f'{PAUSED} while it is in vm_state paused')

    def test_7_not_migrating_gets_the_generic_text(self):
        resp = self.force(server=BUSY2)
        self.assertFault(resp, 409, f'Instance {BUSY2} is in an invalid '
                         "state for 'force_complete'")

    def test_9_migration_not_found_is_400(self):
        for migration in ('99', 'abc', '2'):
            resp = self.force(migration=migration)
            self.assertFault(resp, 400, f'Migration {migration} not found for '
                             f'instance {BUSY}')

    def test_10_only_running_passes(self):
        self.start_migration(BUSY2)
        for status in ('accepted', 'queued'):
            resp = self.force(server=BUSY2, migration=4)
            self.assertFault(resp, 400, 'Migration 4 state of instance '
                             f'{BUSY2} is {status}. Cannot force complete '
                             'while the '
                             'migration is in this state.')
            self.wall.advance(0.6)      # the conductor has scheduled it

    def start_migration(self, server):
        resp = self.compute('POST', f'/servers/{server}/action',
                            {'os-migrateLive': {'host': None,
                                                'block_migration': 'auto'}},
                            version='2.30')
        self.assertEqual(202, resp.status_int, resp.body)

    def test_11_accepted_then_completes_on_the_destination(self):
        resp = self.force(user='demo-manager')
        self.assertEqual(202, resp.status_int)
        self.assertEqual(b'', resp.body)
        request_id = resp.headers['x-openstack-request-id']
        server = self.show_server(BUSY)
        self.assertEqual('MIGRATING', server['status'])
        self.wall.advance(30)
        server = self.show_server(BUSY)
        self.assertEqual(('ACTIVE', 'compute-2', None),
                         (server['status'], server['OS-EXT-SRV-ATTR:host'],
                          server['OS-EXT-STS:task_state']))
        action = self.action(BUSY, request_id)
        self.assertEqual('live_migration_force_complete', action['action'])
        self.assertEqual([('compute_live_migration_force_complete',
                           'Success')],
                         [(e['event'], e['result']) for e in action['events']])
        migration = json.loads(self.compute(
            'GET', f'/os-migrations?instance_uuid={BUSY}',
            version='2.59').body)['migrations'][0]
        self.assertEqual('completed', migration['status'])
        self.assertNotIn('links', migration)
        # Finished: the task state is back to None, so 409 rather than 400.
        resp = self.force()
        self.assertEqual(409, resp.status_int)

    def show_server(self, server):
        resp = self.compute('GET', f'/servers/{server}', version='2.80')
        return json.loads(resp.body)['server']

    def action(self, server, request_id):
        resp = self.compute('GET', f'/servers/{server}/os-instance-actions/'
                            f'{request_id}', version='2.84')
        return json.loads(resp.body)['instanceAction']


class TestAbort(base.RefServerTestCase):
    def abort(self, server=BUSY, migration=1, version='2.24', **kwargs):
        return self.compute('DELETE',
                            f'/servers/{server}/migrations/{migration}',
                            version=version, **kwargs)

    def test_below_224_is_404(self):
        self.assertEqual(404, self.abort(version='2.23').status_int)

    def test_abort_cancels_and_server_stays_on_source(self):
        resp = self.abort(user='demo-manager')
        self.assertEqual(202, resp.status_int, resp.body)
        self.wall.advance(5)
        resp = self.compute('GET', f'/servers/{BUSY}', version='2.80')
        server = json.loads(resp.body)['server']
        self.assertEqual(('ACTIVE', 'compute-1'),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))
        migration = json.loads(self.compute(
            'GET', f'/os-migrations?instance_uuid={BUSY}',
            version='2.80').body)['migrations'][0]
        self.assertEqual('cancelled', migration['status'])

    def test_not_found_is_404(self):
        resp = self.abort(migration=42)
        self.assertFault(resp, 404,
                         f'Migration 42 not found for instance {BUSY}')

    def test_locked_uses_the_generic_text(self):
        resp = self.abort(server=LOCKED, migration=2, user='demo-manager')
        self.assertFault(resp, 409, f'Instance {LOCKED} is in an invalid '
                         "state for 'abort live migration'")

    def test_queued_needs_265(self):
        self.compute('POST', f'/servers/{BUSY2}/action',
                     {'os-migrateLive': {'host': 'compute-3',
                                         'block_migration': False}},
                     version='2.68')
        resp = self.abort(server=BUSY2, migration=4, version='2.65')
        self.assertFault(resp, 400, 'Migration 4 state of instance '
                         f'{BUSY2} is accepted. Cannot abort live migration '
                         'while the '
                         'migration is in this state.')
        self.wall.advance(0.6)          # the conductor has scheduled it
        resp = self.abort(server=BUSY2, migration=4, version='2.64')
        self.assertFault(resp, 400, 'Migration 4 state of instance '
                         f'{BUSY2} is queued. Cannot abort live migration '
                         'while the '
                         'migration is in this state.')
        resp = self.abort(server=BUSY2, migration=4, version='2.65')
        self.assertEqual(202, resp.status_int)

    def test_force_complete_still_accepted_during_abort(self):
        self.assertEqual(202, self.abort().status_int)
        resp = self.compute('POST', _path(BUSY), FORCE, version='2.22')
        self.assertEqual(202, resp.status_int)


class _PrecheckCase(base.RefServerTestCase):
    """A conductor check that fails (conductor/manager.py _live_migrate,
    conductor/tasks/live_migrate.py): the migration it created ends
    ``error``, the server stays ACTIVE on its host."""

    def migrate(self, host, version, force=None, server=BUSY2):
        body = {'host': host, 'block_migration': False}
        if force is not None:
            body['force'] = force
        elif version < '2.25':
            body['disk_over_commit'] = False
        return self.compute('POST', f'/servers/{server}/action',
                            {'os-migrateLive': body}, version=version)

    def get(self, path, version='2.84'):
        resp = self.compute('GET', path, version=version)
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)

    def left_behind(self, server=BUSY2):
        [row] = self.get(f'/os-migrations?instance_uuid={server}')[
            'migrations']
        actions = self.get(f'/servers/{server}/os-instance-actions')[
            'instanceActions']
        action = self.get(f'/servers/{server}/os-instance-actions/'
                          f"{actions[0]['request_id']}")['instanceAction']
        return row, action

    def assertUntouched(self, server=BUSY2):
        shown = self.get(f'/servers/{server}')['server']
        self.assertEqual(('ACTIVE', None, 'compute-1'), (
            shown['status'], shown['OS-EXT-STS:task_state'],
            shown['OS-EXT-SRV-ATTR:host']))
        self.assertEqual([], self.get(f'/servers/{server}/migrations')[
            'migrations'])



class TestPrecheckFailures(_PrecheckCase):
    def test_same_host_from_234_is_accepted_then_error(self):
        resp = self.migrate('compute-1', '2.68')
        self.assertEqual(202, resp.status_int, resp.body)
        row, action = self.left_behind()
        # The scheduler path: the conductor had no host to record.
        self.assertEqual(
            ('error', 'live-migration', 'compute-1', None, None, None,
             None), (row['status'], row['migration_type'],
                     row['source_compute'], row['source_node'],
                     row['dest_compute'], row['dest_node'],
                     row['dest_host']))
        self.assertNotIn('links', row)
        self.assertEqual(('live-migration', 'Error'),
                         (action['action'], action['message']))
        [event] = action['events']
        message = ('No valid host was found. There are not enough hosts '
                   'available.')
        self.assertEqual(
            ('conductor_live_migrate_instance', 'Error', 'controller',
             message), (event['event'], event['result'], event['host'],
                        event['details']))
        self.assertIn('NoValidHost', event['traceback'])
        self.assertUntouched()

    def test_before_234_the_conductor_message_is_a_400(self):
        resp = self.migrate('compute-1', '2.25')
        self.assertFault(resp, 400, f'Unable to migrate instance ({BUSY2}) to '
                         'current host (compute-1).')
        row, action = self.left_behind()
        self.assertEqual(('error', 'compute-1'),
                         (row['status'], row['dest_compute']))
        self.assertEqual(['conductor_migrate_server'],
                         [e['event'] for e in action['events']])
        self.assertUntouched()

    def test_forced_host_is_checked_against_the_source(self):
        resp = self.migrate('compute-1', '2.33', force=True)
        self.assertFault(resp, 400, f'Unable to migrate instance ({BUSY2}) to '
                         'current host (compute-1).')
        resp = self.migrate('compute-1', '2.33', force=False)
        self.assertFault(resp, 400, 'No valid host was found. There are '
                         'not enough hosts available.')



class TestNoValidHost(_PrecheckCase):
    """The scheduler finds no host but the source."""

    def make_scenario(self):
        scenario = base.scenario()
        scenario.hosts = scenario.hosts[:1]
        scenario.migrations = []
        return scenario

    def test_no_other_host(self):
        resp = self.migrate(None, '2.68')
        self.assertEqual(202, resp.status_int, resp.body)
        row, action = self.left_behind()
        self.assertEqual(('error', None), (row['status'],
                                           row['dest_compute']))
        self.assertEqual('Error', action['events'][0]['result'])
        self.assertUntouched()


class TestIndexAndShow(base.RefServerTestCase):
    def test_live_migrations_have_no_dest_host(self):
        """Nova's conductor sets dest_compute and dest_node, never
        dest_host (ComputeTaskManager._live_migrate,
        LiveMigrationTask._execute); only a NUMA claim fills it in."""
        resp = self.compute('POST', f'/servers/{BUSY2}/action',
                            {'os-migrateLive': {'host': None,
                                                'block_migration': False}},
                            version='2.68')
        self.assertEqual(202, resp.status_int, resp.body)
        self.wall.advance(5)
        rows = json.loads(self.compute('GET', '/os-migrations',
                                       version='2.80').body)['migrations']
        self.assertEqual(4, len(rows))
        for server, migration in ((BUSY, 1), (BUSY2, 4)):
            index = json.loads(self.compute(
                'GET', f'/servers/{server}/migrations',
                version='2.80').body)['migrations']
            show = json.loads(self.compute(
                'GET', f'/servers/{server}/migrations/{migration}',
                version='2.80').body)['migration']
            for row in [r for r in rows if r['instance_uuid'] == server] + (
                    index + [show]):
                self.assertIsNone(row['dest_host'])
                self.assertIn(row['dest_compute'], ('compute-2',
                                                    'compute-3'))
                self.assertEqual(row['dest_compute'], row['dest_node'])

    def test_a_new_migration_is_accepted_before_it_is_in_progress(self):
        resp = self.compute('POST', f'/servers/{BUSY2}/action',
                            {'os-migrateLive': {'host': None,
                                                'block_migration': 'auto'}},
                            version='2.30')
        self.assertEqual(202, resp.status_int, resp.body)

        def index():
            return json.loads(self.compute(
                'GET', f'/servers/{BUSY2}/migrations',
                version='2.80').body)['migrations']

        def listed():
            return [m['status'] for m in json.loads(self.compute(
                'GET', f'/os-migrations?instance_uuid={BUSY2}',
                version='2.80').body)['migrations']]

        self.assertEqual(([], ['accepted']), (index(), listed()))
        self.wall.advance(0.6)
        self.assertEqual((['queued'], ['queued']),
                         ([m['status'] for m in index()], listed()))
    def test_index_fields_per_version(self):
        expected = {
            '2.23': 16, '2.59': 17, '2.80': 19}
        for version, count in expected.items():
            resp = self.compute('GET', f'/servers/{BUSY}/migrations',
                                version=version)
            migrations = json.loads(resp.body)['migrations']
            self.assertEqual(1, len(migrations))
            self.assertEqual(count, len(migrations[0]), version)

    def test_index_hides_hosts_from_managers(self):
        resp = self.compute('GET', f'/servers/{BUSY}/migrations',
                            version='2.80', user='demo-manager')
        migration = json.loads(resp.body)['migrations'][0]
        self.assertIsNone(migration['dest_compute'])
        self.assertIn('source_node', migration)

    def test_show_is_admin_only(self):
        resp = self.compute('GET', f'/servers/{BUSY}/migrations/1',
                            version='2.23', user='demo-manager')
        self.assertEqual(403, resp.status_int)

    def test_show_404_texts_in_order(self):
        resp = self.compute('GET', f'/servers/{MISSING}/migrations/1',
                            version='2.23')
        self.assertFault(resp, 404, f'Instance {MISSING} could not be found.')
        resp = self.compute('GET', f'/servers/{BUSY}/migrations/9',
                            version='2.23')
        self.assertFault(resp, 404, 'In-progress live migration 9 is not '
                         f'found for server {BUSY}.')
        self.compute('DELETE', f'/servers/{BUSY}/migrations/1',
                     version='2.24')
        self.wall.advance(5)
        resp = self.compute('GET', f'/servers/{BUSY}/migrations/1',
                            version='2.23')
        self.assertFault(resp, 404, f'Live migration 1 for server {BUSY} is '
                         'not in progress.')

    def test_query_rejected_from_2102(self):
        resp = self.compute('GET', f'/servers/{BUSY}/migrations?x=1',
                            version='2.101')
        self.assertEqual(200, resp.status_int)
        resp = self.compute('GET', f'/servers/{BUSY}/migrations?y=1&x=1&x=2',
                            version='2.102')
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('x', 'y' were unexpected)")
        resp = self.compute('GET', f'/servers/{BUSY}/migrations/1?x=1',
                            version='2.102')
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('x' was unexpected)")
        actions = json.loads(self.compute(
            'GET', f'/servers/{BUSY}/os-instance-actions').body)[
            'instanceActions']
        path = (f'/servers/{BUSY}/os-instance-actions/'
                f"{actions[0]['request_id']}?x=1")
        self.assertEqual(200, self.compute('GET', path,
                                           version='2.101').status_int)
        resp = self.compute('GET', path, version='2.102')
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('x' was unexpected)")

    def test_the_first_running_sample_is_saved_at_once(self):
        # nova/virt/libvirt/driver.py _live_migration_monitor saves when
        # n % divisor == 0, n = 0 included: the counters show as soon as
        # the job runs, and then change every 5 s.
        self.compute('POST', f'/servers/{BUSY2}/action',
                     {'os-migrateLive': {'host': None,
                                         'block_migration': False,
                                         'disk_over_commit': False}})
        self.wall.advance(2)
        resp = self.compute('GET', f'/servers/{BUSY2}/migrations',
                            version='2.23')
        migration = json.loads(resp.body)['migrations'][0]
        self.assertEqual('running', migration['status'])
        self.assertEqual(4 * 2 ** 30, migration['memory_total_bytes'])
        self.assertEqual(0, migration['memory_processed_bytes'])
        self.assertEqual(4 * 2 ** 30, migration['memory_remaining_bytes'])


class TestNotifications(base.RefServerTestCase):
    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('notes.jsonl')
        self.services.notifier = notifier.Notifier(self.path)

    def events(self):
        with open(self.path) as stream:
            return [json.loads(line)['event_type'] for line in stream]

    def test_force_complete_then_post_migration(self):
        resp = self.compute('POST', _path(BUSY), FORCE, version='2.22')
        self.assertEqual(202, resp.status_int)
        self.assertEqual(['instance.live_migration_force_complete.start',
                          'instance.live_migration_force_complete.end'],
                         self.events())
        self.wall.advance(30)
        self.compute('GET', f'/servers/{BUSY}')
        self.assertEqual(['instance.live_migration_post.start',
                          'instance.live_migration_post_dest.start',
                          'instance.live_migration_post_dest.end',
                          'instance.live_migration_post.end'],
                         self.events()[2:])

    def test_refused_request_emits_nothing(self):
        self.compute('POST', _path(BUSY2), FORCE, version='2.22')
        self.assertFalse(os.path.exists(self.path))

    def test_abort_then_rollback(self):
        self.compute('DELETE', f'/servers/{BUSY}/migrations/1',
                     version='2.24')
        self.wall.advance(5)
        self.compute('GET', f'/servers/{BUSY}/migrations', version='2.23')
        self.assertEqual(['instance.live_migration_abort.start',
                          'instance.live_migration_abort.end',
                          'instance.live_migration_rollback.start',
                          'instance.live_migration_rollback_dest.start',
                          'instance.live_migration_rollback_dest.end',
                          'instance.live_migration_rollback.end'],
                         self.events())
