"""The instance-action events of a live migration, for each ending, as
Nova records them (nova/conductor/manager.py and nova/compute/manager.py,
``wrap_instance_event``): their names, hosts and order (newest first,
nova/db/main/api.py ``action_events_get``).

Four servers on compute-1 asked to live-migrate 5 simulated seconds ago,
one at a time (``max_concurrent_live_migrations`` 1): migration 1 (a busy
guest that never converges) runs, 2-4 are queued.
"""

import json
import types

import fixtures

from novaclient_force.refserver.notify import notifier
from novaclient_force.refserver.state import simulator
from tests.unit.refserver import test_refserver_control as control
from tests.unit.refserver import test_refserver_queue as queue

UUIDS = queue.UUIDS
#: What every live migration has once the source compute queued it,
#: newest first: the conductor's event, the two checks (the destination
#: calls the source's), and the source's live_migration, which only
#: hands the job to a thread.
QUEUED = [
    ('compute_live_migration', 'Success', 'compute-1'),
    ('compute_check_can_live_migrate_source', 'Success', 'compute-1'),
    ('compute_check_can_live_migrate_destination', 'Success', 'compute-2'),
    ('conductor_live_migrate_instance', 'Success', 'controller')]
#: pre_live_migration on the destination once the job has a worker.
PREPARED = [('compute_pre_live_migration', 'Success', 'compute-2')]
ROLLED_BACK = [
    ('compute_rollback_live_migration_at_destination', 'Success',
     'compute-2')]


class EventsTestCase(control.ControlTestCase):
    def make_scenario(self):
        return types.SimpleNamespace(name='unit', **vars(queue.scenario()))

    def events(self, name, action='live-migration'):
        """(event, result, host) of the server's latest ``action``."""
        listed = self.get(f'/servers/{UUIDS[name]}/os-instance-actions')[
            'instanceActions']
        request_id = next(item['request_id'] for item in listed
                          if item['action'] == action)
        shown = self.get(f'/servers/{UUIDS[name]}/os-instance-actions/'
                         f'{request_id}', '2.84')['instanceAction']
        return [(event['event'], event['result'], event['host'])
                for event in shown['events']]

    def status(self, name):
        return self.migration(UUIDS[name])['status']

    def abort(self, name, migration, version='2.65'):
        resp = self.compute('DELETE', f'/servers/{UUIDS[name]}/migrations/'
                            f'{migration}', version=version)
        self.assertEqual(202, resp.status_int, resp.body)

    def settle(self):
        self.ok('POST', 'clock', {'advance': 60})


class TestEndings(EventsTestCase):
    def test_queued_then_running(self):
        self.assertEqual(('queued', QUEUED), (self.status('q-idle-1'),
                                              self.events('q-idle-1')))
        self.assertEqual(('running', PREPARED + QUEUED),
                         (self.status('q-busy'), self.events('q-busy')))

    def test_completed(self):
        resp = self.compute('POST', f"/servers/{UUIDS['q-busy']}/migrations/"
                            '1/action', control.FORCE, version='2.22')
        self.assertEqual(202, resp.status_int, resp.body)
        self.settle()
        self.assertEqual('completed', self.status('q-busy'))
        completed = [('compute_post_live_migration_at_destination',
                      'Success', 'compute-2')] + PREPARED + QUEUED
        self.assertEqual(completed, self.events('q-busy'))
        # The idle guests queued behind it had their turn, one by one.
        for name in ('q-idle-1', 'q-idle-2', 'q-idle-3'):
            self.assertEqual(('completed', completed),
                             (self.status(name), self.events(name)))

    def test_aborted_while_queued_never_started(self):
        self.abort('q-idle-2', 3)
        self.settle()
        self.assertEqual('cancelled', self.status('q-idle-2'))
        # Nothing prepared, nothing to roll back
        # (ComputeManager.live_migration_abort cancels the queued job).
        self.assertEqual(QUEUED, self.events('q-idle-2'))
        self.assertEqual(
            [('compute_live_migration_abort', 'Success', 'compute-1')],
            self.events('q-idle-2', 'live_migration_cancel'))

    def test_aborted_while_running_is_rolled_back(self):
        self.abort('q-busy', 1, '2.24')
        self.settle()
        self.assertEqual('cancelled', self.status('q-busy'))
        self.assertEqual(ROLLED_BACK + PREPARED + QUEUED,
                         self.events('q-busy'))

    def test_a_failed_job_is_rolled_back(self):
        self.ok('POST', 'migrations/1/fail')
        self.ok('POST', 'clock', {'advance': simulator.ROLLBACK_SECONDS})
        self.assertEqual('failed', self.status('q-busy'))
        self.assertEqual(ROLLED_BACK + PREPARED + QUEUED,
                         self.events('q-busy'))

    def test_a_driver_failure_rolls_nothing_back(self):
        self.ok('POST', 'migrations/1/fail', {'status': 'error'})
        self.settle()
        self.assertEqual('error', self.status('q-busy'))
        self.assertEqual(PREPARED + QUEUED, self.events('q-busy'))

    def test_pre_live_migration_failure_is_its_error_event(self):
        self.abort('q-busy', 1, '2.24')
        self.ok('POST', 'clock', {'advance': 1.2})
        self.assertEqual('preparing', self.status('q-idle-1'))
        self.ok('POST', 'migrations/2/fail')
        self.settle()
        self.assertEqual('failed', self.status('q-idle-1'))
        self.assertEqual(
            ROLLED_BACK + [('compute_pre_live_migration', 'Error',
                            'compute-2')] + QUEUED,
            self.events('q-idle-1'))


    def test_pre_live_migration_failing_while_queued(self):
        # The harness fails it in the queue: it fails as its turn comes,
        # and is rolled back like any pre_live_migration failure.
        self.ok('POST', 'migrations/3/fail')
        self.settle()
        self.assertEqual('failed', self.status('q-idle-2'))
        self.assertEqual(
            ROLLED_BACK + [('compute_pre_live_migration', 'Error',
                            'compute-2')] + QUEUED,
            self.events('q-idle-2'))


