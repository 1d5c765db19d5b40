"""Tests for the live-migration simulator (simulated clock, no I/O)."""

import math
import time

import hypothesis
from hypothesis import strategies as st

from novaclient_force.refserver.state import simulator
from tests import testcase
from tests.unit.refserver import shapes

GIB = simulator.GIB
LINK = 1.25e9  # 10 Gbit/s
NO_TIMEOUT = simulator.LiveMigrationConfig(completion_timeout=0)


def busy(**overrides):
    values = dict(memory_bytes=4 * GIB, dirty_rate=2e9, bandwidth=LINK)
    values.update(overrides)
    return simulator.MigrationParams(**values)


def idle(**overrides):
    values = dict(memory_bytes=GIB, dirty_rate=10e6, bandwidth=LINK)
    values.update(overrides)
    return simulator.MigrationParams(**values)


def brute_force_end(params):
    """Independent round-by-round replay: when the job completes, or None.

    Written from the rules (QEMU pre-copy, Nova's downtime steps), not
    from the module's closed form.
    """
    conf = params.config
    gb = max(params.memory_bytes / GIB, 2)
    if params.disk_bytes:
        gb += max(params.disk_bytes / GIB, 2)
    delay = int(conf.downtime_delay * gb)
    base = conf.downtime_ms / conf.downtime_steps
    step = (conf.downtime_ms - base) / conf.downtime_steps
    steps = [(int(delay * i), int(base + step * i))
             for i in range(conf.downtime_steps + 1)]
    elapsed = params.disk_bytes / params.bandwidth
    to_send = params.memory_bytes
    for _ in range(100000):
        elapsed += to_send / params.bandwidth
        dirty = min(params.dirty_rate * to_send / params.bandwidth,
                    params.working_set_bytes or params.memory_bytes)
        downtime_ms = steps[0][1]
        for at, milliseconds in steps:
            if elapsed > at:
                downtime_ms = milliseconds
        if dirty <= params.bandwidth * downtime_ms / 1000.0:
            return (params.queued_seconds + params.preparing_seconds
                    + elapsed + dirty / params.bandwidth
                    + simulator.POST_MIGRATION_SECONDS)
        if dirty >= to_send and elapsed > steps[-1][0]:
            return None
        to_send = dirty
    raise AssertionError('replay did not settle')


def sawtooth(memory, seconds):
    return shapes.sawtooth(memory, seconds, LINK)


class TestNovaFormulas(testcase.TestCase):

    def test_downtime_steps_match_nova_docstring_example(self):
        # nova/virt/libvirt/migration.py downtime_steps: 10 steps, 30 s
        # delay, 3 GB of RAM, 400 ms -> every 90 s, 40 ms up to 400 ms.
        params = busy(memory_bytes=3 * GIB, config=simulator.
                      LiveMigrationConfig(downtime_ms=400, downtime_delay=30))
        self.assertEqual(
            ((0, 40), (90, 76), (180, 112), (270, 148), (360, 184),
             (450, 220), (540, 256), (630, 292), (720, 328), (810, 364),
             (900, 400)),
            simulator.downtime_steps(params))

    def test_data_gb_counts_ram_and_disk_at_least_2_gib(self):
        self.assertEqual(2, simulator.data_gb(idle()))
        self.assertEqual(4, simulator.data_gb(idle(disk_bytes=GIB)))
        self.assertEqual(13, simulator.data_gb(
            busy(memory_bytes=8 * GIB, disk_bytes=5 * GIB)))

    def test_completion_timeout_is_per_gib(self):
        self.assertEqual(3200, simulator.completion_timeout(busy()))
        self.assertIsNone(simulator.completion_timeout(
            busy(config=NO_TIMEOUT)))

    def test_config_minimums(self):
        for bad in (dict(completion_timeout=-1), dict(timeout_action='x'),
                    dict(downtime_ms=99), dict(downtime_steps=2),
                    dict(downtime_delay=2), dict(monitor_interval=0)):
            self.assertRaises(ValueError, simulator.LiveMigrationConfig,
                              **bad)
        self.assertRaises(ValueError, busy, bandwidth=0)
        self.assertRaises(ValueError, busy, memory_bytes=0)


