"""Nova's per-host live-migration queue (simulated times, no I/O)."""

import dataclasses
import math

from novaclient_force.refserver.state import executor, simulator
from tests import testcase
from tests.unit.refserver import shapes

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


def end(key_job, slot):
    return executor.end_of(key_job, slot.at, slot.sharing)


def starts(jobs, limit):
    """``{key: slot time}`` of :func:`executor.schedule`."""
    return {key: slot.at if slot is not None else None
            for key, slot in executor.schedule(jobs, limit).items()}


class TestSchedule(testcase.TestCase):

    def test_limit_1_runs_one_at_a_time_in_queue_order(self):
        jobs = [job(1, busy()), job(2, idle()), job(3, idle())]
        slots = executor.schedule(jobs, 1)
        self.assertEqual(100.0 + QUEUED, slots[1].at)
        # the busy one holds the worker until its timeout abort ends it
        first_end = 100.0 + QUEUED + PREPARING + 3200 + \
            simulator.ABORT_SECONDS
        self.assertEqual(first_end, end(jobs[0], slots[1]))
        self.assertEqual(first_end, slots[2].at)
        self.assertEqual(end(jobs[1], slots[2]), slots[3].at)
        self.assertLess(slots[3].at - slots[2].at, 10)
        # one at a time: each has the link to itself
        self.assertEqual({1}, {slot.sharing for slot in slots.values()})

    def test_queue_order_is_arrival_then_id(self):
        jobs = [job(1, idle(), origin=105.0), job(2, idle(), origin=100.0),
                job(3, idle(), origin=105.0)]
        slots = starts(jobs, 1)
        self.assertLess(slots[2], slots[1])
        self.assertLess(slots[1], slots[3])

    def test_forcing_the_running_one_lets_the_next_start(self):
        forced = job(1, busy(), force_complete_at=200.0)
        slots = starts([forced, job(2, idle())], 1)
        completed = simulator.state_at(
            busy(), 1000.0, force_complete_at=100.0).finished_at
        self.assertEqual(100.0 + completed, slots[2])
        self.assertLess(slots[2], 200.0 + 10)
        self.assertGreater(slots[2], 200.0)

    def test_abort_while_queued_frees_nothing_and_skips_the_queue(self):
        jobs = [job(1, busy(), force_complete_at=200.0),
                job(2, idle(), abort_at=150.0), job(3, idle())]
        slots = executor.schedule(jobs, 1)
        self.assertIsNone(slots[2].at)
        self.assertEqual(end(jobs[0], slots[1]), slots[3].at)

    def test_abort_while_preparing_holds_the_worker_until_rolled_back(self):
        aborted = job(1, busy(), abort_at=100.0 + QUEUED + 0.2)
        slots = starts([aborted, job(2, idle())], 1)
        self.assertEqual(100.0 + QUEUED + PREPARING
                         + simulator.ABORT_SECONDS, slots[2])

    def test_limit_2_and_no_limit(self):
        jobs = [job(key, busy()) for key in (1, 2, 3)]
        two = executor.schedule(jobs, 2)
        self.assertEqual(two[1].at, two[2].at)
        self.assertEqual(end(jobs[0], two[1]), two[3].at)
        unlimited = executor.schedule(jobs, 0)
        self.assertEqual({100.0 + QUEUED},
                         {slot.at for slot in unlimited.values()})

    def test_never_ending_migration_blocks_the_queue_for_ever(self):
        endless = busy(config=simulator.LiveMigrationConfig(
            completion_timeout=0))
        slots = starts([job(1, endless), job(2, idle())], 1)
        self.assertEqual(math.inf, slots[2])

    def test_ended_migrations_keep_the_worker_they_held(self):
        # 1 ended after holding a worker from 100.5 to 150; 2 runs for
        # ever; 3 waits for 1's worker with the limit at 2.
        endless = busy(config=simulator.LiveMigrationConfig(
            completion_timeout=0))
        jobs = [job(1, idle(), ended_at=150.0, slot_at=100.5),
                job(2, endless), job(3, idle(), origin=101.0)]
        self.assertEqual(150.0, starts(jobs, 2)[3])
        # one that was aborted while queued held none
        jobs[0] = job(1, idle(), ended_at=150.0, slot_at=None)
        self.assertEqual(101.0 + QUEUED, starts(jobs, 2)[3])

    def test_a_later_request_never_changes_an_earlier_start(self):
        # whatever happens to 1 after 2 started, 2's start stays
        jobs = [job(1, idle()), job(2, idle())]
        before = starts(jobs, 1)[2]
        jobs[0] = job(1, idle(), force_complete_at=before + 5)
        self.assertEqual(before, starts(jobs, 1)[2])


