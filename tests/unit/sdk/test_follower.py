"""One migration's follower: every move to an outcome, and its words.

No cloud and no clock: each move is given the time, as forcing.py and
drain.py give it.
"""


from novaclient_force import (
    diagnosis,
    exceptions,
    follower,
    observe,
    outcome,
    statuses,
    waiting,
)
from tests import testcase

SERVER = '9128d044-7b61-403e-b766-7547076ff6c1'
HINT = f'openstack server migration list --server {SERVER}'
GIB = 1024 ** 3
STALLED = diagnosis.Policy(stalled_after=10)


def follow(policy=diagnosis.Policy(), status='running', **kwargs):
    """A Follower of migration 7 that started at 100 s."""
    return follower.Follower(SERVER, 7, 100.0, lambda: HINT, policy,
                             status=status, **kwargs)


def running_since(one, at=100.0):
    one.saw('running', at)
    return one


def forced(policy=diagnosis.Policy()):
    one = running_since(follow(policy))
    one.sending_force()
    one.accepted()
    return one


def final(status, reason):
    return waiting.Reading(status, done=True,
                           outcome=statuses.FINAL[status],
                           reason=reason)


class TestReadings(testcase.TestCase):

    def test_running_is_dated_from_the_first_reading_that_shows_it(self):
        one = follow(status='queued')
        one.saw('queued', 101)
        self.assertIsNone(one.running_since)
        one.saw('running', 103)
        one.saw('running', 108)
        self.assertEqual((103, 'running'), (one.running_since, one.status))

    def test_a_reading_that_tells_nothing_keeps_the_last_status(self):
        one = follow(status='running')
        one.saw('', 104)
        self.assertEqual('running', one.status)

    def test_at_once_forces_without_judging(self):
        one = running_since(follow())
        self.assertTrue(one.judge(100))
        self.assertIsNone(one.result.diagnosis)
        self.assertEqual('', one.why)

    def test_a_stall_is_forced_once_long_enough(self):
        # 8 GiB sent at 1 GiB/s from 100 s, all of it dirty again at
        # the first sync (108 s): no progress since.
        one = running_since(follow(STALLED))
        for now in (100, 105, 110, 115):
            sent = (now - 100) * GIB
            left = 8 * GIB - sent if sent < 8 * GIB else 16 * GIB - sent
            one.sample(now, left, sent, 8 * GIB)
            self.assertFalse(one.judge(now))
        one.sample(118, 6 * GIB, 18 * GIB, 8 * GIB)
        self.assertTrue(one.judge(118))
        self.assertEqual(diagnosis.STALLED, one.result.diagnosis.state)
        self.assertIn('no progress towards completion for 10s', one.why)

    def test_a_converging_one_is_left_alone(self):
        # the first pass of an idle guest: nothing to hold against it
        one = running_since(follow(STALLED))
        for now, left in ((100, 6), (105, 4), (110, 2)):
            one.sample(now, left * GIB, (8 - left) * GIB, 8 * GIB)
        self.assertFalse(one.judge(130))
        self.assertTrue(one.why.startswith('left alone: copying'))

    def test_readings_are_dated_by_the_save(self):
        # Polled at 20x speed, the counters were saved 5 s apart: the
        # rate is the link's, not 20 times it.
        one = running_since(follow(STALLED))
        saved = observe.saved_at('2016-01-29T13:42:02.000000')
        self.assertEqual(1454074922.0, saved)
        one.sample(100.0, 7 * GIB, GIB, 8 * GIB, saved_at=saved)
        one.sample(100.25, 2 * GIB, 6 * GIB, 8 * GIB, saved_at=saved + 5)
        self.assertEqual([saved, saved + 5],
                         [sample.time for sample in one.samples])
        one.judge(100.25)
        self.assertEqual(GIB, one.result.diagnosis.transfer_rate)
        self.assertIsNone(observe.saved_at('soon'))
        self.assertIsNone(observe.saved_at(None))
        self.assertEqual(saved, observe.saved_at('2016-01-29T13:42:02Z'))

    def test_progress_shows_the_last_counters_judged(self):
        one = running_since(follow(STALLED))
        one.sample(104, 3 * GIB, 5 * GIB, 8 * GIB)
        event = one.progress(4.0, waiting.Reading('x'), poll_size=2)
        self.assertEqual(
            (SERVER, 7, 'running', 5 * GIB, 3 * GIB, 8 * GIB, 4.0, 2, False),
            (event.server, event.migration, event.status,
             event.memory_processed_bytes, event.memory_remaining_bytes,
             event.memory_total_bytes, event.elapsed, event.poll_size,
             event.forced))


