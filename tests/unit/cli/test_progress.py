"""The progress line both commands draw on a terminal while they wait."""

import dataclasses
import io

from novaclient_force import diagnosis, progress, waiting
from tests import testcase

SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'


def Event(server, migration, status, processed=None, remaining=None,
          total=None, elapsed=0.0):
    """The SDK's own progress event, as the display receives it."""
    return waiting.Progress(server, migration, status, processed, remaining,
                            total, elapsed)


GIB = 1024 ** 3


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


class TestProgress(testcase.TestCase):

    def test_one_migration(self):
        event = Event(SERVER, 7, 'running', GIB, 3 * GIB, 4 * GIB, 12.4)
        self.assertEqual(
            'migration 7: running, 3.0 of 4.0 GiB left to copy, '
            '1.0 GiB sent, 12s', progress.describe([event]))

    def test_before_first_stats(self):
        self.assertEqual('migration 7: preparing, 1s', progress.describe(
            [Event(SERVER, 7, 'preparing', elapsed=1)]))

    def test_drain_counts_those_still_reported(self):
        stream = TerminalStream()
        display = progress.for_stream(stream)
        for migration in (1, 2, 3):          # first poll: all three
            display(Event(f's{migration}', migration, 'running',
                          elapsed=0.5))
        for migration, status in ((1, 'running'), (3, 'queued')):
            display(Event(f's{migration}', migration, status,
                          elapsed=1.5))  # second poll: 2 finished
        self.assertTrue(stream.getvalue().endswith(
            '\r\x1b[K2 live migrations in progress (1 running, '
            '1 queued), 1 of 3 done, 2s'), stream.getvalue())

    def test_drain_draws_each_poll_once_it_is_complete(self):
        stream = TerminalStream()
        display = progress.for_stream(stream)
        for poll in (0.5, 1.5):
            for migration in range(1, 21):
                display(dataclasses.replace(
                    Event(f's{migration}', migration,
                          'running' if migration == 1 else 'queued',
                          elapsed=poll), poll_size=20))
        self.assertEqual(
            ['', '20 live migrations in progress (1 running, 19 queued), '
             '0 of 20 done, 0s',
             '20 live migrations in progress (1 running, 19 queued), '
             '0 of 20 done, 2s'], stream.getvalue().split('\r\x1b[K'))

    def test_drain_shows_forced_and_the_one_being_judged(self):
        judged = diagnosis.Diagnosis(diagnosis.CONVERGING, eta=40.0)
        events = [
            dataclasses.replace(Event('s1', 1, 'running', elapsed=9),
                                forced=True),
            dataclasses.replace(Event('s2', 2, 'running', elapsed=9),
                                diagnosis=judged),
            Event('s3', 3, 'queued', elapsed=9)]
        self.assertEqual(
            '3 live migrations in progress (2 running, 1 queued; '
            'migration 2 converging, ETA 40s), 0 of 3 done, 1 forced, 9s',
            progress.describe(events))

    def test_drain_counts_forced_ones_that_finished(self):
        # Two forced in the first poll; by the second one has completed
        # and only the queued one is left: both still count as forced.
        first = [dataclasses.replace(Event(f's{m}', m, 'running',
                                           elapsed=3), forced=True)
                 for m in (1, 2)] + [Event('s3', 3, 'queued', elapsed=3)]
        second = [dataclasses.replace(Event('s2', 2, 'running', elapsed=5),
                                      forced=True),
                  Event('s3', 3, 'queued', elapsed=5)]
        latest = {e.migration: e for e in first + second}
        self.assertEqual(
            '2 live migrations in progress (1 running, 1 queued), '
            '1 of 3 done, 2 forced, 5s',
            progress.describe(list(latest.values())))

    def test_drain_with_one_left_says_migration_once(self):
        events = [Event('s1', 1, 'running', elapsed=4),
                  Event('s2', 2, 'running', elapsed=2)]
        self.assertEqual(
            '1 live migration in progress (1 running), 1 of 2 done, 4s',
            progress.describe(events))

    def test_one_migration_with_its_diagnosis(self):
        event = dataclasses.replace(
            Event(SERVER, 7, 'running', GIB, 3 * GIB, 4 * GIB, 30),
            diagnosis=diagnosis.Diagnosis(diagnosis.STALLED,
                                          stalled_for=20.0))
        self.assertEqual(
            'migration 7: running, 3.0 of 4.0 GiB left to copy, '
            '1.0 GiB sent, stalled for 20s, 30s', progress.describe([event]))

    def test_nothing_drawn_unless_terminal(self):
        self.assertIsNone(progress.for_stream(io.StringIO()))

    def test_terminal_line_is_redrawn_then_erased(self):
        stream = TerminalStream()
        display = progress.for_stream(stream)
        display(Event(SERVER, 7, 'running', elapsed=1))
        display(Event(SERVER, 7, 'completed', elapsed=2))
        display.close()
        self.assertEqual(
            '\r\x1b[Kmigration 7: running, 1s'
            '\r\x1b[Kmigration 7: completed, 2s\r\x1b[K', stream.getvalue())

    def test_close_without_events_writes_nothing(self):
        stream = TerminalStream()
        progress.for_stream(stream).close()
        self.assertEqual('', stream.getvalue())
