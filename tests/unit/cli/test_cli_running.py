"""The core's run, with the SDK manager autospecced from the real class."""

import io
import os
import signal
import time
from unittest import mock

from novaclient_force import exceptions, outcome, signals, waiting
from novaclient_force.cli import running
from novaclient_force.v2.server_migrations import ServerMigrationsManager
from tests import testcase
from tests.unit.sdk import test_sdk_signals

SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'
ERASE = '\r\x1b[K'


class Terminal(io.StringIO):
    def isatty(self):
        return True


def result(status):
    return outcome.Outcome(server=SERVER, migration=7, status=status,
                           reason='Nova accepted it', server_name='busy-vm')


class TestRun(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.sdk = mock.create_autospec(ServerMigrationsManager,
                                        instance=True)
        self.sdk.force_complete.return_value = result(outcome.COMPLETED)
        self.useFixture(test_sdk_signals.SignalsKill())

    def run_core(self, stream=None, **arguments):
        return running.run(stream or io.StringIO(), lambda: self.sdk,
                           signals.Latch(), **arguments)

    def test_refused_arguments_never_reach_the_sdk(self):
        manager = mock.Mock()
        report = running.run(io.StringIO(), manager, signals.Latch(),
                             server='busy-vm', migration='last')
        self.assertEqual((2, 'InvalidArgument', False),
                         (report.exit_code, report.kind, report.shows_rows))
        self.assertIn("'last'", report.message)
        manager.assert_not_called()

    def test_one_server(self):
        report = self.run_core(server='busy-vm', migration='7', wait=True,
                               timeout='60', force_after='0')
        self.sdk.force_complete.assert_called_once_with(
            'busy-vm', 7, wait=True, timeout=60.0, progress=None,
            force_after=0.0)
        self.assertEqual(([self.sdk.force_complete.return_value], 0, True),
                         (report.outcomes, report.exit_code,
                          report.shows_rows))

    def test_a_host_gets_a_concurrency_only_when_one_is_given(self):
        self.sdk.force_complete_host.return_value = [result(outcome.ACCEPTED)]
        self.run_core(host='compute-1')
        self.sdk.force_complete_host.assert_called_once_with(
            'compute-1', wait=False, timeout=None, progress=None)
        self.run_core(host='compute-1', concurrency='4', max_concurrency=64,
                      stalled_after='60')
        self.sdk.force_complete_host.assert_called_with(
            'compute-1', wait=False, timeout=None, progress=None,
            concurrency=4, stalled_after=60.0)

    def test_progress_is_drawn_while_waiting_then_erased(self):
        def force_complete(server, migration=None, wait=False, timeout=None,
                           progress=None, **policy):
            progress(waiting.Progress(SERVER, 7, 'running', None, None, None,
                                      2.0))
            return result(outcome.COMPLETED)
        self.sdk.force_complete.side_effect = force_complete
        stream = Terminal()
        self.run_core(stream, server='busy-vm', wait=True)
        self.assertEqual(f'{ERASE}migration 7: running, 2s{ERASE}',
                         stream.getvalue())

    def test_no_progress_when_nothing_is_watched(self):
        self.run_core(Terminal(), server='busy-vm')
        self.assertIsNone(self.sdk.force_complete.call_args.kwargs[
            'progress'])

    def test_interrupted_sdk_tells_what_it_knew(self):
        accepted = result(outcome.ACCEPTED)
        self.sdk.force_complete.side_effect = exceptions.Interrupted(
            signal.SIGTERM, [accepted])
        report = self.run_core(server='busy-vm', wait=True)
        self.assertEqual(([accepted], 143, 'Interrupted', True),
                         (report.outcomes, report.exit_code, report.kind,
                          report.shows_rows))

    def test_a_real_signal_while_getting_the_manager(self):
        def authenticate():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)       # the handler raises before this ends
        with running.until_drawn() as latch:
            report = running.run(io.StringIO(), authenticate, latch,
                                 server='busy-vm')
        self.assertEqual(
            (130, 'interrupted (SIGINT) before anything was sent'),
            (report.exit_code, report.message))
        # The command exits next: later signals are dropped until then.
        self.assertIs(latch, signal.getsignal(signal.SIGINT))
        self.sdk.force_complete.assert_not_called()

    def test_a_signal_before_the_sdk_call_stops_it_from_starting(self):
        manager = mock.Mock()
        with running.until_drawn() as latch:
            os.kill(os.getpid(), signal.SIGTERM)    # held: no exception
            report = running.run(io.StringIO(), manager, latch,
                                 server='busy-vm')
        self.assertEqual(
            (143, 143, 'interrupted (SIGTERM) before anything was sent'),
            (report.exit_code, running.exit_code(report, latch),
             report.message))
        manager.assert_not_called()

    def test_a_signal_after_the_sdk_call_waits_for_the_report(self):
        with running.until_drawn() as latch:
            report = self.run_core(server='busy-vm', wait=True)
            os.kill(os.getpid(), signal.SIGINT)     # held: no exception
        self.assertEqual((0, 130),
                         (report.exit_code, running.exit_code(report, latch)))

    def test_sdk_error_is_the_verdict(self):
        self.sdk.force_complete.side_effect = exceptions.ServerNotFound(
            'No server is named busy-vm')
        report = self.run_core(server='busy-vm')
        self.assertEqual((1, 'ServerNotFound', 'No server is named busy-vm'),
                         (report.exit_code, report.kind, report.message))