class TestSharedLink(testcase.TestCase):
    """Migrations running at once over one link share its bandwidth."""

    def test_migrations_starting_together_split_the_link(self):
        jobs = [job(key, busy(), dest='compute-2') for key in (1, 2, 3, 4)]
        slots = executor.schedule(jobs, 4)
        self.assertEqual({4}, {slot.sharing for slot in slots.values()})
        self.assertEqual(1, executor.schedule(jobs[:1], 4)[1].sharing)

    def test_each_link_is_shared_only_by_its_own_migrations(self):
        jobs = [job(key, busy(), dest=f'compute-{2 + key % 2}')
                for key in (1, 2, 3, 4)]
        slots = executor.schedule(jobs, 4)
        self.assertEqual({2}, {slot.sharing for slot in slots.values()})

    def test_the_queue_limit_bounds_the_sharing(self):
        jobs = [job(key, busy(), dest='compute-2') for key in range(1, 9)]
        slots = executor.schedule(jobs, 2)
        self.assertEqual({2}, {slot.sharing for slot in slots.values()})
        unlimited = executor.schedule(jobs, 0)
        self.assertEqual({8}, {slot.sharing for slot in unlimited.values()})

    def test_a_forced_copy_takes_as_long_as_its_share_allows(self):
        forced = [job(key, busy(), dest='compute-2', force_complete_at=200.0)
                  for key in (1, 2)]
        together = executor.schedule(forced, 2)
        alone = executor.schedule(forced[:1], 2)
        copy_together = end(forced[0], together[1]) - 200.0
        copy_alone = end(forced[0], alone[1]) - 200.0
        # the copy itself (not the post-migration second) sends what was
        # pending at the force (where each sawtooth stood) at the share's
        # speed
        copying = 200.0 - 100.0 - QUEUED - PREPARING
        for copy, share in ((copy_alone, LINK), (copy_together, LINK / 2)):
            pending = shapes.sawtooth(4 * GIB, copying, share)
            self.assertAlmostEqual(
                pending / share,
                copy - simulator.POST_MIGRATION_SECONDS, places=6)

    def test_a_workload_that_converges_alone_may_not_on_a_share(self):
        active = simulator.MigrationParams(
            memory_bytes=4 * GIB, dirty_rate=400e6, bandwidth=LINK)
        alone = simulator.state_at(active, 600.0)
        shared = simulator.state_at(executor.shared(active, 4), 600.0)
        self.assertEqual('completed', alone.status)
        self.assertEqual('running', shared.status)

    def test_which_ones_are_written_as_ended_changes_nothing(self):
        # 1-4 start together, two over each link; 5 and 6 wait. Written
        # as ended (with the worker and share it had), any of 1-4 leaves
        # the others' shares and the queue behind as they were: it
        # still holds the worker it took, not a fifth one.
        jobs = [job(key, busy(), dest=f'compute-{2 + key % 2}',
                    force_complete_at=110.0) for key in range(1, 7)]
        slots = executor.schedule(jobs, 4)
        self.assertEqual([2] * 4, [slots[key].sharing for key in (1, 2, 3,
                                                                  4)])
        for key in (1, 2, 3, 4):
            written = list(jobs)
            written[key - 1] = dataclasses.replace(
                jobs[key - 1], ended_at=end(jobs[key - 1], slots[key]),
                slot_at=slots[key].at)
            self.assertEqual(
                {other: slot for other, slot in slots.items()
                 if other != key},
                executor.schedule(written, 4))

    def test_an_unshared_link_gives_each_migration_all_of_it(self):
        fabric = busy(shared_link=False)
        jobs = [job(key, fabric, dest='compute-2') for key in (1, 2, 3)]
        slots = executor.schedule(jobs, 0)
        self.assertEqual({1}, {slot.sharing for slot in slots.values()})
