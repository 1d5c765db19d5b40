"""os-migrations, instance actions, servers lists and policy per role."""

import json
import os
import tempfile

from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import accounts
from tests.unit.refserver import test_refserver_api as base
from tests.unit.refserver.test_refserver_api import ALT, BUSY, BUSY2, IDLE

SAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', 'samples')


def _sample_keys(name):
    with open(os.path.join(SAMPLES, name)) as stream:
        return json.load(stream)


class TestOsMigrations(base.RefServerTestCase):
    def listing(self, query='', version='2.80', **kwargs):
        resp = self.compute('GET', f"/os-migrations{query}",
                            version=version, **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)

    def test_fields_match_nova_samples(self):
        for version, sample in (('2.1', 'os-migrations-v2.1.json'),
                                ('2.23', 'os-migrations-v2.23.json'),
                                ('2.59', 'os-migrations-v2.59.json'),
                                ('2.80', 'os-migrations-v2.80.json')):
            expected = _sample_keys(sample)['migrations']
            # The in-progress live migration (links from 2.23 on).
            live = ([m for m in expected if 'links' in m] or expected)[0]
            ours = self.listing(f'?instance_uuid={BUSY}',
                                version)['migrations'][0]
            self.assertEqual(sorted(live), sorted(ours), version)

    def test_paging_newest_first_with_next_link(self):
        page = self.listing('?limit=2', '2.59')
        self.assertEqual([3, 2], [m['id'] for m in page['migrations']])
        link = page['migrations_links'][0]['href']
        marker = page['migrations'][-1]['uuid']
        self.assertIn(f'marker={marker}', link)
        rest = self.listing(f'?limit=2&marker={marker}', '2.59')
        self.assertEqual([1], [m['id'] for m in rest['migrations']])
        self.assertNotIn('migrations_links', rest)

    def test_bad_marker_and_unknown_params(self):
        resp = self.compute('GET', '/os-migrations?marker=nope',
                            version='2.59')
        self.assertFault(resp, 400, 'Marker nope could not be found.')
        resp = self.compute('GET', '/os-migrations?foo=1', version='2.59')
        self.assertEqual(400, resp.status_int)
        resp = self.compute('GET', '/os-migrations?foo=1', version='2.58')
        self.assertEqual(200, resp.status_int)

    def test_repeated_parameters_from_259(self):
        """single_param / multi_params of nova/api/validation."""
        resp = self.compute('GET', '/os-migrations?limit=1&limit=2',
                            version='2.59')
        self.assertFault(resp, 400, "Invalid input for query parameters "
                         "limit. Value: ['1', '2']. ['1', '2'] is too long")
        resp = self.compute('GET', '/os-migrations?project_id=a&'
                            'project_id=b', version='2.80')
        self.assertFault(resp, 400, "Invalid input for query parameters "
                         "project_id. Value: ['a', 'b']. ['a', 'b'] is too "
                         "long")
        # Before 2.59 limit is not a parameter at all: dropped.
        self.assertEqual(3, len(self.listing('?limit=1&limit=2', '2.58')[
            'migrations']))

    def test_repeated_filter_uses_the_last_value(self):
        self.assertEqual([], self.listing(
            '?status=running&status=completed')['migrations'])
        self.assertEqual(3, len(self.listing(
            '?status=completed&status=running')['migrations']))

    def test_limit_values(self):
        resp = self.compute('GET', '/os-migrations?limit=', version='2.59')
        self.assertFault(resp, 400, "Invalid input for query parameters "
                         "limit. Value: . '' should be non-empty")
        resp = self.compute('GET', '/os-migrations?limit=x', version='2.59')
        self.assertFault(resp, 400, "Invalid input for query parameters "
                         "limit. Value: x. 'x' does not match '^[0-9]*$'")
        self.assertEqual([], self.listing('?limit=0', '2.59')['migrations'])

    def test_filters(self):
        self.assertEqual(3, len(self.listing('?host=compute-2')[
            'migrations']))
        self.assertEqual(0, len(self.listing('?host=compute-3')[
            'migrations']))
        self.assertEqual(3, len(self.listing('?status=running')[
            'migrations']))
        self.assertEqual(0, len(self.listing('?status=completed')[
            'migrations']))

    def test_changes_since_and_before(self):
        future = '2100-01-01T00:00:00'
        self.assertEqual([], self.listing(f'?changes-since={future}')[
            'migrations'])
        resp = self.compute('GET', f'/os-migrations?changes-since={future}&'
                            'changes-before=2000-01-01T00:00:00',
                            version='2.66')
        self.assertFault(resp, 400, 'The value of changes-since must be '
                         'less than or equal to changes-before.')

    def test_manager_without_own_project_filter_is_forbidden(self):
        """migrations.py ``_index``: no narrower list, a 403."""
        refused = ("Policy doesn't allow os_compute_api:os-migrations:"
                   "index:all_projects to be performed.")
        alt = self.project_id('alt_demo')
        for query, version in (('', '2.80'), (f'?project_id={alt}',
                                              '2.80'),
                               ('', '2.59')):
            resp = self.compute('GET', f"/os-migrations{query}",
                                version=version, user='demo-manager')
            self.assertFault(resp, 403, refused)
        # Before 2.59 project_id is no parameter (dropped), so no way out.
        resp = self.compute('GET', '/os-migrations?project_id='
                            f"{self.project_id('demo')}", version='2.58',
                            user='demo-manager')
        self.assertFault(resp, 403, refused)

    def test_manager_with_own_project_sees_what_its_project_started(self):
        demo = self.project_id('demo')
        query = f'?project_id={demo}'
        # The seeded migrations were started by the admin project.
        self.assertEqual([], self.listing(query, user='demo-manager')[
            'migrations'])
        path = f'/servers/{BUSY2}/action'
        resp = self.compute('POST', path, {'os-migrateLive': {
            'host': None, 'block_migration': False}}, version='2.80',
            user='demo-manager')
        self.assertEqual(202, resp.status_int, resp.body)
        [row] = self.listing(query, user='demo-manager')['migrations']
        self.assertEqual((BUSY2, demo, None),
                         (row['instance_uuid'], row['project_id'],
                          row['source_compute']))
        self.assertEqual(4, len(self.listing()['migrations']))

    def project_id(self, name):
        return accounts.project_id(name)

    def test_member_is_forbidden(self):
        resp = self.compute('GET', '/os-migrations', user='demo')
        self.assertEqual(403, resp.status_int)


