"""The compute_service module against the reference server: the service
a maintenance disables, and enables again afterwards."""

import textwrap

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import playbooks


def play(**options):
    return playbooks.one_task('Set the service of compute-2',
                              'compute_service', **options)


class TestComputeService(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer('stuck-migration'))
        self.ansible = self.useFixture(playbooks.Ansible(self.cloud))

    def service(self, host='compute-2'):
        (found,) = self.cloud.get(f'/os-services?host={host}',
                                  version='2.53')['services']
        return found

    def test_disables_then_enables_and_changes_nothing_twice(self):
        # One play, so one start of ansible-playbook: each task's result
        # is saved, and the cloud is read at the end.
        task = ('- novaclient_force.compute.compute_service:\n'
                '    cloud: refserver-admin\n'
                '    host: compute-2\n'
                '{options}'
                '  register: {name}\n'
                '  check_mode: {check}\n')
        steps = (('disabled', 'state: disabled\ndisabled_reason: fw\n',
                  'false'),
                 ('again', 'state: disabled\ndisabled_reason: fw\n',
                  'false'),
                 ('checked', 'state: enabled\n', 'true'),
                 ('enabled', 'state: enabled\n', 'false'))
        tasks = ''.join(
            task.format(name=name, check=check,
                        options=textwrap.indent(options, '    '))
            for name, options, check in steps)
        names = ', '.join(f"'{name}': {name}" for name, _, _ in steps)
        tasks += ('- ansible.builtin.set_fact:\n'
                  f'    result: "{{{{ {{{names}}} }}}}"\n'
                  + playbooks.save())
        run = self.ansible.playbook(
            '- hosts: localhost\n  gather_facts: false\n  tasks:\n'
            + textwrap.indent(tasks, '    '))
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        disabled, again, checked, enabled = (
            result[name] for name, _, _ in steps)
        self.assertTrue(disabled['changed'])
        self.assertEqual(('disabled', 'fw'),
                         (disabled['service']['status'],
                          disabled['service']['disabled_reason']))
        self.assertFalse(again['changed'])
        self.assertTrue(checked['changed'])
        self.assertEqual('disabled', checked['service']['status'])
        # Check mode enabled nothing: the real run still had to.
        self.assertTrue(enabled['changed'])
        self.assertEqual('enabled', enabled['service']['status'])
        self.assertEqual('enabled', self.service()['status'])
        self.assertEqual('enabled', self.service('compute-3')['status'])
        puts = [r for r in self.cloud.requests() if r['method'] == 'PUT']
        self.assertEqual(2, len(puts))

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