class TestUnaided(testcase.TestCase):

    def test_status_sequence_and_the_saves_from_the_start_of_running(self):
        params = busy()
        self.assertEqual('queued', simulator.state_at(params, 0.2).status)
        preparing = simulator.state_at(params, 1.0)
        self.assertEqual(('preparing', None),
                         (preparing.status, preparing.memory_total_bytes))
        # the monitor's first reading of the running job is saved
        early = simulator.state_at(params, 1.5 + 4.9)
        self.assertEqual('running', early.status)
        self.assertEqual((4 * GIB, 0, 4 * GIB, 0),
                         (early.memory_total_bytes,
                          early.memory_processed_bytes,
                          early.memory_remaining_bytes,
                          early.disk_remaining_bytes))
        saved = simulator.state_at(params, 1.5 + 5.0)
        self.assertEqual(5.0 * LINK, saved.memory_processed_bytes)
        self.assertEqual(0, saved.disk_total_bytes)

    def test_busy_vm_never_converges_and_times_out_with_abort(self):
        params = busy()
        timeout_at = 1.5 + 3200
        state = simulator.state_at(params, timeout_at - 0.1)
        self.assertEqual('running', state.status)
        # libvirt's counters: the whole RAM is dirty again every round, so
        # pending memory is a sawtooth below it, and the link has been busy
        # the whole time (latest save: 3195 s in).
        self.assertAlmostEqual(sawtooth(4 * GIB, 3195),
                               state.memory_remaining_bytes, delta=1)
        self.assertEqual(3195 * LINK, state.memory_processed_bytes)
        end = simulator.state_at(params, timeout_at + 10)
        self.assertEqual('cancelled', end.status)
        self.assertEqual('timeout_abort', end.ended_by)
        self.assertEqual(timeout_at + simulator.ABORT_SECONDS,
                         end.finished_at)

    def test_busy_vm_without_timeout_runs_for_ever(self):
        state = simulator.state_at(busy(config=NO_TIMEOUT), 10 * 3600.0)
        self.assertEqual('running', state.status)
        self.assertIsNone(state.finished_at)
        self.assertAlmostEqual(sawtooth(4 * GIB, 35995),
                               state.memory_remaining_bytes, delta=1)
        # latest save 35995 s after running: ~10,000 times the RAM sent
        self.assertEqual(35995 * LINK, state.memory_processed_bytes)

    def test_reading_a_ten_hour_old_migration_is_cheap(self):
        params = busy(memory_bytes=64 * GIB, config=NO_TIMEOUT)
        started = time.perf_counter()
        for tick in range(1000):
            simulator.state_at(params, 36000.0 + tick,
                               force_complete_at=36000.0 + tick / 2)
        # closed form: microseconds a read; a round-by-round replay of the
        # ~600 rounds per read would take far longer than this
        self.assertLess(time.perf_counter() - started, 1.0)

    def test_idle_vm_converges_within_seconds(self):
        state = simulator.state_at(idle(), 60)
        self.assertEqual('completed', state.status)
        self.assertEqual('converged', state.ended_by)
        self.assertLess(state.finished_at, 5)
        self.assertEqual(0, state.memory_remaining_bytes)
        # round 1 sends the RAM, the stop-and-copy what it dirtied meanwhile
        self.assertAlmostEqual(GIB * (1 + 10e6 / LINK),
                               state.memory_processed_bytes, delta=1)
        self.assertFalse(state.force_complete_applied)

    def test_slowly_converging_vm_matches_round_by_round_replay(self):
        params = busy(memory_bytes=8 * GIB, dirty_rate=1.0e9,
                      config=NO_TIMEOUT)
        expected = brute_force_end(params)
        self.assertIsNotNone(expected)
        state = simulator.state_at(params, expected + 1)
        self.assertEqual('completed', state.status)
        self.assertAlmostEqual(expected, state.finished_at, places=6)
        before = simulator.state_at(params, expected - 0.01)
        self.assertEqual('running', before.status)

    def test_downtime_step_up_lets_a_migration_converge_later(self):
        # A guest dirtying faster than the link re-sends all its 512 MiB
        # every round (0.43 s): it fits only once the max downtime reaches
        # 455 ms, the 9th step, at 9 x 75 s x 2 GiB = 1350 s.
        params = busy(memory_bytes=GIB // 2, config=NO_TIMEOUT)
        self.assertEqual('running',
                         simulator.state_at(params, 1.5 + 1350).status)
        state = simulator.state_at(params, 1.5 + 1360)
        self.assertEqual(('completed', 'converged'),
                         (state.status, state.ended_by))
        self.assertAlmostEqual(brute_force_end(params), state.finished_at)
        self.assertLess(state.finished_at, 1.5 + 1350 + 2.5)

    def test_bytes_are_snapshots_of_the_latest_save(self):
        params = idle(memory_bytes=64 * GIB, dirty_rate=0.0)
        one = simulator.state_at(params, 1.5 + 10.0)
        two = simulator.state_at(params, 1.5 + 14.9)
        three = simulator.state_at(params, 1.5 + 15.0)
        self.assertEqual(one, two)
        self.assertEqual(int(64 * GIB - 10 * LINK),
                         one.memory_remaining_bytes)
        self.assertEqual(int(10 * LINK), one.memory_processed_bytes)
        self.assertEqual(int(64 * GIB - 15 * LINK),
                         three.memory_remaining_bytes)

    def test_block_migration_copies_disk_first(self):
        params = idle(disk_bytes=20 * GIB, dirty_rate=0.0)
        state = simulator.state_at(params, 1.5 + 10)
        self.assertEqual(20 * GIB, state.disk_total_bytes)
        self.assertEqual(int(10 * LINK), state.disk_processed_bytes)
        self.assertEqual(int(20 * GIB - 10 * LINK),
                         state.disk_remaining_bytes)
        self.assertEqual(GIB, state.memory_remaining_bytes)
        self.assertEqual(0, state.memory_processed_bytes)
        done = simulator.state_at(params, 600)
        self.assertEqual('completed', done.status)
        self.assertAlmostEqual(
            1.5 + 21 * GIB / LINK + simulator.POST_MIGRATION_SECONDS,
            done.finished_at)


class TestForceComplete(testcase.TestCase):

    def test_pause_copies_the_rest_at_link_speed(self):
        params = busy()
        during = simulator.state_at(params, 101.0, force_complete_at=100.0)
        self.assertEqual('running', during.status)
        self.assertTrue(during.paused)
        self.assertTrue(during.force_complete_applied)
        end = simulator.state_at(params, 200.0, force_complete_at=100.0)
        self.assertEqual('completed', end.status)
        self.assertEqual('force_complete', end.ended_by)
        self.assertFalse(end.paused)
        # what was pending when the guest stopped goes at link speed
        self.assertAlmostEqual(
            100 + sawtooth(4 * GIB, 98.5) / LINK
            + simulator.POST_MIGRATION_SECONDS, end.finished_at)
        self.assertLess(end.finished_at - 100, 6)

    def test_paused_guest_remaining_drains_while_processed_grows(self):
        self._check_drain(busy(memory_bytes=64 * GIB), 'running')

    def test_post_copy_pulls_the_rest_at_link_speed(self):
        self._check_drain(busy(memory_bytes=64 * GIB, permit_post_copy=True),
                          'running (post-copy)')

    def _check_drain(self, params, status):
        # forced at 100 s (98.5 s into the copy, in its second round):
        # nothing is dirtied any more, what is pending goes at link speed;
        # saves every 5 s from 1.5 s
        pending = sawtooth(64 * GIB, 98.5)
        self.assertGreater(pending, 10 * GIB)
        for saved_at in (101.5, 106.5):
            state = simulator.state_at(params, saved_at + 1,
                                       force_complete_at=100.0)
            self.assertEqual(status, state.status)
            self.assertAlmostEqual(pending - (saved_at - 100) * LINK,
                                   state.memory_remaining_bytes, delta=1)
            self.assertEqual(round((saved_at - 1.5) * LINK),
                             state.memory_processed_bytes)
        end = simulator.state_at(params, 200.0, force_complete_at=100.0)
        self.assertEqual(('completed', 0),
                         (end.status, end.memory_remaining_bytes))
        self.assertAlmostEqual(98.5 * LINK + pending,
                               end.memory_processed_bytes, delta=1)

    def test_post_copy_when_the_source_permits_it(self):
        params = busy(permit_post_copy=True)
        during = simulator.state_at(params, 101.0, force_complete_at=100.0)
        self.assertEqual('running (post-copy)', during.status)
        self.assertFalse(during.paused)
        end = simulator.state_at(params, 200.0, force_complete_at=100.0)
        self.assertEqual(('completed', 'post_copy'),
                         (end.status, end.ended_by))

    def test_not_applied_unless_running(self):
        params = busy()
        for at in (0.1, 1.0):
            state = simulator.state_at(params, 100.0, force_complete_at=at)
            self.assertFalse(state.force_complete_applied)
            self.assertEqual('running', state.status)
        finished = simulator.state_at(idle(), 100.0, force_complete_at=50.0)
        self.assertFalse(finished.force_complete_applied)
        self.assertEqual('converged', finished.ended_by)

    def test_request_in_the_future_has_not_happened(self):
        state = simulator.state_at(busy(), 100.0, force_complete_at=150.0)
        self.assertFalse(state.force_complete_applied)
        self.assertFalse(state.paused)

    def test_second_post_copy_request_is_not_applied(self):
        params = busy(permit_post_copy=True)
        first = simulator.state_at(params, 100.0, force_complete_at=100.0)
        self.assertTrue(first.force_complete_applied)
        # the store asks about a later request on a post-copy job
        state = simulator.state_at(params, 101.0, force_complete_at=101.0)
        self.assertEqual('running (post-copy)', state.status)

    def test_timeout_action_force_complete(self):
        config = simulator.LiveMigrationConfig(
            completion_timeout=10, timeout_action='force_complete')
        params = busy(config=config)
        state = simulator.state_at(params, 1000.0)
        self.assertEqual('completed', state.status)
        self.assertEqual('timeout_force_complete', state.ended_by)
        self.assertFalse(state.force_complete_applied)
        self.assertAlmostEqual(
            1.5 + 40 + sawtooth(4 * GIB, 40) / LINK
            + simulator.POST_MIGRATION_SECONDS, state.finished_at)

    def test_paused_copy_longer_than_the_timeout_is_aborted(self):
        params = busy(memory_bytes=64 * GIB,
                      config=simulator.LiveMigrationConfig(
                          completion_timeout=1))
        # timeout: 64 s after running; forced at 60 s, just after the
        # first sync, the paused copy needs over 50 s
        self.assertGreater(sawtooth(64 * GIB, 58.5), 55 * GIB)
        state = simulator.state_at(params, 500.0, force_complete_at=60.0)
        self.assertEqual(('cancelled', 'timeout_abort'),
                         (state.status, state.ended_by))
        self.assertTrue(state.force_complete_applied)
        self.assertFalse(state.paused)


class TestQueued(testcase.TestCase):
    """``slot_at``: when the host's executor gave the migration a worker."""

    def test_queued_until_a_worker_is_free(self):
        params = idle()
        self.assertEqual('queued',
                         simulator.state_at(params, 99.9, slot_at=100.0)
                         .status)
        self.assertEqual('preparing',
                         simulator.state_at(params, 100.0, slot_at=100.0)
                         .status)
        alone = simulator.state_at(params, 30.0)
        later = simulator.state_at(params, 130.0 - 0.5, slot_at=100.0)
        self.assertEqual(('completed', alone.finished_at + 99.5),
                         (later.status, later.finished_at))

    def test_pre_copy_and_timeout_start_with_running(self):
        params = busy()
        state = simulator.state_at(params, 1000.0 + 1.0 + 4.9,
                                   slot_at=1000.0)
        self.assertEqual('running', state.status)
        self.assertEqual(0, state.memory_processed_bytes)
        self.assertEqual(
            1000.0 + 1.0 + 3200 + simulator.ABORT_SECONDS,
            simulator.finished_at(params, slot_at=1000.0))

    def test_no_worker_ever(self):
        params = idle()
        state = simulator.state_at(params, 1e6, slot_at=math.inf)
        self.assertEqual(('queued', None),
                         (state.status, state.memory_total_bytes))
        self.assertEqual(math.inf,
                         simulator.finished_at(params, slot_at=math.inf))
        aborted = simulator.state_at(params, 1e6, abort_at=50.0,
                                     slot_at=math.inf)
        self.assertEqual(('cancelled', 51.0),
                         (aborted.status, aborted.finished_at))

    def test_finished_at_matches_state_at(self):
        for params, requests in ((idle(), {}), (busy(), {}),
                                 (busy(), {'force_complete_at': 40.0}),
                                 (busy(), {'abort_at': 40.0})):
            self.assertEqual(
                simulator.state_at(params, 1e5, **requests).finished_at,
                simulator.finished_at(params, **requests))


class TestAbort(testcase.TestCase):

    def test_abort_while_running(self):
        during = simulator.state_at(busy(), 100.5, abort_at=100.0)
        self.assertEqual('running', during.status)
        state = simulator.state_at(busy(), 200.0, abort_at=100.0)
        self.assertEqual(('cancelled', 'abort', 100.0 + 1.0),
                         (state.status, state.ended_by, state.finished_at))

    def test_abort_while_queued(self):
        params = busy()
        during = simulator.state_at(params, 1.0, abort_at=0.2)
        self.assertEqual('queued', during.status)
        state = simulator.state_at(params, 5.0, abort_at=0.2)
        self.assertEqual('cancelled', state.status)
        self.assertIsNone(state.memory_total_bytes)

    def test_abort_while_preparing_rolls_back_after_pre_live_migration(self):
        # _do_live_migration finishes pre_live_migration, finds the
        # migration gone from the queue and rolls back to cancelled.
        params = busy()
        during = simulator.state_at(params, 1.4, abort_at=0.7)
        self.assertEqual('preparing', during.status)
        self.assertEqual('preparing', simulator.state_at(
            params, 2.4, abort_at=0.7).status)
        state = simulator.state_at(params, 5.0, abort_at=0.7)
        self.assertEqual(('cancelled', 1.5 + simulator.ABORT_SECONDS),
                         (state.status, state.finished_at))
        self.assertEqual(state.finished_at,
                         simulator.finished_at(params, abort_at=0.7))

    def test_abort_after_the_copy_ended_does_nothing(self):
        params = idle()
        state = simulator.state_at(params, 60.0, abort_at=3.3)
        self.assertEqual(('completed', 'converged'),
                         (state.status, state.ended_by))

    def test_force_during_abort_is_applied_but_abort_wins(self):
        state = simulator.state_at(busy(), 200.0, force_complete_at=100.5,
                                   abort_at=100.0)
        self.assertTrue(state.force_complete_applied)
        self.assertEqual('cancelled', state.status)

    def test_abort_unpauses_a_forced_guest(self):
        params = busy(memory_bytes=64 * GIB)
        during = simulator.state_at(params, 101.0, force_complete_at=100.0,
                                    abort_at=101.0)
        self.assertTrue(during.paused)
        state = simulator.state_at(params, 110.0, force_complete_at=100.0,
                                   abort_at=101.0)
        self.assertEqual('cancelled', state.status)
        self.assertFalse(state.paused)


sizes = st.integers(min_value=1, max_value=64).map(lambda n: n * GIB // 2)
rates = st.floats(min_value=0, max_value=4e9)
links = st.floats(min_value=1e8, max_value=1e10)
examples = hypothesis.settings(max_examples=150, deadline=None,
                               derandomize=True, database=None)


class TestProperties(testcase.TestCase):

    @examples
    @hypothesis.given(memory=sizes, rate=rates, link=links,
                      disk=st.sampled_from([0, 3 * GIB]),
                      force=st.one_of(st.none(), st.floats(0, 4000)),
                      abort=st.one_of(st.none(), st.floats(0, 4000)))
    def test_byte_counters_follow_libvirt(self, memory, rate, link, disk,
                                          force, abort):
        params = simulator.MigrationParams(
            memory_bytes=memory, dirty_rate=rate, bandwidth=link,
            disk_bytes=disk)
        last_processed = (0, 0)
        for tick in range(0, 4200, 7):
            state = simulator.state_at(params, tick / 1.0, force, abort)
            if state.memory_total_bytes is None:
                continue
            total = state.memory_total_bytes
            remaining = state.memory_remaining_bytes
            processed = state.memory_processed_bytes
            self.assertEqual(memory, total)
            self.assertTrue(0 <= remaining <= total, remaining)
            self.assertGreaterEqual(processed, total - remaining)
            # nothing moves faster than the link
            self.assertLessEqual(processed + state.disk_processed_bytes,
                                 link * tick + 1)
            if state.status == 'completed':
                self.assertEqual(0, remaining)
            self.assertEqual(state.disk_total_bytes,
                             state.disk_processed_bytes
                             + state.disk_remaining_bytes)
            self.assertGreaterEqual(state.disk_processed_bytes,
                                    last_processed[0])
            self.assertGreaterEqual(processed, last_processed[1])
            last_processed = (state.disk_processed_bytes, processed)

    @examples
    @hypothesis.given(memory=sizes, faster=st.floats(1.0, 4.0),
                      link=st.floats(min_value=1e8, max_value=1e9),
                      disk=st.sampled_from([0, 3 * GIB]))
    def test_non_converging_processed_grows_without_bound(self, memory,
                                                          faster, link,
                                                          disk):
        params = simulator.MigrationParams(
            memory_bytes=memory, dirty_rate=link * faster, bandwidth=link,
            disk_bytes=disk, config=NO_TIMEOUT)
        max_downtime = simulator.downtime_steps(params)[-1][1] / 1000.0
        copying_from = 1.5 + disk / link
        last = 0
        for now in (600.0, 6000.0, 60000.0, 600000.0):
            state = simulator.state_at(params, now)
            self.assertEqual('running', state.status)
            # every sync finds the whole RAM dirty again: what the syncs
            # found (remaining + processed - total) is a whole number of
            # RAMs, each far above what the downtime budget lets through
            found = (state.memory_remaining_bytes
                     + state.memory_processed_bytes - memory) / memory
            self.assertAlmostEqual(round(found), found, delta=1e-6)
            self.assertGreater(memory, link * max_downtime)
            # the link never idles: processed keeps pace with it (the
            # latest save is at most one monitor interval old)
            self.assertGreaterEqual(state.memory_processed_bytes,
                                    link * (now - copying_from - 5) - 1)
            self.assertGreater(state.memory_processed_bytes, last)
            last = state.memory_processed_bytes
        self.assertGreater(last, 100 * memory)

    @examples
    @hypothesis.given(memory=sizes, rate=rates, link=links,
                      disk=st.sampled_from([0, 3 * GIB]),
                      share=st.sampled_from([None, 0.02, 0.1, 0.25, 1.0]))
    def test_convergence_matches_round_by_round_replay(self, memory, rate,
                                                       link, disk, share):
        params = simulator.MigrationParams(
            memory_bytes=memory, dirty_rate=rate, bandwidth=link,
            disk_bytes=disk, config=NO_TIMEOUT,
            working_set_bytes=share and max(1, int(memory * share)))
        hypothesis.assume(rate < link * 0.99 or rate >= link)
        expected = brute_force_end(params)
        state = simulator.state_at(params, 1e7)
        if expected is None:
            self.assertEqual('running', state.status)
        else:
            self.assertEqual('completed', state.status)
            self.assertAlmostEqual(expected, state.finished_at, delta=1e-6)


class TestSawtooth(testcase.TestCase):
    """Pre-copy as QEMU runs it: rounds, syncs, the working set."""

    def test_busy_guest_pending_memory_is_a_sawtooth(self):
        params = busy(config=NO_TIMEOUT)
        seen = [simulator.state_at(params, 1.5 + 5 * n + 0.1)
                for n in range(1, 40)]
        remaining = [state.memory_remaining_bytes for state in seen]
        for seconds, value in zip(range(5, 200, 5), remaining, strict=True):
            self.assertAlmostEqual(sawtooth(4 * GIB, seconds), value,
                                   delta=1)
        # it falls and jumps back: neither a level nor a trend
        rises = sum(b > a for a, b in zip(remaining, remaining[1:],
                                          strict=False))
        self.assertTrue(10 < rises < 30, rises)
        self.assertLess(min(remaining), GIB)

    def test_working_set_bounds_every_sync(self):
        params = busy(working_set_bytes=GIB, config=NO_TIMEOUT)
        for seconds in (5, 10, 15, 20, 25, 30):
            state = simulator.state_at(params, 1.5 + seconds)
            self.assertAlmostEqual(
                shapes.sawtooth(4 * GIB, seconds, LINK, GIB),
                state.memory_remaining_bytes, delta=1)
            self.assertLessEqual(state.memory_remaining_bytes, GIB)

    def test_working_set_within_the_downtime_budget_converges(self):
        # re-dirtied faster than the link, but 256 MiB fit in 500 ms of
        # 10 Gbit/s once Nova has stepped the downtime up
        params = busy(working_set_bytes=256 * 2 ** 20, config=NO_TIMEOUT)
        state = simulator.state_at(params, 4000.0)
        self.assertEqual('completed', state.status)
        self.assertAlmostEqual(brute_force_end(params), state.finished_at,
                               delta=1e-6)

    def test_ground_truth_counts_the_rounds(self):
        params = busy(working_set_bytes=GIB, config=NO_TIMEOUT)
        first = simulator.ground_truth(params, 1.5 + 3.0)
        self.assertEqual((1, None, None), (first.precopy_rounds,
                                           first.last_sync_at,
                                           first.first_sync_at))
        truth = simulator.ground_truth(params, 1.5 + 10.0)
        # 10 s send 11.6 GiB: 4 GiB once, then 7 whole 1 GiB rounds
        self.assertEqual(9, truth.precopy_rounds)
        self.assertAlmostEqual(1.5 + (4 + 7) * GIB / LINK,
                               truth.last_sync_at)
        self.assertAlmostEqual(1.5 + 4 * GIB / LINK, truth.first_sync_at)
        self.assertEqual((LINK, 2e9), (truth.transfer_rate,
                                       truth.dirty_rate))

    def test_rounds_stop_at_a_force(self):
        params = busy(config=NO_TIMEOUT)
        truth = simulator.ground_truth(params, 100.0, force_complete_at=10.0)
        self.assertEqual(3, truth.precopy_rounds)
