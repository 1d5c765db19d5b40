"""The exit status and stderr line both commands end with."""

import signal

from novaclient_force import diagnosis, drain, exceptions, outcome
from novaclient_force.cli import checks, verdict
from tests import testcase

SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'
ONE = checks.Request(server='busy-vm', wait=True)
HOST = checks.Request(host='compute-1')


def result(status, migration=7, reason='', name='busy-vm', error=None):
    return outcome.Outcome(
        server=SERVER, migration=migration, status=status, reason=reason,
        server_name=name, duration=12.345, error=error)


class TestOfOutcomes(testcase.TestCase):

    def test_all_good_is_zero_and_silent(self):
        report = verdict.of_outcomes(
            [result(outcome.COMPLETED), result(outcome.ACCEPTED)], ONE)
        self.assertEqual((0, '', True), (report.exit_code, report.message,
                                          report.shows_rows))

    def test_upstream_form_shows_no_rows(self):
        report = verdict.of_outcomes([result(outcome.ACCEPTED)],
                                     checks.Request(server='busy-vm'))
        self.assertFalse(report.shows_rows)

    def test_empty_host_says_its_note(self):
        found = drain_outcomes('No live migration is leaving compute-1')
        report = verdict.of_outcomes(found, HOST)
        self.assertEqual((0, 'No live migration is leaving compute-1'),
                         (report.exit_code, report.message))

    def test_single_failure_names_migration_and_reason(self):
        report = verdict.of_outcomes(
            [result(outcome.FAILED, reason='guest crashed')], ONE)
        self.assertEqual(
            (outcome.EXIT_CODES[outcome.FAILED], 'MigrationFailed',
             'migration 7 of server busy-vm failed: guest crashed'),
            (report.exit_code, report.kind, report.message))

    def test_single_failure_without_a_migration_names_the_server(self):
        report = verdict.of_outcomes([result(outcome.UNKNOWN, migration=None)],
                                     ONE)
        self.assertEqual(('OutcomeUnknown', 'server busy-vm unknown'),
                         (report.kind, report.message))

    def test_timed_out_line_has_the_hint(self):
        timed_out = result(outcome.TIMED_OUT, reason='still running')
        timed_out.hint = f'openstack server migration list --server {SERVER}'
        report = verdict.of_outcomes([timed_out], ONE)
        self.assertEqual((5, 'WaitTimedOut'),
                         (report.exit_code, report.kind))
        self.assertIn(f'follow it with `{timed_out.hint}`', report.message)

    def test_server_name_is_escaped(self):
        report = verdict.of_outcomes(
            [result(outcome.FAILED, name='vm\x1b]0;x\x07\ry',
                    reason='guest crashed')], ONE)
        self.assertEqual(
            "migration 7 of server 'vm\\x1b]0;x\\x07\\ry' failed: "
            "guest crashed", report.message)

    def test_drain_reports_the_highest_exit_status(self):
        outcomes = [result(outcome.COMPLETED), result(outcome.FAILED),
                    result(outcome.TIMED_OUT), result(outcome.TIMED_OUT)]
        report = verdict.of_outcomes(outcomes, HOST)
        self.assertEqual(
            (outcome.EXIT_CODES[outcome.TIMED_OUT], 'WaitTimedOut',
             '3 of 4 live migrations leaving compute-1 did not complete: '
             '1 completed, 1 failed, 2 timed out; 0 forced, 4 left alone'),
            (report.exit_code, report.kind, report.message))

    def test_not_forced_is_exit_9(self):
        report = verdict.of_outcomes(
            [result(outcome.ACCEPTED), result(outcome.NOT_FORCED)], HOST)
        self.assertEqual((9, 'NotForced'), (report.exit_code, report.kind))
        self.assertIn('were not forced', report.message)

    def test_a_drain_ends_with_a_summary(self):
        forced = [result(outcome.COMPLETED) for _ in range(2)]
        for one, pause in zip(forced, (1.5, 2.25), strict=True):
            one.forced = True
            one.diagnosis = diagnosis.Diagnosis(diagnosis.STALLED,
                                                estimated_pause=pause)
        report = verdict.of_outcomes(
            [*forced, result(outcome.COMPLETED)], HOST)
        self.assertEqual(
            (0, '3 live migrations leaving compute-1: 3 completed; 2 forced, '
             '1 left alone; estimated pause 3.8s in all'),
            (report.exit_code, report.message))
        forced[0].diagnosis = None
        self.assertTrue(verdict.of_outcomes(forced, HOST).message.endswith(
            '2 forced, 0 left alone; estimated pause 2.2s in all (1 forced '
            'without an estimate)'))

    def test_error_outcome_keeps_its_errors_exit_status_and_kind(self):
        unreachable = exceptions.EndpointUnreachable('gone')
        report = verdict.of_outcomes(
            [result(outcome.ERROR, error=unreachable)], HOST)
        self.assertEqual((exceptions.EXIT_UNREACHABLE, 'EndpointUnreachable'),
                         (report.exit_code, report.kind))


def drain_outcomes(note):
    found = drain.HostOutcomes()
    found.note = note
    return found


class TestInterrupted(testcase.TestCase):

    def test_one_server_tells_its_detail(self):
        accepted = result(outcome.ACCEPTED, reason='Nova accepted it')
        report = verdict.of_interruption(
            exceptions.Interrupted(signal.SIGTERM, [accepted]))
        self.assertEqual(
            (143, 'Interrupted', 'interrupted (SIGTERM): Nova accepted it',
             True), (report.exit_code, report.kind, report.message,
                     report.shows_rows))

    def test_a_reason_that_says_interrupted_is_not_repeated(self):
        unknown = result(outcome.UNKNOWN, reason=(
            'interrupted (SIGINT) while the answer to the force-complete '
            'was outstanding: Nova may have accepted it'))
        report = verdict.of_interruption(
            exceptions.Interrupted(signal.SIGINT, [unknown]))
        self.assertEqual(
            'interrupted (SIGINT) while the answer to the force-complete '
            'was outstanding: Nova may have accepted it', report.message)

    def test_a_host_counts_what_is_known(self):
        stop = exceptions.Interrupted(signal.SIGINT, [
            result(outcome.ACCEPTED), result(outcome.NOT_FORCED)])
        report = verdict.of_interruption(stop, 'compute-1')
        self.assertEqual(130, report.exit_code)
        self.assertEqual(
            'interrupted (SIGINT): of 2 live migrations leaving compute-1, '
            '1 accepted, 1 not forced; accepted ones go on, and each row '
            'says how to follow it', report.message)

    def test_nothing_known_is_nothing_sent(self):
        for report in (verdict.of_interruption(
                exceptions.Interrupted(signal.SIGINT, [])),
                verdict.of_signal(signal.SIGINT)):
            self.assertEqual(
                (130, 'Interrupted',
                 'interrupted (SIGINT) before anything was sent', False),
                (report.exit_code, report.kind, report.message,
                 report.shows_rows))


class TestOfError(testcase.TestCase):

    def test_kind_and_exit_status_are_the_errors(self):
        report = verdict.of_error(exceptions.InvalidArgument('bad --host'))
        self.assertEqual((2, 'InvalidArgument', 'bad --host', ()),
                         (report.exit_code, report.kind, report.message,
                          report.outcomes))