class TestInstanceActions(base.RefServerTestCase):
    def test_seeded_live_migration_action_and_events(self):
        resp = self.compute('GET', f'/servers/{BUSY}/os-instance-actions',
                            version='2.58')
        actions = json.loads(resp.body)['instanceActions']
        self.assertEqual(['live-migration'], [a['action'] for a in actions])
        self.assertEqual(
            sorted(_sample_keys('instance-actions-list-v2.58.json')[
                'instanceActions'][0]), sorted(actions[0]))
        resp = self.compute('GET', f'/servers/{BUSY}/os-instance-actions/'
                            f"{actions[0]['request_id']}",
                            version='2.84')
        action = json.loads(resp.body)['instanceAction']
        # Newest first (start time, then ID, descending), as Nova lists
        # them: pre_live_migration once the job got a worker, the others
        # at once when it was asked for, in the order they ran.
        self.assertEqual(['compute_pre_live_migration',
                          'compute_live_migration',
                          'compute_check_can_live_migrate_source',
                          'compute_check_can_live_migrate_destination',
                          'conductor_live_migrate_instance'],
                         [e['event'] for e in action['events']])
        admin_event = _sample_keys('instance-action-get-v2.84.json')[
            'instanceAction']['events'][0]
        self.assertEqual(sorted(admin_event), sorted(action['events'][0]))

    def test_non_admin_event_fields(self):
        resp = self.compute('GET', f'/servers/{BUSY}/os-instance-actions',
                            user='demo-reader')
        request_id = json.loads(resp.body)['instanceActions'][0][
            'request_id']
        path = f'/servers/{BUSY}/os-instance-actions/{request_id}'
        resp = self.compute('GET', path, version='2.50', user='demo-reader')
        self.assertNotIn('events', json.loads(resp.body)['instanceAction'])
        resp = self.compute('GET', path, version='2.84', user='demo-reader')
        event = json.loads(resp.body)['instanceAction']['events'][0]
        expected = _sample_keys('instance-action-get-non-admin-v2.84.json')
        self.assertEqual(sorted(expected['instanceAction']['events'][0]),
                         sorted(event))

    def test_unknown_action(self):
        resp = self.compute('GET',
                            f'/servers/{BUSY}/os-instance-actions/req-x')
        self.assertFault(resp, 404, 'Action req-x not found')

    def test_limit_gives_a_next_link(self):
        self.compute('POST', f'/servers/{IDLE}/action', {'lock': None})
        resp = self.compute('GET',
                            f'/servers/{IDLE}/os-instance-actions?limit=1',
                            version='2.58')
        body = json.loads(resp.body)
        self.assertEqual(['lock'], [a['action']
                                    for a in body['instanceActions']])
        self.assertEqual('next', body['links'][0]['rel'])


    def test_query_schema_from_258(self):
        path = f'/servers/{BUSY}/os-instance-actions?'
        resp = self.compute('GET', f"{path}limit=1&limit=1", version='2.58')
        self.assertFault(resp, 400, "Invalid input for query parameters "
                         "limit. Value: ['1', '1']. ['1', '1'] is too long")
        resp = self.compute('GET', f"{path}foo=1", version='2.58')
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('foo' was unexpected)")
        resp = self.compute('GET', f"{path}changes-before=x",
                            version='2.65')
        self.assertFault(resp, 400, "Additional properties are not allowed "
                         "('changes-before' was unexpected)")
        resp = self.compute('GET', f"{path}foo=1&limit=1&limit=2",
                            version='2.57')
        self.assertEqual(200, resp.status_int)