class TestOutcomes(testcase.TestCase):

    def assertOutcome(self, one, status, reason, hint=HINT, duration=None):
        result = one.result
        self.assertTrue(one.done)
        self.assertEqual((status, reason, hint),
                         (result.status, result.reason, result.hint))
        if duration is not None:
            self.assertEqual(duration, result.duration)

    def test_ended_on_its_own(self):
        one = running_since(follow())
        one.ended(final('completed', 'completed on compute-2'), 112)
        self.assertOutcome(one, outcome.COMPLETED,
                           'completed on compute-2 without forcing', '', 12)
        self.assertEqual('completed', one.result.migration_status)

    def test_ended_after_it_was_forced(self):
        one = forced(diagnosis.Policy(force_after=5))
        one.why = 'running for 6s (--force-after 5)'
        one.ended(final('completed', 'completed on compute-2'), 109)
        self.assertOutcome(
            one, outcome.COMPLETED, 'completed on compute-2 (forced: '
            'running for 6s (--force-after 5))', '')
        self.assertTrue(one.result.forced)
        self.assertEqual('forced: running for 6s (--force-after 5)',
                         one.result.policy_note)

    def test_ended_while_a_policy_watched_it_queued(self):
        one = follow(STALLED, status='queued')
        one.ended(final('cancelled', 'cancelled: aborted'), 103)
        self.assertOutcome(one, outcome.CANCELLED, 'cancelled: aborted '
                           'without forcing (it never ran while watched)', '')
        self.assertEqual('it never ran while watched',
                         one.result.policy_note)

    def test_only_waited_for_says_nothing_of_forcing(self):
        one = follow(policy=None)
        one.ended(final('failed', 'failed: rolled back'), 103)
        self.assertOutcome(one, outcome.FAILED, 'failed: rolled back', '')
        one = follow(policy=None)
        one.timed_out(60, 160)
        self.assertOutcome(one, outcome.TIMED_OUT, 'still running after '
                           '60s; the migration may still finish')

    def test_timed_out_not_forced(self):
        one = running_since(follow(STALLED))
        one.why = 'left alone: converging, ETA 3s'
        one.timed_out(5, 105)
        self.assertOutcome(
            one, outcome.TIMED_OUT, 'still running after 5s; the migration '
            'may still finish; not forced (left alone: converging, ETA 3s)',
            duration=5)

    def test_timed_out_queued_at_once(self):
        one = follow(status='queued')
        one.timed_out(4, 104)
        self.assertOutcome(one, outcome.TIMED_OUT, 'still queued after 4s; '
                           'the migration may still finish; not forced')

    def test_timed_out_after_it_was_forced(self):
        one = forced()
        one.timed_out(30, 130)
        self.assertOutcome(one, outcome.TIMED_OUT, 'still running after '
                           '30s; the migration may still finish')

    def test_unknown_after_it_was_accepted(self):
        one = forced()
        one.unknown('its outcome could not be read: HTTP 403', 120)
        self.assertOutcome(one, outcome.UNKNOWN, 'Nova accepted the '
                           'force-complete, but its outcome could not be '
                           'read: HTTP 403')

    def test_unknown_not_forced(self):
        one = running_since(follow())
        one.unknown('its outcome could not be read: it is no longer listed',
                    120)
        self.assertOutcome(one, outcome.UNKNOWN, 'its outcome could not be '
                           'read: it is no longer listed; not forced')

    def test_accepted_and_not_waited_for(self):
        one = forced(diagnosis.Policy(force_after=5))
        one.why = 'running for 5s (--force-after 5)'
        one.accepted_unfollowed(105)
        self.assertOutcome(one, outcome.ACCEPTED, 'Nova accepted the '
                           'request; the outcome is not known yet (forced: '
                           'running for 5s (--force-after 5))')
        self.assertEqual(0, one.result.exit_code)

    def test_refused(self):
        one = running_since(follow())
        one.sending_force()
        error = exceptions.ServerLocked('Server vm is locked')
        one.refused(error, 101)
        self.assertOutcome(one, outcome.ERROR, 'Server vm is locked', '')
        self.assertIs(error, one.result.error)
        self.assertFalse(one.sending)

    def test_overtaken_then_ended_tells_the_refusal(self):
        one = running_since(follow())
        one.sending_force()
        one.overtaken(exceptions.AlreadyPostCopy('already post-copy'))
        self.assertFalse(one.done)
        one.ended(final('completed', 'completed on compute-2'), 130)
        self.assertOutcome(
            one, outcome.COMPLETED, 'completed on compute-2 without forcing '
            '(force-complete refused: already post-copy)', '')
        self.assertFalse(one.result.forced)

    def test_not_forced_queued(self):
        one = follow(status='queued')
        one.not_forced(100)
        self.assertOutcome(
            one, outcome.NOT_FORCED, 'queued: Nova runs '
            'max_concurrent_live_migrations live migrations per host at a '
            'time and this one has not started running; rerun with --wait '
            'to force each one as it runs')
        self.assertEqual(9, one.result.exit_code)

    def test_not_forced_post_copy(self):
        one = follow(status='running (post-copy)')
        one.not_forced(100)
        self.assertOutcome(one, outcome.NOT_FORCED, 'already switched to '
                           'post-copy: it completes without help')

    def test_not_forced_when_the_policy_ran_out_of_time(self):
        one = running_since(follow(STALLED))
        one.why = 'left alone: stalled for 4s'
        one.not_forced(105, timeout=5)
        self.assertOutcome(one, outcome.NOT_FORCED, 'still running after '
                           '5s: left alone: stalled for 4s')

    def test_not_forced_started_after_the_first_look(self):
        one = running_since(follow())
        one.not_forced(100)
        self.assertOutcome(one, outcome.NOT_FORCED, 'started running after '
                           'the first look; rerun to force it')

    def test_accepted_after_an_interruption_changes_nothing(self):
        one = running_since(follow())
        one.sending_force()
        one.interrupted('SIGINT', 101)
        one.accepted()
        self.assertFalse(one.result.forced)
        self.assertEqual(outcome.UNKNOWN, one.result.status)


