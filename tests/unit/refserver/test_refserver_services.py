"""os-services enable/disable by UUID (2.53+) and cold migration with
confirm and revert, as Nova answers them."""

import json

from tests.unit.refserver import test_refserver_api as base
from tests.unit.refserver.test_refserver_api import BUSY2, IDLE, LOCKED


class ServicesCase(base.RefServerTestCase):
    def listed(self, version='2.80', **kwargs):
        resp = self.compute('GET', '/os-services', version=version,
                            **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return {s['host']: s for s in json.loads(resp.body)['services']}

    def update(self, host_or_id, body, version='2.80', **kwargs):
        service_id = self.listed().get(host_or_id, {}).get(
            'id', host_or_id)
        return self.compute('PUT', f'/os-services/{service_id}', body,
                            version=version, **kwargs)

    def server(self, uuid):
        resp = self.compute('GET', f'/servers/{uuid}', version='2.80')
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)['server']


class TestServiceUpdate(ServicesCase):

    def test_disable_with_a_reason_then_enable(self):
        resp = self.update('compute-1', {'status': 'disabled',
                                         'disabled_reason': 'maintenance'})
        self.assertEqual(200, resp.status_int, resp.body)
        service = json.loads(resp.body)['service']
        self.assertEqual(('compute-1', 'disabled', 'maintenance', False),
                         (service['host'], service['status'],
                          service['disabled_reason'],
                          service['forced_down']))
        listed = self.listed()['compute-1']
        self.assertEqual(('disabled', 'maintenance'),
                         (listed['status'], listed['disabled_reason']))
        resp = self.update('compute-1', {'status': 'enabled'})
        self.assertEqual(200, resp.status_int, resp.body)
        listed = self.listed()['compute-1']
        self.assertEqual(('enabled', None),
                         (listed['status'], listed['disabled_reason']))

    def test_a_reason_with_enabled_is_refused(self):
        resp = self.update('compute-1', {'status': 'enabled',
                                         'disabled_reason': 'why'})
        self.assertFault(resp, 400, "Specifying 'disabled_reason' with "
                         "status 'enabled' is invalid.")

    def test_an_empty_update_is_refused(self):
        resp = self.update('compute-1', {})
        self.assertFault(resp, 400, "No updates were requested. Fields "
                         "'status' or 'forced_down' should be specified.")

    def test_schema(self):
        resp = self.update('compute-1', {'status': 'off'})
        self.assertEqual(400, resp.status_int)
        resp = self.update('compute-1', {'status': 'disabled',
                                         'disabled_reason': ''})
        self.assertEqual(400, resp.status_int)
        resp = self.update('compute-1', {'status': 'disabled',
                                         'disabled_reason': 'x' * 256})
        self.assertEqual(400, resp.status_int)
        self.assertEqual('enabled', self.listed()['compute-1']['status'])

    def test_not_a_uuid_and_unknown_uuid(self):
        resp = self.update('compute-1-nope', {'status': 'disabled'})
        self.assertFault(resp, 400, 'Invalid uuid compute-1-nope')
        missing = '00000000-0000-4000-8000-0000000000aa'
        resp = self.update(missing, {'status': 'disabled'})
        self.assertFault(resp, 404,
                         f'Service {missing} could not be found.')

    def test_admin_only(self):
        resp = self.update('compute-1', {'status': 'disabled'},
                           user='demo-manager')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                         "os-services:update to be performed.")
        self.assertEqual('enabled', self.listed()['compute-1']['status'])

    def test_by_uuid_only_from_253(self):
        service_id = self.listed()['compute-1']['id']
        resp = self.compute('PUT', f'/os-services/{service_id}',
                            {'status': 'disabled'}, version='2.52')
        self.assertEqual(404, resp.status_int)

    def test_the_scheduler_skips_a_disabled_host(self):
        for host in ('compute-2', 'compute-3'):
            self.update(host, {'status': 'disabled'})
        resp = self.compute('POST', f'/servers/{BUSY2}/action', {
            'os-migrateLive': {'host': None, 'block_migration': 'auto'}},
            version='2.80')
        self.assertEqual(202, resp.status_int, resp.body)
        resp = self.compute('GET', f'/servers/{BUSY2}/migrations',
                            version='2.80')
        self.assertEqual([], json.loads(resp.body)['migrations'])
        self.assertEqual('ACTIVE', self.server(BUSY2)['status'])

    def test_a_named_disabled_host_is_no_valid_host(self):
        # From 2.30 a named host is checked by the scheduler (force
        # False), whose ComputeFilter skips a disabled service: the
        # conductor's NoValidHost comes after the 202.
        self.update('compute-3', {'status': 'disabled'})
        resp = self.compute('POST', f'/servers/{BUSY2}/action', {
            'os-migrateLive': {'host': 'compute-3',
                               'block_migration': 'auto'}},
            version='2.80')
        self.assertEqual(202, resp.status_int, resp.body)
        resp = self.compute('GET', f'/os-migrations?instance_uuid={BUSY2}',
                            version='2.80')
        newest = max(json.loads(resp.body)['migrations'],
                     key=lambda m: m['id'])
        # The conductor was given no host (compute/api.py unsets it for
        # the scheduler), so its migration names none.
        self.assertEqual(('error', None),
                         (newest['status'], newest['dest_compute']))
        self.assertEqual('ACTIVE', self.server(BUSY2)['status'])