class TestActionEvents(base.RefServerTestCase):
    """Which events Nova records, on which host, shown to whom."""

    def get(self, path, version='2.84', **kwargs):
        resp = self.compute('GET', path, version=version, **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)

    def actions(self, server):
        return self.get(f'/servers/{server}/os-instance-actions')[
            'instanceActions']

    def events(self, server, request_id, **kwargs):
        return self.get(f'/servers/{server}/os-instance-actions/'
                        f'{request_id}', **kwargs)[
            'instanceAction']['events']

    def action(self, server, body, user='admin', version='2.73'):
        resp = self.compute('POST', f'/servers/{server}/action', body,
                            version=version, user=user)
        self.assertEqual(202, resp.status_int, resp.body)

    def test_lock_records_api_lock_on_the_api_host(self):
        """compute/api.py ``lock``: ``wrap_instance_event(prefix='api')``."""
        self.action(IDLE, {'lock': None}, user='demo')
        [lock] = self.actions(IDLE)
        self.assertEqual(('lock', None), (lock['action'], lock['message']))
        [event] = self.events(IDLE, lock['request_id'])
        self.assertEqual(('api_lock', 'Success', 'controller'),
                         (event['event'], event['result'], event['host']))
        self.action(IDLE, {'unlock': None}, user='demo')
        unlock = self.actions(IDLE)[0]
        self.assertEqual(['api_unlock'], [e['event'] for e in self.events(
            IDLE, unlock['request_id'])])

    def test_owner_relocking_records_nothing(self):
        self.action(IDLE, {'lock': {'locked_reason': 'maintenance'}},
                    user='demo')
        self.action(IDLE, {'lock': {'locked_reason': 'other'}},
                    user='demo')
        self.assertEqual(['lock'], [a['action'] for a in self.actions(IDLE)])
        server = self.get(f'/servers/{IDLE}')['server']
        self.assertEqual('maintenance', server['locked_reason'])

    def test_another_projects_lock_is_the_admins(self):
        """locked_by is 'admin' for a caller outside the server's project:
        the owner then needs unlock_override; the reason is kept."""
        self.action(IDLE, {'lock': {'locked_reason': 'maintenance'}},
                    user='demo')
        self.action(IDLE, {'lock': None})
        self.assertEqual(['lock', 'lock'],
                         [a['action'] for a in self.actions(IDLE)])
        server = self.get(f'/servers/{IDLE}')['server']
        self.assertEqual('maintenance', server['locked_reason'])
        resp = self.compute('POST', f'/servers/{IDLE}/action',
                            {'unlock': None}, user='demo')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                         "os-lock-server:unlock:unlock_override to be "
                         "performed.")

    def test_live_migration_event_hosts(self):
        """compute_utils.wrap_instance_event records the host of the
        service that ran each step; 2.62 shows ``host`` to admins and
        ``hostId`` (the host hashed with the action's project) to all."""
        self.action(IDLE, {'os-migrateLive': {
            'host': 'compute-3', 'block_migration': False}},
            version='2.68')
        self.wall.advance(60)
        self.assertEqual('completed', self.get(
            f'/os-migrations?instance_uuid={IDLE}')['migrations'][0][
            'status'])
        [action] = self.actions(IDLE)
        hosts = {e['event']: e['host']
                 for e in self.events(IDLE, action['request_id'])}
        self.assertEqual({
            'conductor_live_migrate_instance': 'controller',
            'compute_check_can_live_migrate_destination': 'compute-3',
            'compute_check_can_live_migrate_source': 'compute-1',
            'compute_pre_live_migration': 'compute-3',
            'compute_live_migration': 'compute-1',
            'compute_post_live_migration_at_destination': 'compute-3',
        }, hosts)
        admin = accounts.project_id('admin')
        for event in self.events(IDLE, action['request_id'],
                                 user='demo-reader', version='2.62'):
            self.assertNotIn('host', event)
            self.assertEqual(common.host_id(admin, hosts[event['event']]),
                             event['hostId'])
        # Hashed with the admin's project, not the server's: the server
        # (now on compute-3) shows another hostId for the same host.
        shown = self.get(f'/servers/{IDLE}', user='demo-reader')[
            'server']['hostId']
        self.assertEqual(common.host_id(accounts.project_id('demo'),
                                         'compute-3'), shown)
        self.assertNotEqual(common.host_id(admin, 'compute-3'), shown)

