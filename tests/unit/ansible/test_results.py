"""What the collection's modules make of the SDK's results: the task
result's fields, its ``rc`` and whether it is ``changed``.

The collection's module_utils are imported as Ansible imports them
(``ansible_collections....``, the checkout's root being on sys.path);
they import no Ansible at module level.
"""

import os

import fixtures

from ansible_collections.novaclient_force.compute.plugins.module_utils import (
    cloud,
)
from novaclient_force import diagnosis, emptied, exceptions, outcome
from tests import testcase


def row(status, action=emptied.LIVE_MIGRATE, forced=False, **fields):
    return emptied.ServerOutcome(
        'uuid-1', 7, status, server_name='vm-1', action=action,
        forced=forced, source='compute-1', **fields)


def drain(rows, empty=True, disabled=True, dry_run=False):
    result = emptied.Emptied(rows, host='compute-1')
    result.empty, result.disabled, result.dry_run = empty, disabled, dry_run
    return result


class TestFields(testcase.TestCase):

    def test_an_outcome_with_its_diagnosis_numbers_and_rc(self):
        judged = diagnosis.Diagnosis(diagnosis.STALLED, remaining_bytes=10,
                                     transfer_rate=2.0, stalled_for=30.0)
        result = cloud.fields(outcome.Outcome(
            'uuid-1', 7, outcome.TIMED_OUT, reason='still running',
            forced=True, diagnosis=judged, hint='openstack ...'))
        self.assertEqual((5, 'timed out', True),
                         (result['rc'], result['status'], result['forced']))
        self.assertEqual(30.0, result['diagnosis']['stalled_for'])
        self.assertEqual(2.0, result['diagnosis']['transfer_rate'])
        self.assertIn('openstack ...', result['detail'])

    def test_an_error_carries_its_own_exit_status(self):
        result = cloud.fields(outcome.Outcome(
            'uuid-1', 7, outcome.ERROR,
            error=exceptions.EndpointUnreachable('no route')))
        self.assertEqual(6, result['rc'])
        self.assertIsNone(result['diagnosis'])


class TestDrained(testcase.TestCase):

    def test_a_host_already_empty_and_disabled_is_no_change(self):
        result = cloud.drained(drain([]), disabling=False)
        self.assertEqual((False, 0, []),
                         (result['changed'], result['rc'],
                          result['servers']))

    def test_disabling_an_empty_host_is_a_change(self):
        self.assertTrue(cloud.drained(drain([]), disabling=True)['changed'])

    def test_moving_a_server_is_a_change(self):
        result = cloud.drained(drain([row(outcome.COMPLETED)]),
                               disabling=False)
        self.assertTrue(result['changed'])
        (server,) = result['servers']
        self.assertEqual(('live-migrate', 'compute-1', 0),
                         (server['action'], server['source'], server['rc']))

    def test_a_refused_move_changes_nothing_and_fails(self):
        result = cloud.drained(
            drain([row(outcome.ERROR)], empty=False), disabling=False)
        self.assertFalse(result['changed'])
        self.assertEqual(1, result['rc'])

    def test_servers_left_fail_with_9(self):
        left = row(emptied.LEFT, action=emptied.LEAVE)
        result = cloud.drained(drain([left], empty=False), disabling=False)
        self.assertEqual((False, 9), (result['changed'], result['rc']))
        self.assertIn('is not drained', result['msg'])
        self.assertEqual('HostNotDrained', result['kind'])

    def test_a_dry_run_plan_is_a_change_that_changed_nothing(self):
        plan = drain([row(emptied.PLANNED)], empty=False, disabled=False,
                     dry_run=True)
        result = cloud.drained(plan, disabling=True)
        self.assertEqual((True, 0), (result['changed'], result['rc']))
        self.assertIn('dry run', result['msg'])

    def test_a_dry_run_of_an_empty_disabled_host_is_no_change(self):
        plan = drain([], disabled=True, dry_run=True)
        self.assertFalse(cloud.drained(plan, disabling=False)['changed'])


class Failed(Exception):
    """What fail_json ends a module with (Ansible's exits the process)."""


class Module:
    """The two things module_utils.cloud uses of an AnsibleModule: its
    params and fail_json."""

    def __init__(self, **params):
        self.params = dict.fromkeys(cloud.CLOUD_OPTIONS)
        self.params['interface'] = 'public'
        self.params.update(params)

    def fail_json(self, **result):
        raise Failed(result)


class TestClient(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).path
        for name in [n for n in os.environ if n.startswith('OS_')]:
            self.useFixture(fixtures.EnvironmentVariable(name))
        self.clouds('clouds:\n  here:\n    auth:\n'
                    '      auth_url: http://127.0.0.1:9/identity\n')

    def clouds(self, text):
        """The clouds.yaml the config loader reads, and only it."""
        path = os.path.join(self.path, 'clouds.yaml')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', path))

    def failure(self, module):
        return self.assertRaises(Failed, cloud.client, module).args[0]

    def test_an_unknown_cloud_is_a_usage_error(self):
        result = self.failure(Module(cloud='nosuch'))
        self.assertEqual((2, 'InvalidArgument'),
                         (result['rc'], result['kind']))
        self.assertIn('Cloud nosuch was not found', result['msg'])

    def test_missing_auth_settings_are_a_usage_error(self):
        # No cloud anywhere: keystoneauth, not the loader, refuses it.
        self.clouds('clouds: {}\n')
        result = self.failure(Module(auth={'username': 'u'}))
        self.assertEqual(2, result['rc'])
        self.assertIn('auth_url', result['msg'])

    def test_a_cloud_dict_and_settings_beside_it_are_refused(self):
        result = self.failure(Module(cloud={'auth': {}},
                                     region_name='RegionOne'))
        self.assertEqual(2, result['rc'])
        self.assertIn('region_name', result['msg'])

    def test_a_named_cloud_gives_a_client_with_its_settings(self):
        nc = cloud.client(Module(cloud='here', region_name='RegionTwo'))
        self.assertEqual('RegionTwo', nc.compute.client.region_name)


class TestInterruptedDrain(testcase.TestCase):
    """A signal stops a drain once the service is disabled; Nova may have
    accepted moves whose rows then say ``unknown``, not forced."""

    def test_an_accepted_move_is_a_change(self):
        rows = [row(outcome.UNKNOWN, hint='openstack server show uuid-1'),
                row(emptied.LEFT)]
        self.assertTrue(cloud.interrupted_drain_changed(rows, False))

    def test_the_disabled_service_is_a_change(self):
        self.assertTrue(cloud.interrupted_drain_changed(
            [row(emptied.LEFT)], True))

    def test_refused_or_unrequested_moves_and_followed_ones_are_not(self):
        rows = [row(outcome.ERROR), row(emptied.LEFT),
                row(outcome.UNKNOWN, action=emptied.FOLLOW)]
        self.assertFalse(cloud.interrupted_drain_changed(rows, False))

    def test_a_forced_migration_is_a_change(self):
        rows = [row(outcome.UNKNOWN, action=emptied.FOLLOW, forced=True)]
        self.assertTrue(cloud.interrupted_drain_changed(rows, False))
