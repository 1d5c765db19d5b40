"""Argument checks, outcome rows, exit statuses and the progress line."""

import dataclasses
import io

import testtools

from novaclient_force import (
    diagnosis,
    exceptions,
    outcome,
    progress,
    waiting,
)
from novaclient_force.osc.v2 import force_complete, report, validation

SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'
MIGRATION_UUID = '12341d4b-346a-40d0-83c6-5f4f6892b650'


def parse(*argv):
    cmd = force_complete.ForceCompleteMigration(None, None)
    return cmd.get_parser('openstack server migration force complete') \
        .parse_args(list(argv))


def check(*argv):
    return validation.validated(parse(*argv))


class TestValidated(testtools.TestCase):

    def test_upstream_form_server_and_integer_id(self):
        request = check('busy-vm', '42')
        self.assertEqual('busy-vm', request.server)
        self.assertEqual(42, request.migration)
        self.assertFalse(request.shows_table)

    def test_migration_omitted_means_auto_detect(self):
        self.assertIsNone(check('busy-vm').migration)

    def test_uuid_is_normalised(self):
        request = check(SERVER, '{%s}' % MIGRATION_UUID.upper())
        self.assertEqual(MIGRATION_UUID, request.migration)

    def test_wait_and_timeout(self):
        request = check('busy-vm', '--wait', '--timeout', '90.5')
        self.assertEqual(90.5, request.timeout)
        self.assertTrue(request.shows_table)

    def test_host_drain(self):
        request = check('--host', 'compute-1', '--concurrency', '16')
        self.assertEqual('compute-1', request.host)
        self.assertEqual(16, request.concurrency)
        self.assertIsNone(request.server)
        self.assertTrue(request.shows_table)

    def assertRefused(self, argv, *words):
        err = self.assertRaises(exceptions.InvalidArgument, check, *argv)
        self.assertEqual(exceptions.EXIT_USAGE, err.exit_code)
        self.assertNotIn('\n', str(err))
        for word in words:
            self.assertIn(word, str(err))

    def test_thresholds(self):
        self.assertEqual(60.0, check('busy-vm', '--stalled-after', '60')
                         .stalled_after)
        self.assertEqual({'force_after': 0.0}, check(
            '--host', 'h', '--force-after', '0').policy)
        for bad in ('-1', 'soon', 'nan', 'inf', ''):
            self.assertRefused(['busy-vm', '--stalled-after', bad],
                               '--stalled-after')
            self.assertRefused(['busy-vm', '--force-after', bad],
                               '--force-after')

    def test_malformed_migration(self):
        self.assertRefused(['busy-vm', 'abc'], "'abc'", 'UUID')
        self.assertRefused(['busy-vm', '7.5'], 'integer migration ID')
        # Digits of other scripts pass str.isdigit() but are no Nova ID.
        self.assertRefused(['busy-vm', '\u0661\u0662'], 'integer migration ID')

    def test_host_with_server(self):
        self.assertRefused(['busy-vm', '--host', 'compute-1'], '--host')

    def test_all_projects_with_host(self):
        self.assertRefused(['--host', 'compute-1', '--all-projects'],
                           '--all-projects')

    def test_all_projects_with_server_is_accepted(self):
        self.assertEqual('busy-vm', check('busy-vm', '--all-projects').server)

    def test_nothing_to_act_on(self):
        self.assertRefused([], '<server>', '--host')

    def test_blank_names(self):
        self.assertRefused([' '], '<server>')
        self.assertRefused(['--host', ''], '--host')

    def test_bad_timeouts(self):
        for value in ('0', '-5', 'soon', 'nan', 'inf'):
            self.assertRefused(['busy-vm', '--wait', '--timeout', value],
                               '--timeout', repr(value))

    def test_timeout_without_wait(self):
        self.assertRefused(['busy-vm', '--timeout', '30'], '--wait')

    def test_bad_concurrency(self):
        for value in ('0', '65', '2.5', 'many'):
            self.assertRefused(
                ['--host', 'compute-1', '--concurrency', value],
                '--concurrency', repr(value))

    def test_concurrency_without_host(self):
        self.assertRefused(['busy-vm', '--concurrency', '4'], '--host')


def result(status, migration=7, reason='', name='busy-vm', error=None):
    return outcome.Outcome(
        server=SERVER, migration=migration, status=status, reason=reason,
        server_name=name, duration=12.345, error=error)