class TestServers(base.RefServerTestCase):
    def names(self, query='', **kwargs):
        resp = self.compute('GET', f"/servers/detail{query}", **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return sorted(s['name'] for s in json.loads(resp.body)['servers'])

    def test_project_scoping_and_all_tenants(self):
        self.assertEqual([], self.names())
        self.assertIn('alt-vm', self.names('?all_tenants=1'))
        self.assertNotIn('alt-vm', self.names(user='demo'))
        resp = self.compute('GET', '/servers/detail?all_tenants=1',
                            user='demo')
        self.assertEqual(403, resp.status_int)

    def test_name_is_a_regex(self):
        self.assertEqual(['busy-vm', 'busy-vm-2'],
                         self.names('?name=^busy', user='demo'))
        self.assertEqual(['busy-vm-2'],
                         self.names('?name=vm-2$', user='demo'))

    def test_non_admin_gets_no_host_attributes(self):
        resp = self.compute('GET', f'/servers/{BUSY}', user='demo')
        server = json.loads(resp.body)['server']
        self.assertNotIn('OS-EXT-SRV-ATTR:host', server)
        self.assertEqual('MIGRATING', server['status'])
        self.assertEqual('migrating', server['OS-EXT-STS:task_state'])

    def test_non_admin_sees_the_hostname_from_290(self):
        """views/servers.py ``show``: 2.90 adds ``OS-EXT-SRV-ATTR:hostname``
        for those the extended attributes are hidden from; Nova's 2.90
        samples are exactly that view (and servers/detail has no
        ``server_groups``)."""
        def extended(server):
            return sorted(k for k in server if k.startswith('OS-EXT-SRV'))

        resp = self.compute('GET', f'/servers/{BUSY}', version='2.89',
                            user='demo')
        self.assertEqual([], extended(json.loads(resp.body)['server']))
        resp = self.compute('GET', f'/servers/{BUSY}', version='2.90',
                            user='demo')
        server = json.loads(resp.body)['server']
        self.assertEqual(['OS-EXT-SRV-ATTR:hostname'], extended(server))
        self.assertEqual('busy-vm', server['OS-EXT-SRV-ATTR:hostname'])
        self.assertEqual(sorted(_sample_keys('server-get-v2.90.json')[
            'server']), sorted(server))
        resp = self.compute('GET', '/servers/detail', version='2.90',
                            user='demo')
        listed = json.loads(resp.body)['servers'][0]
        self.assertEqual(sorted(_sample_keys('servers-details-v2.90.json')[
            'servers'][0]), sorted(listed))

    def test_other_project_is_404(self):
        resp = self.compute('GET', f'/servers/{ALT}', user='demo')
        self.assertFault(resp, 404, f'Instance {ALT} could not be found.')

    def test_pause_lock_and_state_checks(self):
        path = f'/servers/{BUSY2}/action'
        self.assertEqual(202, self.compute('POST', path, {'pause': None},
                                           user='demo').status_int)
        resp = self.compute('POST', path, {'pause': None}, user='demo')
        self.assertFault(resp, 409, f"Cannot 'pause' instance {BUSY2} while "
                         'it is in vm_state paused')
        self.compute('POST', path, {'unpause': None}, user='demo')
        self.compute('POST', path, {'lock': None}, user='demo')
        resp = self.compute('POST', path, {'pause': None}, user='demo')
        self.assertFault(resp, 409, f'Instance {BUSY2} is locked')
        resp = self.compute('GET', f'/servers/{BUSY2}', version='2.9',
                            user='demo')
        self.assertTrue(json.loads(resp.body)['server']['locked'])

    def test_migrate_live_schemas(self):
        path = f'/servers/{BUSY2}/action'
        resp = self.compute('POST', path, {'os-migrateLive': {
            'host': None, 'block_migration': 'auto'}}, version='2.24')
        self.assertEqual(400, resp.status_int)
        resp = self.compute('POST', path, {'os-migrateLive': {
            'host': None, 'block_migration': False, 'force': True}},
            version='2.30')
        self.assertFault(resp, 400,
                         "Can't force to a non-provided destination")
        resp = self.compute('POST', path, {'os-migrateLive': {
            'host': None, 'block_migration': False, 'force': False}},
            version='2.68')
        self.assertFault(resp, 400, "Invalid input for field/attribute "
                         "os-migrateLive. Value: {'host': None, "
                         "'block_migration': False, 'force': False}. "
                         "Additional properties are not allowed ('force' "
                         "was unexpected)")

    def test_migrate_live_to_unknown_host(self):
        path = f'/servers/{BUSY2}/action'
        body = {'os-migrateLive': {'host': 'nowhere',
                                   'block_migration': False}}
        # compute/api.py ``live_migrate`` looks the host up before it
        # records anything: a 400 even when the conductor's checks are
        # asynchronous (2.34+), and no migration.
        for version in ('2.25', '2.34', '2.68'):
            resp = self.compute('POST', path, body, version=version)
            self.assertFault(resp, 400, 'Compute host nowhere could not be '
                             'found.')
        self.assertEqual([], json.loads(self.compute(
            'GET', f'/os-migrations?instance_uuid={BUSY2}').body)[
            'migrations'])

    def test_idle_vm_converges_by_itself(self):
        path = f'/servers/{IDLE}/action'
        self.assertEqual(202, self.compute('POST', path, {'os-migrateLive': {
            'host': None, 'block_migration': 'auto'}},
            version='2.25').status_int)
        self.wall.advance(30)
        resp = self.compute('GET', f'/servers/{IDLE}')
        server = json.loads(resp.body)['server']
        self.assertEqual(('ACTIVE', 'compute-2'),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))


