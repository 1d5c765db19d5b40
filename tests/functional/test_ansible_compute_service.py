"""The compute_service module against the reference server: the service
a maintenance disables, and enables again afterwards."""

import textwrap

import testtools

from novaclient_force.refserver import fixture
from tests.functional import playbooks

PLAY = '''\
- hosts: localhost
  gather_facts: false
  tasks:
    - block:
        - name: Set the service of compute-2
          novaclient_force.compute.compute_service:
{options}
          register: result
      always:
{save}'''


def play(**options):
    lines = '\n'.join(f'            {name}: {value}'
                      for name, value in options.items())
    return PLAY.format(options=lines,
                       save=textwrap.indent(playbooks.save(), ' ' * 8))


class TestComputeService(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer('stuck-migration'))
        self.ansible = self.useFixture(playbooks.Ansible(self.cloud))

    def service(self, host='compute-2'):
        (found,) = self.cloud.get(f'/os-services?host={host}',
                                  version='2.53')['services']
        return found

    def test_disables_then_enables_and_changes_nothing_twice(self):
        disable = play(cloud='refserver-admin', host='compute-2',
                       state='disabled', disabled_reason='firmware')
        run = self.ansible.playbook(disable)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertTrue(self.ansible.result()['changed'])
        self.assertEqual(('disabled', 'firmware'),
                         (self.service()['status'],
                          self.service()['disabled_reason']))
        self.assertEqual('enabled', self.service('compute-3')['status'])

        run = self.ansible.playbook(disable)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertFalse(self.ansible.result()['changed'])

        enable = play(cloud='refserver-admin', host='compute-2')
        run = self.ansible.playbook(enable, '--check')
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertTrue(self.ansible.result()['changed'])
        self.assertEqual('disabled', self.service()['status'])

        run = self.ansible.playbook(enable)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertTrue(result['changed'])
        self.assertEqual('enabled', result['service']['status'])
        self.assertEqual('enabled', self.service()['status'])

    def test_a_member_is_refused(self):
        run = self.ansible.playbook(play(cloud='refserver-demo',
                                         host='compute-2',
                                         state='disabled'))
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertEqual((1, 'PolicyRefused'),
                         (result['rc'], result['kind']))
        self.assertEqual('enabled', self.service()['status'])

    def test_an_unknown_host_is_refused(self):
        run = self.ansible.playbook(play(cloud='refserver-admin',
                                         host='compute-9'))
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertEqual((1, 'UnknownHost'),
                         (result['rc'], result['kind']))
        self.assertIn('compute-9', result['msg'])
