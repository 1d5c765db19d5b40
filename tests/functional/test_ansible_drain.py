"""The compute_host_drain module and the collection's host_maintenance
playbook in real ``ansible-playbook`` runs against the reference server.

Scenario ``stuck-migration``: three servers on compute-1, one of them
(busy-vm) in a live migration to compute-2 that never converges unaided.
"""

import re

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import playbooks

MAINTENANCE = f'{playbooks.NAMESPACE}.host_maintenance'
INVENTORY = '[compute]\ncompute-1\ncompute-2\n'
#: A task's result line in ansible-playbook's output, and its host.
_RESULT = re.compile(r'^(ok|changed|failed|fatal|skipping): \[([^\]\s]+)')


def steps(stdout):
    """(task name, host) for each task result, in the order shown."""
    task, shown = None, []
    for line in stdout.splitlines():
        if line.startswith('TASK ['):
            task = line[len('TASK ['):line.index(']')]
        match = _RESULT.match(line)
        if match and task:
            shown.append((task, match.group(2)))
    return shown


class DrainTest(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 360

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', time_scale=60))
        self.ansible = self.useFixture(playbooks.Ansible(self.cloud))
        self.ansible.write('inventory', INVENTORY)

    def hosts_of_servers(self):
        servers = self.cloud.get('/servers/detail?all_tenants=1')['servers']
        return {s['name']: s['OS-EXT-SRV-ATTR:host'] for s in servers}

    def service_status(self, host):
        (found,) = self.cloud.get(f'/os-services?host={host}',
                                  version='2.53')['services']
        return found['status']

    def changes(self, since=0):
        """Requests that change the cloud (not a token's POST), after
        request ``since``."""
        return [(r['method'], r['path'])
                for r in self.cloud.requests(since)
                if r['method'] != 'GET' and '/identity/' not in r['path']]

    def maintenance(self, *options):
        return self.ansible.run(
            'ansible-playbook', '-i', 'inventory', MAINTENANCE,
            '-e', 'maintenance_cloud=refserver-admin', *options,
            timeout=300)


class TestMaintenancePlaybook(DrainTest):

    def test_drains_two_hosts_one_after_the_other(self):
        run = self.maintenance()
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        per_host = ['Empty the host', 'Maintenance (replace with your own '
                    'tasks)', 'Put the host back into service']
        self.assertEqual([(task, 'compute-1') for task in per_host]
                         + [(task, 'compute-2') for task in per_host],
                         steps(run.stdout))
        self.assertEqual('enabled', self.service_status('compute-1'))
        self.assertEqual('enabled', self.service_status('compute-2'))
        # compute-2 was drained last: nothing is on it; compute-1 was
        # back in service by then.
        self.assertNotIn('compute-2', self.hosts_of_servers().values())
        self.assertEqual(3, len(self.hosts_of_servers()))

    def test_check_mode_changes_nothing(self):
        before = self.hosts_of_servers()
        run = self.maintenance('--check')
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertEqual([], self.changes())
        self.assertEqual(before, self.hosts_of_servers())
        self.assertEqual('enabled', self.service_status('compute-1'))

    def test_a_host_that_cannot_be_drained_stops_the_rollout(self):
        # busy-vm's migration ends in error: Nova leaves the server in
        # ERROR, which no drain moves.
        self.cloud.fail_migration(1, status='error')
        run = self.maintenance()
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        self.assertEqual([('Empty the host', 'compute-1')],
                         steps(run.stdout))
        self.assertIn('"rc": 9', run.stdout)
        self.assertEqual('disabled', self.service_status('compute-1'))
        self.assertEqual('enabled', self.service_status('compute-2'))
        self.assertEqual([], [path for _, path in self.changes()
                              if 'compute-2' in path])


class TestDrainModule(DrainTest):

    def test_a_second_run_reports_no_change(self):
        drain = playbooks.one_task('Drain compute-1', 'compute_host_drain',
                                   cloud='refserver-admin', host='compute-1')
        run = self.ansible.playbook(drain)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        first = self.ansible.result()
        self.assertTrue(first['changed'])
        self.assertEqual((True, True, 0),
                         (first['empty'], first['disabled'], first['rc']))
        self.assertEqual({'busy-vm', 'busy-vm-2', 'idle-vm'},
                         {s['server_name'] for s in first['servers']})
        self.assertNotIn('compute-1', self.hosts_of_servers().values())

        last = self.cloud.requests()[-1]['seq']
        run = self.ansible.playbook(drain)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        second = self.ansible.result()
        self.assertFalse(second['changed'])
        self.assertEqual([], second['servers'])
        self.assertEqual([], self.changes(since=last))