class TestPolicyFile(base.RefServerTestCase):
    def setUp(self):
        handle, self.policy_file = tempfile.mkstemp(suffix='.yaml')
        with os.fdopen(handle, 'w') as stream:
            stream.write('"os_compute_api:servers:migrations:show": '
                         '"rule:project_manager_or_admin"\n'
                         '"os_compute_api:servers:migrations:force_complete":'
                         ' "rule:context_is_admin"\n')
        self.addCleanup(os.unlink, self.policy_file)
        super().setUp()

    def test_overrides_apply(self):
        resp = self.compute('GET', f'/servers/{BUSY}/migrations/1',
                            version='2.23', user='demo-manager')
        self.assertEqual(200, resp.status_int)
        resp = self.compute('POST', f'/servers/{BUSY}/migrations/1/action',
                            {'force_complete': None}, version='2.22',
                            user='demo-manager')
        self.assertEqual(403, resp.status_int)


class _PolicyFileCase(base.RefServerTestCase):
    rules = ''

    def setUp(self):
        handle, self.policy_file = tempfile.mkstemp(suffix='.yaml')
        with os.fdopen(handle, 'w') as stream:
            stream.write(self.rules)
        self.addCleanup(os.unlink, self.policy_file)
        super().setUp()

    def migrate_live(self, host, user='demo-manager'):
        return self.compute('POST', f'/servers/{BUSY2}/action', {
            'os-migrateLive': {'host': host, 'block_migration': False}},
            version='2.68', user=user)