class TestRowsAndVerdict(testtools.TestCase):

    def test_row(self):
        cells = report.row(result(outcome.COMPLETED))
        self.assertEqual(
            (SERVER, 'busy-vm', 7, 'completed', 'no', '', '', '12.3s', ''),
            tuple(c.human_readable() if hasattr(c, 'human_readable') else c
                  for c in cells))

    def test_not_forced_is_exit_9(self):
        code, message = report.verdict(
            [result(outcome.ACCEPTED), result(outcome.NOT_FORCED)],
            'compute-1')
        self.assertEqual(9, code)
        self.assertIn('were not forced', message)

    def test_row_for_machine_formats(self):
        self.assertEqual(
            (SERVER, 'busy-vm', 7, 'completed', False, None, None, 12.3, ''),
            tuple(c.machine_readable() if hasattr(c, 'machine_readable')
                  else c for c in report.row(
                      result(outcome.COMPLETED), machine=True)))

    def test_row_for_a_terminal(self):
        cells = report.row(result(outcome.COMPLETED))
        self.assertEqual((SERVER, 'busy-vm', 7, 'completed'), cells[:4])
        self.assertEqual(('12.3s', 12.3), (cells[7].human_readable(),
                                           cells[7].machine_readable()))

    def test_row_escapes_what_the_cloud_sent_for_a_terminal(self):
        hostile = 'vm\n\x1b]0;pwned\x07\r'
        cells = report.row(result(outcome.COMPLETED, name=hostile))
        self.assertEqual(repr(hostile), cells[1])
        self.assertTrue(cells[1].isprintable())
        machine = report.row(result(outcome.COMPLETED, name=hostile),
                                     machine=True)
        self.assertEqual(hostile, machine[1])

    def test_timed_out_row_is_narrow_and_stderr_has_the_detail(self):
        reason = ('still running after 2s; the migration may still finish')
        timed_out = result(outcome.TIMED_OUT, reason=reason)
        timed_out.hint = 'openstack server migration list --server %s' % (
            SERVER)
        cell = report.row(timed_out)[8]
        self.assertEqual('still running after 2s', cell.human_readable())
        self.assertIn(timed_out.hint, cell.machine_readable())
        self.assertIn(timed_out.hint,
                      report.row(timed_out, machine=True)[8])
        code, message = report.verdict([timed_out])
        self.assertEqual(5, code)
        self.assertIn('follow it with `%s`' % timed_out.hint, message)

    def test_verdict_escapes_the_server_name(self):
        code, message = report.verdict(
            [result(outcome.FAILED, name='vm\x1b]0;x\x07\ry',
                    reason='guest crashed')])
        self.assertEqual(
            "migration 7 of server 'vm\\x1b]0;x\\x07\\ry' failed: "
            "guest crashed", message)

    def test_row_falls_back_to_migration_uuid(self):
        done = result(outcome.ACCEPTED, migration=None)
        done.migration_uuid = MIGRATION_UUID
        self.assertEqual(MIGRATION_UUID, report.row(done)[2])

    def test_all_good_is_zero_and_silent(self):
        self.assertEqual((0, ''), report.verdict(
            [result(outcome.COMPLETED), result(outcome.ACCEPTED)]))
        self.assertEqual((0, ''), report.verdict([], 'compute-1'))

    def test_single_failure_names_migration_and_reason(self):
        code, message = report.verdict(
            [result(outcome.FAILED, reason='guest crashed')])
        self.assertEqual(outcome.EXIT_CODES[outcome.FAILED], code)
        self.assertEqual(
            'migration 7 of server busy-vm failed: guest crashed', message)

    def test_drain_reports_the_highest_exit_status(self):
        outcomes = [result(outcome.COMPLETED), result(outcome.FAILED),
                    result(outcome.TIMED_OUT), result(outcome.TIMED_OUT)]
        code, message = report.verdict(outcomes, 'compute-1')
        self.assertEqual(outcome.EXIT_CODES[outcome.TIMED_OUT], code)
        self.assertEqual('3 of 4 live migrations leaving compute-1 did not '
                         'complete: 1 failed, 2 timed out', message)

    def test_error_outcome_keeps_its_errors_exit_status(self):
        unreachable = exceptions.EndpointUnreachable('gone')
        code, _ = report.verdict(
            [result(outcome.ERROR, error=unreachable)], 'compute-1')
        self.assertEqual(exceptions.EXIT_UNREACHABLE, code)


def Event(server, migration, status, processed=None, remaining=None,
          total=None, elapsed=0.0):
    """The SDK's own progress event, as the display receives it."""
    return waiting.Progress(server, migration, status, processed, remaining,
                            total, elapsed)


GIB = 1024 ** 3


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


class TestProgress(testtools.TestCase):

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
            display(Event('s%d' % migration, migration, 'running',
                          elapsed=0.5))
        for migration, status in ((1, 'running'), (3, 'queued')):
            display(Event('s%d' % migration, migration, status,
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
                    Event('s%d' % migration, migration,
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
            '1 forced; migration 2 converging, ETA 40s), 0 of 3 done, 9s',
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
