"""Simulator: failures, converge and stall overrides, and ground truth.

Expected numbers come from the model's rules, not from the module: a
guest dirtying faster than the link (``busy``) re-sends all its memory
every round, so its dirty set is always the whole memory, and whatever
is left when it stops dirtying takes ``memory / bandwidth`` seconds.
"""


from novaclient_force.refserver.state import simulator
from tests import testcase
from tests.unit.refserver import shapes

GIB = simulator.GIB
LINK = 1.25e9
NO_TIMEOUT = simulator.LiveMigrationConfig(completion_timeout=0)
RUNNING_AT = 1.5        # queued 0.5 s + preparing 1.0 s (the defaults)


def busy_copy(at):
    """Seconds a busy guest's pending memory takes at link speed once
    it stops dirtying at ``at``."""
    return shapes.sawtooth(4 * GIB, at - RUNNING_AT, LINK) / LINK


def busy(**overrides):
    values = dict(memory_bytes=4 * GIB, dirty_rate=2e9, bandwidth=LINK,
                  config=NO_TIMEOUT)
    values.update(overrides)
    return simulator.MigrationParams(**values)


def idle(**overrides):
    values = dict(memory_bytes=2 * GIB, dirty_rate=20e6, bandwidth=LINK)
    values.update(overrides)
    return simulator.MigrationParams(**values)


class TestFailures(testcase.TestCase):

    def test_failed_job_rolls_back_then_is_failed(self):
        """nova/compute/manager.py _rollback_live_migration sets the
        status (default 'failed') after the rollback's work."""
        fail = ((30.0, 'failed'),)
        during = simulator.state_at(busy(), 30.5, overrides=fail)
        self.assertEqual('running', during.status)
        self.assertIsNone(during.finished_at)
        done = simulator.state_at(busy(), 60.0, overrides=fail)
        self.assertEqual('failed', done.status)
        self.assertEqual('job_failed', done.ended_by)
        self.assertEqual(30.0 + simulator.ROLLBACK_SECONDS, done.finished_at)
        # Bytes of the last stats save (every 5 s from 1.5 s) before it.
        self.assertEqual(round(LINK * 25), done.memory_processed_bytes)

    def test_failure_in_preparing_is_error_then_failed(self):
        """_cleanup_pre_live_migration sets 'error', then
        _rollback_live_migration ends it 'failed'."""
        fail = ((1.0, 'failed'),)
        self.assertEqual('preparing', simulator.state_at(busy(), 0.9,
                                                         overrides=fail)
                         .status)
        self.assertEqual('error', simulator.state_at(busy(), 1.5,
                                                     overrides=fail).status)
        done = simulator.state_at(busy(), 2.0, overrides=fail)
        self.assertEqual(('failed', 'pre_live_migration_failed'),
                         (done.status, done.ended_by))
        self.assertIsNone(done.memory_processed_bytes)

    def test_driver_error_is_error_at_once(self):
        state = simulator.state_at(busy(), 30.0, overrides=((30.0,
                                                             'error'),))
        self.assertEqual(('error', 'driver_error', 30.0),
                         (state.status, state.ended_by, state.finished_at))

    def test_error_needs_a_running_job(self):
        overrides = ((1.0, 'error'),)
        self.assertEqual([], simulator.overrides_applied(
            busy(), 60.0, overrides=overrides))
        self.assertEqual('running', simulator.state_at(
            busy(), 60.0, overrides=overrides).status)

    def test_failure_after_completion_changes_nothing(self):
        params = idle()
        natural = simulator.state_at(params, 60.0)
        self.assertEqual('completed', natural.status)
        late = ((natural.finished_at + 1, 'failed'),)
        self.assertEqual(natural, simulator.state_at(params, 60.0,
                                                     overrides=late))
        self.assertEqual([], simulator.overrides_applied(params, 60.0,
                                                         overrides=late))

    def test_failure_stops_a_pending_force_complete(self):
        state = simulator.state_at(busy(), 60.0, force_complete_at=40.0,
                                   overrides=((30.0, 'failed'),))
        self.assertEqual('failed', state.status)
        self.assertFalse(state.force_complete_applied)


