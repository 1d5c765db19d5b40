"""Waiting for the real outcome: the pure loop, then each outcome."""


from novaclient_force import exceptions, outcome, waiting
from tests import testcase
from tests.unit.sdk import sdk_fakes as f

INDEX = f'{f.COMPUTE}/servers/{f.SERVER}/migrations'
ACTION = f'{f.COMPUTE}/servers/{f.SERVER}/migrations/7/action'
OS_MIGRATIONS = f.COMPUTE + '/os-migrations'
ACTIONS = f'{f.COMPUTE}/servers/{f.SERVER}/os-instance-actions'


class TestLoop(testcase.TestCase):

    def test_backs_off_to_the_cap_and_stops_when_done(self):
        clock = f.FakeClock()
        readings = iter([waiting.Reading('running')] * 7 +
                        [waiting.Reading('completed', done=True)])
        seen = []
        reading, elapsed = waiting.wait_for_outcome(
            lambda deadline: next(readings), clock=clock, sleep=clock.sleep,
            progress=lambda r, e: seen.append(e))
        self.assertTrue(reading.done)
        self.assertEqual([0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0], clock.sleeps)
        self.assertEqual(7, len(seen))
        self.assertEqual(22.5, elapsed)

    def test_a_status_change_starts_the_interval_over(self):
        clock = f.FakeClock()
        readings = iter([waiting.Reading('queued')] * 4 +
                        [waiting.Reading('running')] * 2 +
                        [waiting.Reading('completed', done=True)])
        waiting.wait_for_outcome(lambda deadline: next(readings),
                                 clock=clock, sleep=clock.sleep)
        self.assertEqual([0.5, 1.0, 2.0, 4.0, 0.5, 1.0], clock.sleeps)

    def test_prompt_readings_are_a_second_apart_at_most(self):
        clock = f.FakeClock()
        readings = iter([waiting.Reading('running', prompt=True)] * 5 +
                        [waiting.Reading('completed', done=True)])
        waiting.wait_for_outcome(lambda deadline: next(readings),
                                 clock=clock, sleep=clock.sleep)
        self.assertEqual([0.5, 1.0, 1.0, 1.0, 1.0], clock.sleeps)

    def test_times_out_with_a_last_look_at_the_deadline(self):
        clock = f.FakeClock()
        deadlines = []

        def read(deadline):
            deadlines.append(deadline)
            return waiting.Reading('running')

        reading, elapsed = waiting.wait_for_outcome(
            read, timeout=3, clock=clock, sleep=clock.sleep)
        self.assertFalse(reading.done)
        self.assertEqual([0.5, 1.0, 1.5], clock.sleeps)
        self.assertEqual(3, elapsed)
        self.assertEqual({103.0}, set(deadlines))

    def test_a_reading_failing_at_the_deadline_is_no_outage(self):
        # A slow endpoint: the last reading timed out at the deadline.
        clock = f.FakeClock()
        readings = iter([waiting.Reading('running')] * 3)

        def read(deadline):
            reading = next(readings, None)
            if reading is None:
                clock.now = deadline
                error = exceptions.EndpointUnreachable('No answer')
                error.cause, error.transient = 'timed out', True
                raise error
            return reading
        reading, _ = waiting.wait_for_outcome(read, timeout=3, clock=clock,
                                              sleep=clock.sleep)
        self.assertEqual(
            (outcome.UNKNOWN, 'its outcome could not be read: the last '
             'reading failed (timed out) and no time was left to try '
             'again'), (reading.outcome, reading.reason))

    def test_a_rate_limited_reading_waits_as_long_as_the_cloud_asks(self):
        clock = f.FakeClock()
        limited = exceptions.RateLimited('Too Many Requests')
        limited.transient, limited.retry_after = True, 20.0
        answers = iter([limited, waiting.Reading('completed', done=True)])

        def read(deadline):
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer
        reading, _ = waiting.wait_for_outcome(read, clock=clock,
                                              sleep=clock.sleep)
        self.assertTrue(reading.done)
        self.assertEqual([20.0], clock.sleeps)

    def test_zero_timeout_reads_once(self):
        clock = f.FakeClock()
        calls = []
        waiting.wait_for_outcome(
            lambda d: calls.append(d) or waiting.Reading('running'),
            timeout=0, clock=clock, sleep=clock.sleep)
        self.assertEqual(1, len(calls))
        self.assertEqual([], clock.sleeps)