class TestColdMigration(ServicesCase):

    def stop(self, uuid):
        with self.store.transaction() as db:
            db.execute("UPDATE servers SET vm_state = 'stopped', "
                       'power_state = 4 WHERE uuid = ?', uuid)

    def migrate(self, uuid, body=None, version='2.80', **kwargs):
        return self.compute('POST', f'/servers/{uuid}/action',
                            {'migrate': body}, version=version, **kwargs)

    def test_migrate_then_confirm_a_stopped_server(self):
        self.stop(IDLE)
        resp = self.migrate(IDLE)
        self.assertEqual(202, resp.status_int, resp.body)
        server = self.server(IDLE)
        self.assertEqual('VERIFY_RESIZE', server['status'])
        self.assertNotEqual('compute-1', server['OS-EXT-SRV-ATTR:host'])
        dest = server['OS-EXT-SRV-ATTR:host']
        resp = self.compute('GET', f'/os-migrations?instance_uuid={IDLE}',
                            version='2.80')
        [row] = json.loads(resp.body)['migrations']
        self.assertEqual(('migration', 'finished', 'compute-1', dest),
                         (row['migration_type'], row['status'],
                          row['source_compute'], row['dest_compute']))
        resp = self.compute('POST', f'/servers/{IDLE}/action',
                            {'confirmResize': None}, version='2.80')
        self.assertEqual(204, resp.status_int, resp.body)
        server = self.server(IDLE)
        self.assertEqual(('SHUTOFF', dest),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))
        resp = self.compute('GET', f'/os-migrations?instance_uuid={IDLE}',
                            version='2.80')
        self.assertEqual('confirmed',
                         json.loads(resp.body)['migrations'][0]['status'])

    def test_revert_puts_it_back(self):
        resp = self.migrate(IDLE, {'host': 'compute-3'})
        self.assertEqual(202, resp.status_int, resp.body)
        self.assertEqual('compute-3',
                         self.server(IDLE)['OS-EXT-SRV-ATTR:host'])
        resp = self.compute('POST', f'/servers/{IDLE}/action',
                            {'revertResize': None}, version='2.80')
        self.assertEqual(202, resp.status_int, resp.body)
        server = self.server(IDLE)
        self.assertEqual(('ACTIVE', 'compute-1'),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))

    def test_confirm_without_a_resize(self):
        resp = self.compute('POST', f'/servers/{IDLE}/action',
                            {'confirmResize': None}, version='2.80')
        self.assertFault(resp, 409, f"Cannot 'confirmResize' instance "
                         f"{IDLE} while it is in vm_state active")

    def test_refusals(self):
        resp = self.migrate(IDLE, {'host': 'compute-1'})
        self.assertFault(resp, 400, 'Cannot migrate to the host where the '
                         'server exists.')
        resp = self.migrate(IDLE, {'host': 'compute-9'})
        self.assertFault(resp, 400,
                         'Compute host compute-9 could not be found.')
        resp = self.migrate(IDLE, {'host': 'compute-2'}, user='demo-manager')
        self.assertFault(resp, 403, "Policy doesn't allow os_compute_api:"
                         "os-migrate-server:migrate:host to be performed.")
        resp = self.migrate(LOCKED, user='demo-manager')
        self.assertFault(resp, 409, f'Instance {LOCKED} is locked')
        with self.store.transaction() as db:
            db.execute("UPDATE servers SET vm_state = 'suspended' "
                       'WHERE uuid = ?', IDLE)
        resp = self.migrate(IDLE)
        self.assertFault(resp, 409, f"Cannot 'migrate' instance {IDLE} "
                         "while it is in vm_state suspended")

    def test_host_ignored_before_256(self):
        resp = self.migrate(IDLE, {'host': 'compute-1'}, version='2.55')
        self.assertEqual(202, resp.status_int, resp.body)

    def test_no_valid_host_after_the_202(self):
        for host in ('compute-2', 'compute-3'):
            self.update(host, {'status': 'disabled'})
        resp = self.migrate(IDLE)
        self.assertEqual(202, resp.status_int, resp.body)
        self.assertEqual(('ACTIVE', 'compute-1'),
                         (self.server(IDLE)['status'],
                          self.server(IDLE)['OS-EXT-SRV-ATTR:host']))
        resp = self.compute('GET', f'/os-migrations?instance_uuid={IDLE}',
                            version='2.80')
        self.assertEqual('error',
                         json.loads(resp.body)['migrations'][0]['status'])


class TestKeepHost(ServicesCase):
    """The harness fault: a completed live migration leaves the server's
    host as it was."""

    def keep_host(self, server):
        req = base.webob.Request.blank(f'/_refserver/servers/{server}/'
                                       'keep-host', method='POST')
        req.remote_addr = '127.0.0.1'
        return req.get_response(self.app)

    def test_idle_guest(self):
        resp = self.keep_host(IDLE)
        self.assertEqual(200, resp.status_int, resp.body)
        resp = self.compute('POST', f'/servers/{IDLE}/action', {
            'os-migrateLive': {'host': None, 'block_migration': 'auto'}},
            version='2.80')
        self.assertEqual(202, resp.status_int, resp.body)
        self.wall.advance(120)
        resp = self.compute('GET', f'/os-migrations?instance_uuid={IDLE}',
                            version='2.80')
        [row] = json.loads(resp.body)['migrations']
        self.assertEqual('completed', row['status'])
        server = self.server(IDLE)
        self.assertEqual(('ACTIVE', 'compute-1'),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))
        # Once only: the next one moves it.
        resp = self.compute('POST', f'/servers/{IDLE}/action', {
            'os-migrateLive': {'host': None, 'block_migration': 'auto'}},
            version='2.80')
        self.wall.advance(120)
        self.assertNotEqual('compute-1',
                            self.server(IDLE)['OS-EXT-SRV-ATTR:host'])

    def test_unknown_server(self):
        resp = self.keep_host('nope')
        self.assertEqual(404, resp.status_int)
