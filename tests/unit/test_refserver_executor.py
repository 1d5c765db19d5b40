"""Nova's per-host live-migration queue (simulated times, no I/O)."""

import math

import testtools

from novaclient_force.refserver.state import executor, simulator

GIB = simulator.GIB
LINK = 1.25e9
#: queued_seconds + preparing_seconds of the default params
QUEUED, PREPARING = 0.5, 1.0


def busy(**overrides):
    """Never converges; Nova's completion timeout aborts it after
    800 s x 4 GiB of running."""
    return simulator.MigrationParams(memory_bytes=4 * GIB, dirty_rate=2e9,
                                     bandwidth=LINK, **overrides)


def idle():
    return simulator.MigrationParams(memory_bytes=GIB, dirty_rate=1e6,
                                     bandwidth=LINK)


def job(key, params, origin=100.0, **times):
    return executor.Job(key, origin, params, **times)


def end(key_job, slot_at):
    return executor.end_of(key_job, slot_at)


class TestSchedule(testtools.TestCase):

    def test_limit_1_runs_one_at_a_time_in_queue_order(self):
        jobs = [job(1, busy()), job(2, idle()), job(3, idle())]
        slots = executor.schedule(jobs, 1)
        self.assertEqual(100.0 + QUEUED, slots[1])
        # the busy one holds the worker until its timeout abort ends it
        first_end = 100.0 + QUEUED + PREPARING + 3200 + \
            simulator.ABORT_SECONDS
        self.assertEqual(first_end, end(jobs[0], slots[1]))
        self.assertEqual(first_end, slots[2])
        self.assertEqual(end(jobs[1], slots[2]), slots[3])
        self.assertLess(slots[3] - slots[2], 10)

    def test_queue_order_is_arrival_then_id(self):
        jobs = [job(1, idle(), origin=105.0), job(2, idle(), origin=100.0),
                job(3, idle(), origin=105.0)]
        slots = executor.schedule(jobs, 1)
        self.assertLess(slots[2], slots[1])
        self.assertLess(slots[1], slots[3])

    def test_forcing_the_running_one_lets_the_next_start(self):
        forced = job(1, busy(), force_complete_at=200.0)
        slots = executor.schedule([forced, job(2, idle())], 1)
        completed = simulator.state_at(
            busy(), 1000.0, force_complete_at=100.0).finished_at
        self.assertEqual(100.0 + completed, slots[2])
        self.assertLess(slots[2], 200.0 + 10)
        self.assertGreater(slots[2], 200.0)

    def test_abort_while_queued_frees_nothing_and_skips_the_queue(self):
        jobs = [job(1, busy(), force_complete_at=200.0),
                job(2, idle(), abort_at=150.0), job(3, idle())]
        slots = executor.schedule(jobs, 1)
        self.assertIsNone(slots[2])
        self.assertEqual(end(jobs[0], slots[1]), slots[3])

    def test_abort_while_preparing_holds_the_worker_until_rolled_back(self):
        aborted = job(1, busy(), abort_at=100.0 + QUEUED + 0.2)
        slots = executor.schedule([aborted, job(2, idle())], 1)
        self.assertEqual(100.0 + QUEUED + PREPARING
                         + simulator.ABORT_SECONDS, slots[2])

    def test_limit_2_and_no_limit(self):
        jobs = [job(key, busy()) for key in (1, 2, 3)]
        two = executor.schedule(jobs, 2)
        self.assertEqual(two[1], two[2])
        self.assertEqual(end(jobs[0], two[1]), two[3])
        unlimited = executor.schedule(jobs, 0)
        self.assertEqual({100.0 + QUEUED}, set(unlimited.values()))

    def test_never_ending_migration_blocks_the_queue_for_ever(self):
        endless = busy(config=simulator.LiveMigrationConfig(
            completion_timeout=0))
        slots = executor.schedule([job(1, endless), job(2, idle())], 1)
        self.assertEqual(math.inf, slots[2])

    def test_ended_migrations_keep_the_worker_they_held(self):
        # 1 ended after holding a worker from 100.5 to 150; 2 runs for
        # ever; 3 waits for 1's worker with the limit at 2.
        endless = busy(config=simulator.LiveMigrationConfig(
            completion_timeout=0))
        jobs = [job(1, idle(), ended_at=150.0, slot_at=100.5),
                job(2, endless), job(3, idle(), origin=101.0)]
        self.assertEqual(150.0, executor.schedule(jobs, 2)[3])
        # one that was aborted while queued held none
        jobs[0] = job(1, idle(), ended_at=150.0, slot_at=None)
        self.assertEqual(101.0 + QUEUED, executor.schedule(jobs, 2)[3])

    def test_a_later_request_never_changes_an_earlier_start(self):
        # whatever happens to 1 after 2 started, 2's start stays
        jobs = [job(1, idle()), job(2, idle())]
        before = executor.schedule(jobs, 1)[2]
        jobs[0] = job(1, idle(), force_complete_at=before + 5)
        self.assertEqual(before, executor.schedule(jobs, 1)[2])
