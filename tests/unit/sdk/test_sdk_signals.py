"""SIGINT and SIGTERM: what Nova accepted is still told."""

import concurrent.futures
import os
import signal
from unittest import mock

import fixtures
import testtools

from novaclient_force import exceptions, outcome, signals
from tests import testcase
from tests.unit.sdk import sdk_fakes as f

INDEX = f.COMPUTE + f'/servers/{f.SERVER}/migrations'
ACTION = f.COMPUTE + f'/servers/{f.SERVER}/migrations/7/action'
OS_MIGRATIONS = f.COMPUTE + '/os-migrations'


class TestRaised(testcase.TestCase):

    def test_sigterm_raises_in_the_block_and_not_after(self):
        before = signal.getsignal(signal.SIGTERM)
        with testtools.ExpectedException(signals.Signalled):
            with signals.raised():
                os.kill(os.getpid(), signal.SIGTERM)
                signal.sigtimedwait([], 0.1)    # let it be delivered
        self.assertIs(before, signal.getsignal(signal.SIGTERM))

    def test_only_the_first_signal_raises(self):
        with signals.raised():
            with testtools.ExpectedException(signals.Signalled):
                os.kill(os.getpid(), signal.SIGTERM)
            # os.kill runs the handler of a signal to its own process.
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)
            except signals.Signalled as again:
                self.fail(f'a second signal raised: {again!r}')

    def test_signal_numbers(self):
        self.assertEqual(signal.SIGTERM,
                         signals.signum_of(signals.Signalled(15)))
        self.assertEqual(signal.SIGINT,
                         signals.signum_of(KeyboardInterrupt()))


class Stopper(f.FakeClock):
    """A clock whose ``stop_at``-th sleep is interrupted by a signal."""

    def __init__(self, stop_at, signum=signal.SIGTERM):
        super().__init__()
        self.stop_at = stop_at
        self.signum = signum

    def sleep(self, seconds):
        super().sleep(seconds)
        if len(self.sleeps) == self.stop_at:
            raise signals.Signalled(self.signum)


class TestOneServer(f.SDKTestCase):

    def force(self, **kwargs):
        return self.assertRaises(
            exceptions.Interrupted, self.manager().force_complete,
            f.SERVER, 7, **kwargs)

    def test_stopped_while_waiting_is_accepted_and_says_how_to_follow(self):
        self.clock = Stopper(2)
        self.requests.post(ACTION, status_code=202)
        self.requests.get(INDEX, json={'migrations': [f.migration_row()]})
        stop = self.force(wait=True)
        self.assertEqual(143, stop.exit_code)
        self.assertEqual('SIGTERM', stop.signal_name)
        [result] = stop.outcomes
        self.assertEqual(outcome.ACCEPTED, result.status)
        self.assertEqual('Nova accepted the request; stopped waiting '
                         '(SIGTERM), the migration goes on', result.reason)
        self.assertEqual(
            f'openstack server migration list --server {f.SERVER}',
            result.hint)
        self.assertIsInstance(stop, KeyboardInterrupt)

    def test_stopped_while_the_post_is_in_flight_is_unknown(self):
        self.requests.post(ACTION, exc=KeyboardInterrupt)
        stop = self.force()
        self.assertEqual(130, stop.exit_code)
        [result] = stop.outcomes
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertIn('while the answer to the force-complete was '
                      'outstanding: Nova may have accepted it',
                      result.reason)