class TestConvergeAndStall(testcase.TestCase):

    def test_converge_sends_the_rest_without_pausing(self):
        state = simulator.state_at(busy(), 100.0,
                                   overrides=((30.0, 'converge'),))
        self.assertEqual(('completed', 'converged'),
                         (state.status, state.ended_by))
        self.assertAlmostEqual(
            30.0 + busy_copy(30.0) + simulator.POST_MIGRATION_SECONDS,
            state.finished_at)
        truth = simulator.ground_truth(busy(), 100.0,
                                       overrides=((30.0, 'converge'),))
        self.assertEqual((None, 0.0), (truth.paused_at,
                                       truth.paused_seconds))

    def test_converge_after_convergence_does_nothing(self):
        natural = simulator.state_at(idle(), 60.0)
        self.assertEqual([], simulator.overrides_applied(
            idle(), 60.0, overrides=((natural.finished_at - 0.5,
                                      'converge'),)))

    def test_stall_keeps_a_converging_job_running(self):
        params = idle(config=NO_TIMEOUT)
        self.assertEqual('completed', simulator.state_at(params, 60).status)
        stalled = simulator.state_at(params, 3600.0,
                                     overrides=((2.0, 'stall'),))
        self.assertEqual('running', stalled.status)
        # The dirty set stays what it was when the stall began.
        later = simulator.state_at(params, 7200.0,
                                   overrides=((2.0, 'stall'),))
        self.assertEqual(stalled.memory_remaining_bytes,
                         later.memory_remaining_bytes)
        self.assertGreater(later.memory_processed_bytes,
                           stalled.memory_processed_bytes)

    def test_stalled_job_meets_the_completion_timeout(self):
        state = simulator.state_at(idle(), 3600.0,
                                   overrides=((2.0, 'stall'),))
        self.assertEqual(('cancelled', 'timeout_abort'),
                         (state.status, state.ended_by))

    def test_force_complete_ends_a_stalled_job_with_a_pause(self):
        params = idle(config=NO_TIMEOUT)
        overrides = ((2.0, 'stall'),)
        left = simulator.state_at(params, 2.0).memory_remaining_bytes
        truth = simulator.ground_truth(params, 100.0, force_complete_at=50,
                                       overrides=overrides)
        self.assertEqual(50, truth.paused_at)
        # Remaining at the stall (interpolated, not the 5 s save).
        self.assertLess(truth.paused_seconds, 2 * GIB / LINK)
        self.assertGreater(truth.paused_seconds, 0.1)
        state = simulator.state_at(params, 100.0, force_complete_at=50,
                                   overrides=overrides)
        self.assertEqual('completed', state.status)
        self.assertAlmostEqual(50 + truth.paused_seconds
                               + simulator.POST_MIGRATION_SECONDS,
                               state.finished_at)
        # the 2 s reading shows the save at the start of running
        self.assertEqual(2 * GIB, left)


class TestGroundTruth(testcase.TestCase):

    def test_pause_of_a_forced_busy_guest(self):
        truth = simulator.ground_truth(busy(), 100.0, force_complete_at=40)
        self.assertEqual(40, truth.paused_at)
        self.assertAlmostEqual(busy_copy(40), truth.paused_seconds)
        self.assertEqual(round(LINK * (40 + busy_copy(40) - RUNNING_AT)),
                         truth.memory_sent_bytes)

    def test_pause_so_far_while_still_paused(self):
        truth = simulator.ground_truth(busy(), 41.0, force_complete_at=40)
        self.assertAlmostEqual(1.0, truth.paused_seconds)
        state = simulator.state_at(busy(), 41.0, force_complete_at=40)
        self.assertTrue(state.paused)

    def test_post_copy_does_not_pause(self):
        params = busy(permit_post_copy=True)
        truth = simulator.ground_truth(params, 100.0, force_complete_at=40)
        self.assertEqual((None, 0.0, 40), (truth.paused_at,
                                           truth.paused_seconds,
                                           truth.post_copy_at))

    def test_converged_job_pauses_for_its_stop_and_copy(self):
        params = idle()
        truth = simulator.ground_truth(params, 60.0)
        state = simulator.state_at(params, 60.0)
        downtime_limit = params.config.downtime_ms / 1000.0
        self.assertGreater(truth.paused_seconds, 0)
        self.assertLessEqual(truth.paused_seconds, downtime_limit)
        self.assertAlmostEqual(
            state.finished_at - simulator.POST_MIGRATION_SECONDS,
            truth.paused_at + truth.paused_seconds)

    def test_abort_ends_the_pause(self):
        truth = simulator.ground_truth(busy(), 100.0, force_complete_at=40,
                                       abort_at=41)
        self.assertAlmostEqual(1.0, truth.paused_seconds)

    def test_never_paused_and_bytes_grow_with_time(self):
        first = simulator.ground_truth(busy(), 20.0)
        second = simulator.ground_truth(busy(), 30.0)
        self.assertIsNone(second.paused_at)
        self.assertEqual(round(LINK * 10), second.memory_sent_bytes
                         - first.memory_sent_bytes)

    def test_block_migration_sends_the_disk_first(self):
        params = busy(disk_bytes=10 * GIB)
        truth = simulator.ground_truth(params, RUNNING_AT + 2)
        self.assertEqual((round(LINK * 2), 0), (truth.disk_sent_bytes,
                                                truth.memory_sent_bytes))