class TestMigrateLiveHostRuleAlone(_PolicyFileCase):
    """Nova checks ``migrate_live:host`` instead of, not on top of,
    ``migrate_live`` when a host is named (``migrate_server.py``,
    ``_migrate_live``)."""

    rules = ('"os_compute_api:os-migrate-server:migrate_live": "!"\n'
             '"os_compute_api:os-migrate-server:migrate_live:host": '
             '"rule:project_manager_or_admin"\n')

    def test_only_the_host_rule_applies_with_a_host(self):
        self.assertEqual(202, self.migrate_live('compute-3').status_int)

    def test_only_the_plain_rule_applies_without_one(self):
        self.assertFault(self.migrate_live(None), 403, "Policy doesn't "
                         "allow os_compute_api:os-migrate-server:"
                         "migrate_live to be performed.")


class TestMigrateLiveOldOverride(_PolicyFileCase):
    """A file overriding only the pre-32.0.0 rule carries over to the rule
    split from it (``DeprecatedRule`` in nova/policies/migrate_server.py)."""

    rules = ('"os_compute_api:os-migrate-server:migrate_live": '
             '"rule:project_member_or_admin"\n')

    def test_member_may_name_a_host(self):
        self.assertEqual(202, self.migrate_live('compute-3',
                                                user='demo').status_int)


class TestDefaultMigrateLivePolicy(base.RefServerTestCase):
    def test_manager_may_not_name_a_host(self):
        resp = self.compute('POST', f'/servers/{BUSY2}/action', {
            'os-migrateLive': {'host': 'compute-3',
                               'block_migration': False}},
            version='2.68', user='demo-manager')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                         "os-migrate-server:migrate_live:host to be "
                         "performed.")
        resp = self.compute('POST', f'/servers/{BUSY2}/action', {
            'os-migrateLive': {'host': None, 'block_migration': False}},
            version='2.68', user='demo-manager')
        self.assertEqual(202, resp.status_int)


class TestOsServices(base.RefServerTestCase):
    """What a client needs to tell a compute host from a mistyped name."""

    def test_compute_hosts_for_an_admin(self):
        resp = self.compute('GET', '/os-services?binary=nova-compute',
                            version='2.80')
        self.assertEqual(200, resp.status_int, resp.body)
        services = json.loads(resp.body)['services']
        self.assertEqual(['compute-1', 'compute-2', 'compute-3'],
                         [s['host'] for s in services])
        self.assertEqual({'nova-compute'}, {s['binary'] for s in services})
        self.assertEqual({False}, {s['forced_down'] for s in services})
        self.assertIsInstance(services[0]['id'], str)     # a UUID (2.53)

    def test_filters(self):
        resp = self.compute('GET', '/os-services?host=compute-2',
                            version='2.1')
        [service] = json.loads(resp.body)['services']
        self.assertEqual(('compute-2', 2), (service['host'], service['id']))
        self.assertNotIn('forced_down', service)
        resp = self.compute('GET', '/os-services?binary=nova-scheduler')
        self.assertEqual([], json.loads(resp.body)['services'])

    def test_admin_only(self):
        resp = self.compute('GET', '/os-services', user='demo-manager')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                         "os-services:list to be performed.")