class TestHost(f.SDKTestCase):

    SERVERS = [f'{i:08d}-1111-4000-8000-000000000000' for i in range(3)]

    def test_stopped_while_waiting_keeps_every_row(self):
        self.clock = Stopper(1, signal.SIGINT)
        self.requests.get(f.COMPUTE + '/servers', json={'servers': []})
        rows = [f.os_migration_row(10 + i, server=s)
                for i, s in enumerate(self.SERVERS)]
        self.requests.get(OS_MIGRATIONS, [
            {'json': {'migrations': rows}},
            {'json': {'migrations': [dict(rows[0], status='completed')]
                      + rows[1:]}}])
        for row in rows:
            self.requests.post(
                f"{f.COMPUTE}/servers/{row['instance_uuid']}/migrations/"
                f"{row['id']}/action", status_code=202)
        stop = self.assertRaises(
            exceptions.Interrupted, self.manager().force_complete_host,
            'compute-1', wait=True)
        self.assertEqual(130, stop.exit_code)
        self.assertEqual([outcome.COMPLETED, outcome.ACCEPTED,
                          outcome.ACCEPTED],
                         [r.status for r in stop.outcomes])
        self.assertIn('stopped waiting (SIGINT)', stop.outcomes[1].reason)

    def test_a_signal_while_the_last_answers_are_awaited_keeps_every_row(self):
        """The drain has read every end and waits for its pool to finish
        when SIGTERM arrives: the rows are still reported, not lost."""
        rows = [f.os_migration_row(10 + i, server=s)
                for i, s in enumerate(self.SERVERS)]
        self.requests.get(f.COMPUTE + '/servers', json={'servers': []})
        self.requests.get(OS_MIGRATIONS, [
            {'json': {'migrations': rows}},
            {'json': {'migrations': [dict(row, status='completed')
                                     for row in rows]}}])
        for row in rows:
            self.requests.post(
                f"{f.COMPUTE}/servers/{row['instance_uuid']}/migrations/"
                f"{row['id']}/action", status_code=202)
        shutdown = concurrent.futures.ThreadPoolExecutor.shutdown

        def signalled_while_waiting(pool, wait=True, **kwargs):
            shutdown(pool, wait=wait, **kwargs)
            if wait:
                raise signals.Signalled(signal.SIGTERM)

        self.useFixture(fixtures.MockPatchObject(
            concurrent.futures.ThreadPoolExecutor, 'shutdown',
            signalled_while_waiting))
        stop = self.assertRaises(
            exceptions.Interrupted, self.manager().force_complete_host,
            'compute-1', wait=True)
        self.assertEqual(143, stop.exit_code)
        self.assertEqual([outcome.COMPLETED] * 3,
                         [r.status for r in stop.outcomes])


class Killed(Exception):
    """What SIGINT or SIGTERM does with no handler of ours: the end (an
    Exception, so that the test fails rather than its runner)."""


class SignalsKill(fixtures.Fixture):
    """SIGINT and SIGTERM raise Killed while no handler of ours is in
    place: a signal the code under test lets through fails the test
    instead of ending the test process."""

    def _setUp(self):
        for signum in signals.HANDLED:
            self.addCleanup(signal.signal, signum,
                            signal.signal(signum, self.kill))

    @staticmethod
    def kill(signum, frame):
        raise Killed(signal.Signals(signum).name)


class Killer(f.FakeClock):
    """A clock whose ``stop_at``-th sleep gets a real SIGTERM."""

    def __init__(self, stop_at):
        super().__init__()
        self.stop_at = stop_at

    def sleep(self, seconds):
        super().sleep(seconds)
        if len(self.sleeps) == self.stop_at:
            os.kill(os.getpid(), signal.SIGTERM)


class TestASecondSignal(f.SDKTestCase):
    """GNU timeout signals a command and its process group: two SIGTERMs.
    The second must not cost the outcomes the first one gathers."""

    def test_during_the_pool_shutdown_keeps_every_outcome(self):
        self.useFixture(SignalsKill())
        self.clock = Killer(1)
        rows = [f.os_migration_row(10 + i, server=s)
                for i, s in enumerate(TestHost.SERVERS)]
        self.requests.get(f.COMPUTE + '/servers', json={'servers': []})
        self.requests.get(OS_MIGRATIONS, json={'migrations': rows})
        for row in rows:
            self.requests.post(
                f"{f.COMPUTE}/servers/{row['instance_uuid']}/migrations/"
                f"{row['id']}/action", status_code=202)
        shutdown = concurrent.futures.ThreadPoolExecutor.shutdown

        def second_signal(pool, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
            return shutdown(pool, *args, **kwargs)

        with signals.raised(), mock.patch.object(
                concurrent.futures.ThreadPoolExecutor, 'shutdown',
                second_signal):
            try:
                self.manager().force_complete_host('compute-1', wait=True)
            except exceptions.Interrupted as interrupted:
                stop = interrupted
            except signals.Signalled as again:
                self.fail(f'the second signal replaced the outcomes: '
                          f'{again!r}')
        self.assertEqual(143, stop.exit_code)
        self.assertEqual([outcome.ACCEPTED] * 3,
                         [r.status for r in stop.outcomes])