class TestMicroversions(EventsTestCase):
    def migrate(self, name, version):
        resp = self.compute('POST', f'/servers/{UUIDS[name]}/action',
                            {'os-migrateLive': {'host': 'compute-3',
                                                'block_migration': False}},
                            version=version)
        self.assertEqual(202, resp.status_int, resp.body)

    def conductor_event(self, name):
        return self.events(name)[-1][0]

    def test_the_conductor_event_before_and_from_2_34(self):
        # Before 2.34 the API calls the conductor's migrate_server and
        # waits; from 2.34 it casts live_migrate_instance
        # (nova/conductor/api.py, ComputeTaskAPI.live_migrate_instance).
        for name in ('q-idle-1', 'q-idle-2'):
            self.abort(name, {'q-idle-1': 2, 'q-idle-2': 3}[name])
        self.settle()
        self.migrate('q-idle-1', '2.33')
        self.migrate('q-idle-2', '2.34')
        self.assertEqual('conductor_migrate_server',
                         self.conductor_event('q-idle-1'))
        self.assertEqual('conductor_live_migrate_instance',
                         self.conductor_event('q-idle-2'))


class TestQueuedAbortNotifications(EventsTestCase):
    def test_abort_notified_and_no_rollback(self):
        path = self.useFixture(fixtures.TempDir()).join('notes.jsonl')
        self.services.notifier = notifier.Notifier(path)
        self.abort('q-idle-2', 3)
        self.settle()
        self.assertEqual('cancelled', self.status('q-idle-2'))
        with open(path) as stream:
            emitted = [json.loads(line) for line in stream]
        self.assertEqual(
            ['instance.live_migration_abort.start',
             'instance.live_migration_abort.end'],
            [note['event_type'] for note in emitted
             if note['payload']['nova_object.data']['uuid'] ==
             UUIDS['q-idle-2']])


class TestActionUpdatedAt(EventsTestCase):
    def test_a_driver_failure_action_ends_with_pre_live_migration(self):
        # No event follows pre_live_migration after a driver failure: the
        # action was last updated when it finished, not when it started.
        self.ok('POST', 'migrations/1/fail', {'status': 'error'})
        self.settle()
        listed = self.get(f"/servers/{UUIDS['q-busy']}/os-instance-actions",
                          '2.58')['instanceActions']
        (action,) = [item for item in listed
                     if item['action'] == 'live-migration']
        shown = self.get(f"/servers/{UUIDS['q-busy']}/os-instance-actions/"
                         f"{action['request_id']}", '2.84')['instanceAction']
        (prepared,) = [event for event in shown['events']
                       if event['event'] == 'compute_pre_live_migration']
        self.assertEqual(prepared['finish_time'], action['updated_at'])