class TestWaited(testcase.TestCase):
    """How the last reading of a wait becomes an outcome."""

    def test_each_ending(self):
        unread = waiting.Reading('running', done=True,
                                 outcome=outcome.UNKNOWN, reason='gone')
        for one, reading, wait, status in (
                (follow(), unread, True, outcome.UNKNOWN),
                (follow(), final('completed', 'completed'), True,
                 outcome.COMPLETED),
                (follow(), waiting.Reading('running'), True,
                 outcome.TIMED_OUT),
                (forced(), waiting.Reading('running'), False,
                 outcome.ACCEPTED),
                (follow(), waiting.Reading('running'), False,
                 outcome.NOT_FORCED)):
            one.waited(reading, 110, 10, wait)
            self.assertEqual((status, 10), (one.result.status,
                                            one.result.duration))


class TestInterrupted(testcase.TestCase):

    def test_before_it_was_forced(self):
        one = running_since(follow(STALLED))
        one.interrupted('SIGTERM', 103)
        self.assertEqual(
            (outcome.NOT_FORCED, 'interrupted (SIGTERM) before it was forced',
             HINT, 3),
            (one.result.status, one.result.reason, one.result.hint,
             one.result.duration))

    def test_while_the_answer_was_outstanding(self):
        one = running_since(follow())
        one.sending_force()
        one.interrupted('SIGINT', 101)
        self.assertEqual(
            (outcome.UNKNOWN, 'interrupted (SIGINT) while the answer to the '
             'force-complete was outstanding: Nova may have accepted it'),
            (one.result.status, one.result.reason))

    def test_once_accepted(self):
        one = forced()
        one.interrupted('SIGINT', 101)
        self.assertEqual(
            (outcome.ACCEPTED, 'Nova accepted the request; stopped waiting '
             '(SIGINT), the migration goes on', True),
            (one.result.status, one.result.reason, one.result.forced))

    def test_while_a_refusal_was_followed(self):
        one = running_since(follow())
        one.overtaken(exceptions.AlreadyPostCopy('already post-copy'))
        one.interrupted('SIGINT', 101)
        self.assertEqual(
            (outcome.UNKNOWN, 'stopped waiting (SIGINT); not forced '
             '(force-complete refused: already post-copy)'),
            (one.result.status, one.result.reason))


LOST = 'the connection was closed before Nova answered the force-complete'


def lost(policy=diagnosis.Policy()):
    """Forced once; the answer never came."""
    one = running_since(follow(policy))
    one.sending_force()
    one.answer_lost(LOST)
    return one


