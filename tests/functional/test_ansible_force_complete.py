"""The live_migration_force_complete module in real ``ansible-playbook``
runs against the reference server (clouds.yaml, as a user has it)."""

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import playbooks


def play(**options):
    return playbooks.one_task('Force the live migration of busy-vm',
                              'live_migration_force_complete', **options)


class TestForceComplete(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', time_scale=60))
        self.ansible = self.useFixture(playbooks.Ansible(self.cloud))

    def migration_of(self, name):
        """The ground truth of server ``name``'s one migration."""
        (server,) = self.cloud.get(
            f'/servers?all_tenants=1&name=^{name}$')['servers']
        (row,) = [m for m in self.cloud.migrations_truth()
                  if m['server_uuid'] == server['id']]
        return row

    def posts(self):
        return [r for r in self.cloud.requests() if r['method'] == 'POST'
                and r['path'].endswith('/action')]

    def test_forces_one_migration_to_completion(self):
        run = self.ansible.playbook(play(cloud='refserver-admin',
                                         server='busy-vm'))
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertTrue(result['changed'])
        self.assertTrue(result['forced'])
        self.assertEqual('completed', result['status'])
        self.assertEqual(0, result['rc'])
        self.assertEqual('busy-vm', result['server_name'])
        server = self.cloud.get(f"/servers/{result['server']}")['server']
        self.assertEqual('compute-2', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(1, len(self.posts()))

    def test_check_mode_changes_nothing(self):
        before = self.migration_of('busy-vm')
        run = self.ansible.playbook(
            play(cloud='refserver-admin', server='busy-vm'), '--check')
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertTrue(result['changed'])
        self.assertFalse(result['forced'])
        self.assertEqual(before['id'], result['migration'])
        self.assertIn('would be forced', result['msg'])
        self.assertEqual([], self.posts())
        after = self.migration_of('busy-vm')
        self.assertEqual('running', after['status'])
        self.assertIsNone(after['force_complete_at'])

    def test_refused_force_fails_with_the_commands_rc(self):
        # A member of the servers' project may not force (Nova's
        # default policy wants a project manager or an admin).
        run = self.ansible.playbook(play(cloud='refserver-demo',
                                         server='busy-vm'))
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertTrue(result['failed'])
        self.assertFalse(result['changed'])
        self.assertEqual(1, result['rc'])
        self.assertEqual('PolicyRefused', result['kind'])
        self.assertIn('manager role', result['msg'])
        self.assertEqual('running', self.migration_of('busy-vm')['status'])

    def test_accepted_but_not_done_in_time_is_changed_and_fails(self):
        # A paused guest's copy takes simulated minutes: a wait of one
        # second at the real pace ends first.
        self.cloud.set_time_scale(1)
        run = self.ansible.playbook(play(
            cloud='refserver-admin', server='busy-vm', timeout=1))
        self.assertEqual(2, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertTrue(result['changed'])
        self.assertTrue(result['forced'])
        self.assertEqual('timed out', result['status'])
        self.assertEqual(5, result['rc'])

    def test_a_threshold_returns_the_diagnosis_numbers(self):
        run = self.ansible.playbook(play(
            cloud='refserver-admin', server='busy-vm', stalled_after=10))
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        result = self.ansible.result()
        self.assertEqual(('completed', True),
                         (result['status'], result['forced']))
        judged = result['diagnosis']
        self.assertIn(judged['state'], ('stalled', 'growing'))
        self.assertGreaterEqual(judged['stalled_for'], 10)
        self.assertGreater(judged['remaining_bytes'], 0)
        self.assertGreater(judged['transfer_rate'], 0)
        self.assertIn('stalled-after', result['policy_note'])
