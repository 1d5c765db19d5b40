"""``PUT /servers/{id}``: renaming a server, so that name lookups can be
tried (nova/api/openstack/compute/servers.py, ``update``)."""

import json

from tests.unit.refserver import test_refserver_api as api
from tests.unit.refserver.test_refserver_api import ALT, IDLE, LOCKED

NAME_RULE = ("An invalid 'name' value was provided. The name must be: "
             'printable characters. Can not start or end with whitespace.')


class TestRename(api.RefServerTestCase):
    def rename(self, server, body, user='demo', version='2.1'):
        return self.compute('PUT', f'/servers/{server}', body, user=user,
                            version=version)

    def test_a_member_renames_its_server(self):
        resp = self.rename(IDLE, {'server': {'name': 'web-1'}})
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertEqual('web-1', json.loads(resp.body)['server']['name'])
        shown = json.loads(self.compute('GET', f'/servers/{IDLE}',
                                        user='demo').body)['server']
        self.assertEqual('web-1', shown['name'])
        listed = json.loads(self.compute(
            'GET', '/servers?name=^web-1$', user='demo').body)['servers']
        self.assertEqual([IDLE], [server['id'] for server in listed])

    def test_the_hostname_stays_the_one_at_creation(self):
        self.rename(IDLE, {'server': {'name': 'web-1'}}, user='admin')
        shown = json.loads(self.compute('GET', f'/servers/{IDLE}',
                                        version='2.90').body)['server']
        self.assertEqual(('web-1', 'idle-vm'), (
            shown['name'], shown['OS-EXT-SRV-ATTR:hostname']))

    def test_two_servers_may_share_a_name(self):
        for server in (IDLE, LOCKED):
            self.assertEqual(200, self.rename(
                server, {'server': {'name': 'twin'}},
                user='admin').status_int)
        listed = json.loads(self.compute(
            'GET', '/servers?name=twin', user='demo').body)['servers']
        self.assertEqual({IDLE, LOCKED}, {s['id'] for s in listed})

    def test_a_lock_does_not_stop_a_rename(self):
        # API.update_instance checks no lock and no state.
        self.assertEqual(200, self.rename(
            LOCKED, {'server': {'name': 'renamed'}}).status_int)

    def test_policy_is_member_or_admin(self):
        self.assertFault(self.rename(IDLE, {'server': {'name': 'x'}},
                                     user='demo-reader'), 403,
                         'Policy doesn\'t allow os_compute_api:servers:'
                         'update to be performed.')
        self.assertEqual(200, self.rename(
            IDLE, {'server': {'name': 'x'}},
            user='demo-manager').status_int)
        self.assertEqual(404, self.rename(
            ALT, {'server': {'name': 'x'}}).status_int)

    def test_nova_schema(self):
        for body, message in (
                ({'server': {'name': ''}},
                 "Invalid input for field/attribute name. Value: . '' "
                 'should be non-empty'),
                ({'server': {'name': ' lead'}}, NAME_RULE),
                ({'server': {'name': 'tab\t'}}, NAME_RULE),
                ({'server': {'name': 'x' * 256}},
                 f"Invalid input for field/attribute name. Value: "
                 f"{'x' * 256}. '{'x' * 256}' is too long"),
                ({'server': {'name': 5}},
                 "Invalid input for field/attribute name. Value: 5. 5 is "
                 "not of type 'string'"),
                ({'server': {'bogus': 1}},
                 "Invalid input for field/attribute server. Value: "
                 "{'bogus': 1}. Additional properties are not allowed "
                 "('bogus' was unexpected)"),
                ({'server': {'description': 'd'}},
                 "Invalid input for field/attribute server. Value: "
                 "{'description': 'd'}. Additional properties are not "
                 "allowed ('description' was unexpected)"),
                ({}, "'server' is a required property")):
            self.assertFault(self.rename(IDLE, body), 400, message)
        self.assertEqual('idle-vm', json.loads(self.compute(
            'GET', f'/servers/{IDLE}', user='demo').body)['server']['name'])

    def test_fields_this_server_does_not_hold_are_refused(self):
        self.assertFault(
            self.rename(IDLE, {'server': {'name': 'x', 'description': 'd'}},
                        version='2.19'), 400,
            "The reference server changes only a server's name; it does "
            'not emulate description')

    def test_the_answer_before_and_from_2_75(self):
        old = json.loads(self.rename(
            IDLE, {'server': {'name': 'a'}}).body)['server']
        new = json.loads(self.rename(
            IDLE, {'server': {'name': 'b'}}, version='2.75').body)['server']
        for key in ('OS-EXT-STS:vm_state', 'security_groups', 'key_name'):
            self.assertNotIn(key, old)
            self.assertIn(key, new)
        self.assertEqual(('a', 'b'), (old['name'], new['name']))