class TestUnanswered(testcase.TestCase):
    """A force-complete whose answer was lost may have been accepted, and
    one that failed transiently is not final."""

    def test_a_lost_answer_is_followed_to_the_end(self):
        one = lost()
        self.assertFalse(one.done)
        self.assertFalse(one.sending)
        one.ended(final('completed', 'completed on compute-2'), 112)
        self.assertEqual(
            (outcome.COMPLETED, f'completed on compute-2 ({LOST}: it may '
             'have been accepted)', False),
            (one.result.status, one.result.reason, one.result.forced))

    def test_a_lost_answer_whose_end_is_unread_is_unknown(self):
        one = lost()
        one.unknown('its outcome could not be read: HTTP 403', 120)
        self.assertEqual(
            (outcome.UNKNOWN, f'{LOST}: it may have been accepted, but its '
             'outcome could not be read: HTTP 403', 8),
            (one.result.status, one.result.reason, one.result.exit_code))

    def test_a_lost_answer_timed_out_or_left(self):
        one = lost()
        one.timed_out(10, 110)
        self.assertEqual(
            (outcome.TIMED_OUT, 'still running after 10s; the migration may '
             f'still finish; {LOST}: it may have been accepted'),
            (one.result.status, one.result.reason))
        one = lost()
        one.unfollowed(101)
        self.assertEqual(
            (outcome.UNKNOWN, f'{LOST}: it may have been accepted, but its '
             'outcome is not known yet'),
            (one.result.status, one.result.reason))
        one = lost()
        one.interrupted('SIGINT', 101)
        self.assertEqual(
            (outcome.UNKNOWN, f'interrupted (SIGINT); {LOST}: it may have '
             'been accepted'), (one.result.status, one.result.reason))

    def test_forced_again_while_attempts_remain(self):
        one = lost()
        for _ in range(follower.ATTEMPTS - 1):
            self.assertTrue(one.forcible)
            one.sending_force()
            one.answer_lost(LOST)
        self.assertFalse(one.forcible)
        one.sending_force()
        one.accepted()
        self.assertTrue(one.forced)

    def test_a_failure_after_a_lost_answer_is_no_refusal(self):
        one = lost()
        one.sending_force()
        one.failed(exceptions.PolicyRefused('Not allowed'), False, 102)
        self.assertFalse(one.done)
        one.ended(final('completed', 'completed'), 112)
        self.assertIn('it may have been accepted', one.result.reason)

    def test_a_transient_failure_is_not_final(self):
        one = running_since(follow())
        error = exceptions.ServiceError('The compute service failed')
        for _ in range(follower.ATTEMPTS - 1):
            one.sending_force()
            one.failed(error, True, 101)
            self.assertFalse(one.done)
            self.assertTrue(one.forcible)
        one.sending_force()
        one.failed(error, True, 103)
        self.assertEqual((outcome.ERROR, error),
                         (one.result.status, one.result.error))

    def test_a_lasting_failure_is_a_refusal(self):
        one = running_since(follow())
        one.sending_force()
        one.failed(exceptions.ServerLocked('locked'), False, 101)
        self.assertEqual(outcome.ERROR, one.result.status)

    def test_a_failure_said_when_it_ends_unforced(self):
        one = running_since(follow())
        one.sending_force()
        one.failed(exceptions.ServiceError('HTTP 500'), True, 101)
        one.timed_out(10, 110)
        self.assertEqual('still running after 10s; the migration may still '
                         'finish; not forced (force-complete failed: HTTP '
                         '500)', one.result.reason)


class TestStill(testcase.TestCase):
    """A drain stops following what is left once nothing moves."""

    def test_queued_is_not_forced(self):
        one = follow(status='queued')
        one.still(600, 700)
        self.assertEqual(
            (outcome.NOT_FORCED, 'still queued; nothing leaving the host '
             'changed for 600s: the live migrations that run there are not '
             'moving; rerun once they do to force it', 600),
            (one.result.status, one.result.reason, one.result.duration))

    def test_perhaps_forced_is_unknown(self):
        one = lost()
        one.still(600, 700)
        self.assertEqual(
            (outcome.UNKNOWN, f'{LOST}: it may have been accepted, but '
             'nothing leaving the host changed for 600s: the live '
             'migrations that run there are not moving'),
            (one.result.status, one.result.reason))
