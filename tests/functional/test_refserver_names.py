"""Renaming servers and servers that share a name, with the real
``openstack`` program against the reference server: the name lookups
that Nova's duplicate names make possible (issue "What operators see")."""

import json

from tests.functional import test_osc_cli


class TestNames(test_osc_cli.OpenStackCLITest):
    def show(self, name, cloud='refserver-demo'):
        code, out, err = self.openstack('server', 'show', name, '-f', 'json',
                                        cloud=cloud)
        self.assertEqual(0, code, err)
        return json.loads(out)

    def test_openstack_server_set_name(self):
        before = self.show('idle-vm')
        code, out, err = self.openstack('server', 'set', '--name', 'web-1',
                                        'idle-vm', cloud='refserver-demo')
        self.assertEqual((0, ''), (code, out), err)
        self.assertEqual(before['id'], self.show('web-1')['id'])

    def test_a_shared_name_is_refused_with_the_ids(self):
        code, _, err = self.openstack('server', 'set', '--name', 'busy-vm',
                                      'busy-vm-2', cloud='refserver-demo')
        self.assertEqual(0, code, err)
        ids = sorted(server['ID'] for server in json.loads(self.openstack(
            'server', 'list', '--name', '^busy-vm$', '-f', 'json',
            cloud='refserver-demo')[1]))
        self.assertEqual(2, len(ids))
        self.assertOneLineError(self.force('busy-vm'), 1,
                                '2 servers are named busy-vm', *ids)