class WaitCase(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.requests.post(ACTION, status_code=202)
        self.events = []

    def index(self, *responses):
        self.requests.get(INDEX, [{'json': {'migrations': rows}}
                                  for rows in responses])

    def os_migrations(self, *statuses, **kwargs):
        self.requests.get(OS_MIGRATIONS, [
            {'json': {'migrations': [f.os_migration_row(status=s)]}}
            for s in statuses], **kwargs)

    def force(self, timeout=60):
        return self.manager().force_complete(
            f.SERVER, 7, wait=True, timeout=timeout,
            progress=self.events.append)


class TestOutcomes(WaitCase):

    def test_completed_with_progress_events(self):
        self.index([f.migration_row(processed=10, remaining=90, total=100)],
                   [f.migration_row(processed=80, remaining=20, total=100)],
                   [])
        self.os_migrations('completed')
        result = self.force()
        self.assertEqual(outcome.COMPLETED, result.status)
        self.assertEqual('completed on compute-2', result.reason)
        self.assertEqual('completed', result.migration_status)
        self.assertEqual(0, result.exit_code)
        self.assertEqual([(10, 90, 100), (80, 20, 100)], [
            (e.memory_processed_bytes, e.memory_remaining_bytes,
             e.memory_total_bytes) for e in self.events])
        self.assertEqual({'running'}, {e.status for e in self.events})
        self.assertEqual(f.SERVER, self.events[0].server)
        self.assertEqual(7, self.events[0].migration)
        self.assertEqual([0.5, 1.0], self.clock.sleeps)
        query = self.requests.request_history[-1].qs
        self.assertEqual([f.SERVER], query['instance_uuid'])
        self.assertEqual(['live-migration'], query['migration_type'])

    def test_how_long_it_took(self):
        """From the 202 to the reading that saw the end, on our clock;
        from creation to the final status, on Nova's."""
        self.index(*[[f.migration_row()]] * 5, [])
        self.requests.get(OS_MIGRATIONS, json={'migrations': [
            f.os_migration_row(status='completed',
                               created_at='2026-12-07T10:00:00.000000',
                               updated_at='2026-12-07T10:02:04.500000')]})
        result = self.force()
        # Read at once, then after 0.5 s and 1 s apart: six readings.
        self.assertEqual([0.5, 1.0, 1.0, 1.0, 1.0], self.clock.sleeps)
        self.assertEqual((4.5, 124.5), (result.force_to_end,
                                        result.migration_time))

    def test_nothing_is_made_up_when_the_end_is_not_seen(self):
        self.index(*[[f.migration_row()]] * 20)
        result = self.force(timeout=3)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertEqual((None, None), (result.force_to_end,
                                        result.migration_time))

    def test_post_copy_is_followed_until_it_completes(self):
        self.index([])
        self.os_migrations('running (post-copy)', 'completed')
        result = self.force()
        self.assertEqual(outcome.COMPLETED, result.status)
        self.assertEqual(['running (post-copy)'],
                         [e.status for e in self.events])
        # Out of the index once: not read again.
        self.assertEqual(1, [p for _, p in self.compute_calls()].count(
            f'/compute/v2.1/servers/{f.SERVER}/migrations'))

    def test_already_in_post_copy_is_waited_for_not_refused(self):
        self.requests.post(ACTION, **f.fault(
            400, 'badRequest', f'Migration 7 state of instance {f.SERVER} is '
            'running (post-copy). Cannot force complete while the migration '
            'is in this state.'))
        self.index([])
        self.os_migrations('running (post-copy)', 'completed')
        result = self.force()
        self.assertEqual((outcome.COMPLETED, False),
                         (result.status, result.forced))
        # How it ended, then why it was not forced: as a drain says it.
        self.assertTrue(result.reason.startswith(
            'completed on compute-2 without forcing (force-complete '
            f'refused: Migration 7 of server {f.SERVER} already switched to '
            'post-copy'), result.reason)
        # Without --wait the refusal stands.
        self.assertRaises(exceptions.AlreadyPostCopy,
                          self.manager().force_complete, f.SERVER, 7)

    def server(self, status, host='compute-1'):
        self.requests.get(f'{f.COMPUTE}/servers/{f.SERVER}', json={
            'server': {'id': f.SERVER, 'status': status,
                       'OS-EXT-SRV-ATTR:host': host}})

    def test_failed_says_where_the_server_is_and_nova_s_message(self):
        self.index([])
        self.os_migrations('failed')
        self.server('ACTIVE')
        self.requests.get(ACTIONS, json={'instanceActions': [
            {'action': 'live_migration_force_complete',
             'request_id': 'req-fc'},
            {'action': 'live-migration', 'request_id': 'req-lm'}]})
        self.requests.get(ACTIONS + '/req-lm', json={'instanceAction': {
            'events': [{'event': 'compute_pre_live_migration',
                        'result': 'Error',
                        'details': 'Migration error: pre_live_migration '
                                   'failed on compute-2',
                        'traceback': 'Traceback...\n  File x\n'
                                     '    raise exception.MigrationError('
                                     'reason=msg)\n'}]}})
        self.requests.get(ACTIONS + '/req-fc', json={'instanceAction': {
            'events': [{'event': 'compute_live_migration_force_complete',
                        'result': 'Success'}]}})
        result = self.force()
        self.assertEqual(outcome.FAILED, result.status)
        self.assertEqual(3, result.exit_code)
        self.assertEqual(
            'failed: the server is back on its source host compute-1, '
            'ACTIVE; compute_pre_live_migration failed: Migration error: '
            'pre_live_migration failed on compute-2', result.reason)
        # Event details need 2.84: asked at 2.84, the rest at 2.80.
        versions = {r.path.rsplit('/', 1)[-1]: r.headers.get(
            'OpenStack-API-Version') for r in self.requests.request_history}
        self.assertEqual('compute 2.84', versions['req-lm'])
        self.assertEqual('compute 2.80', versions['os-instance-actions'])

    def test_error_status_says_the_server_needs_an_operator(self):
        self.index([])
        self.os_migrations('error')
        self.server('ERROR')
        self.requests.get(ACTIONS, json={'instanceActions': []})
        result = self.force()
        self.assertEqual(outcome.FAILED, result.status)
        self.assertEqual(
            'error: the server is in ERROR on compute-1, its source host, '
            'and needs an operator (Nova leaves it so when the hypervisor '
            'driver fails); Nova recorded no error event', result.reason)

    def test_error_while_rolling_back_is_followed_to_failed(self):
        self.index([])
        self.os_migrations('error', 'failed')
        self.requests.get(f'{f.COMPUTE}/servers/{f.SERVER}', [
            {'json': {'server': {'status': 'MIGRATING',
                                 'OS-EXT-STS:task_state': 'migrating'}}},
            {'json': {'server': {'status': 'ACTIVE',
                                 'OS-EXT-SRV-ATTR:host': 'compute-1'}}}])
        self.requests.get(ACTIONS, json={'instanceActions': []})
        result = self.force()
        self.assertEqual(outcome.FAILED, result.status)
        self.assertTrue(result.reason.startswith(
            'failed: the server is back on its source host compute-1, '
            'ACTIVE'), result.reason)

    def test_below_2_84_the_exception_line_of_the_traceback(self):
        self.index([])
        self.os_migrations('failed')
        self.server('ACTIVE')
        self.requests.get(ACTIONS, json={'instanceActions': [
            {'action': 'live-migration', 'request_id': 'req-lm'}]})
        self.requests.get(ACTIONS + '/req-lm', json={'instanceAction': {
            'events': [{'event': 'compute_live_migration', 'result': 'Error',
                        'traceback': 'Traceback...\n  File x\n'
                        'libvirt.libvirtError: operation failed\n'
                        '  File y\n    raise\n'}]}})
        result = self.manager('2.80').force_complete(f.SERVER, 7, wait=True)
        self.assertEqual(
            'failed: the server is back on its source host compute-1, '
            'ACTIVE; compute_live_migration failed: libvirt.libvirtError: '
            'operation failed', result.reason)

    def test_cancelled(self):
        self.index([])
        self.os_migrations('cancelled')
        result = self.force()
        self.assertEqual(outcome.CANCELLED, result.status)
        self.assertEqual(4, result.exit_code)

    def test_timed_out_says_how_to_follow(self):
        self.index([f.migration_row()])
        result = self.force(timeout=10)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertEqual(5, result.exit_code)
        self.assertEqual('still running after 10s; the migration may still '
                         'finish', result.reason)
        self.assertEqual(f'openstack server migration list --server '
                         f'{f.SERVER}', result.hint)
        self.assertIn(f'follow it with `{result.hint}`', result.detail)
        self.assertEqual(10, sum(self.clock.sleeps))
        self.assertEqual('running', result.migration_status)

    def test_timeout_too_far_to_sleep_is_refused_before_sending(self):
        for timeout in (1e10, 9999999999, float('inf')):
            self.assertRaises(exceptions.InvalidArgument,
                              self.manager().force_complete, f.SERVER, 7,
                              wait=True, timeout=timeout)
        self.assertEqual([], self.compute_calls())

    def test_timed_out_hint_speaks_the_callers_cli(self):
        self.index([f.migration_row()])
        manager = self.manager()
        manager.cli = 'nova'
        result = manager.force_complete(f.SERVER, 7, wait=True, timeout=5)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertEqual(f'nova migration-list --instance-uuid {f.SERVER}',
                         result.hint)

    def test_hint_names_the_server_by_uuid_not_by_its_name(self):
        self.requests.get(self.url('/servers'), json={'servers': [
            {'id': f.SERVER, 'name': 'vm; touch /tmp/x'}]})
        self.index([f.migration_row()])
        result = self.manager().force_complete('vm; touch /tmp/x', 7)
        self.assertEqual(outcome.ACCEPTED, result.status)
        self.assertEqual(f'openstack server migration list --server '
                         f'{f.SERVER}', result.hint)

    def test_wait_without_forcing(self):
        self.index([])
        self.os_migrations('completed')
        result = self.manager().wait(f.SERVER, 7)
        self.assertEqual(outcome.COMPLETED, result.status)
        self.assertNotIn('POST', [m for m, _ in self.compute_calls()])

    def test_reads_during_the_wait_are_retried(self):
        self.requests.get(INDEX, [f.fault(503, 'serviceUnavailable', 'x'),
                                  {'json': {'migrations': []}}])
        self.os_migrations('completed')
        self.assertEqual(outcome.COMPLETED, self.force().status)
        self.assertEqual([0.5], self.clock.sleeps)


class TestOutcomesAsManager(WaitCase):
    """A project manager may not read /os-migrations across projects."""

    roles = ('manager', 'member', 'reader')
    refused = f.fault(403, 'forbidden', "Policy doesn't allow os_compute_api"
                      ":os-migrations:index:all_projects to be performed.")

    def server(self, task_state):
        self.requests.get(f'{f.COMPUTE}/servers/{f.SERVER}', json={
            'server': {'id': f.SERVER, 'status': 'ACTIVE',
                       'OS-EXT-STS:task_state': task_state}})

    def actions(self, *actions, events=()):
        self.requests.get(ACTIONS, json={'instanceActions': list(actions)})
        self.requests.get(ACTIONS + '/req-lm', json={'instanceAction': {
            'events': list(events)}})

    def test_hint_reads_the_server(self):
        # os-migrations would need index:all_projects (admin by default).
        self.index([f.migration_row()])
        result = self.force(timeout=1)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertEqual(f'openstack server show {f.SERVER}', result.hint)

    def test_own_project_filter_then_completed(self):
        self.index([])
        self.requests.get(OS_MIGRATIONS, [self.refused, {'json': {
            'migrations': [f.os_migration_row(status='completed')]}}])
        self.assertEqual(outcome.COMPLETED, self.force().status)
        self.assertEqual([f.PROJECT], self.requests.request_history[-1]
                         .qs['project_id'])

    def test_completed_from_the_instance_actions(self):
        self.index([])
        self.requests.get(OS_MIGRATIONS, **self.refused)
        self.server(None)
        self.actions({'action': 'live-migration', 'request_id': 'req-lm'},
                     events=[{'event': 'compute_post_live_migration_at_'
                              'destination', 'result': 'Success'}])
        result = self.force()
        self.assertEqual(outcome.COMPLETED, result.status)
        # Hosts are shown to admins only by default: say so.
        self.assertEqual('completed (the destination host is not shown to '
                         'you)', result.reason)

    def test_own_projects_row_without_its_hosts(self):
        self.index([])
        self.requests.get(OS_MIGRATIONS, [self.refused, {'json': {
            'migrations': [f.os_migration_row(
                status='completed', dest_compute=None,
                source_compute=None)]}}])
        self.assertEqual('completed (the destination host is not shown to '
                         'you)', self.force().reason)

    def test_still_migrating_then_cancelled(self):
        self.index([])
        self.requests.get(OS_MIGRATIONS, **self.refused)
        self.requests.get(f'{f.COMPUTE}/servers/{f.SERVER}', [
            {'json': {'server': {'OS-EXT-STS:task_state': 'migrating'}}},
            {'json': {'server': {'OS-EXT-STS:task_state': None}}}])
        self.actions(
            {'action': 'live_migration_cancel', 'request_id': 'req-ab',
             'start_time': '2026-01-01T10:05:00.000000'},
            {'action': 'live-migration', 'request_id': 'req-lm',
             'start_time': '2026-01-01T10:00:00.000000'},
            events=[{'event': 'compute_rollback_live_migration_at_'
                     'destination', 'result': 'Success'}])
        result = self.force()
        self.assertEqual(outcome.CANCELLED, result.status)
        self.assertEqual(['migrating'], [e.status for e in self.events])

    def test_failed_from_the_instance_actions(self):
        self.index([])
        self.requests.get(OS_MIGRATIONS, **self.refused)
        self.server(None)
        self.actions({'action': 'live-migration', 'request_id': 'req-lm'},
                     events=[{'event': 'compute_pre_live_migration',
                              'result': 'Error'}])
        result = self.force()
        self.assertEqual(outcome.FAILED, result.status)
        self.assertEqual(
            "failed: the server is ACTIVE (Nova rolls a failed live "
            "migration back to the source host); compute_pre_live_migration "
            "failed (Nova's error message is not shown to your role: policy "
            "os_compute_api:os-instance-actions:events:details, admin-only "
            "by default)", result.reason)
