"""A second signal does not cut the report of what Nova accepted.

GNU timeout signals a command and then its process group, so the command
gets SIGTERM twice. Both commands run in process (the real OpenStackShell,
the real nova shell) and get real signals from ``os.kill``, which runs the
handler of a signal to its own process before it returns. Where no handler
of ours is in place a signal raises Killed (SignalsKill), standing for the
default action that would end the process.
"""

import io
import json
import os
import re
import signal

from novaclient_force import exceptions, outcome, signals
from tests import testcase
from tests.unit.cli import test_nova_shell, test_osc_command
from tests.unit.sdk import test_sdk_signals

COMMAND = test_osc_command.COMMAND
SERVERS = (test_osc_command.SERVER, test_osc_command.SERVER_2)


def sigterm():
    os.kill(os.getpid(), signal.SIGTERM)


class SignalledOnWrite(io.StringIO):
    """stdout, sent SIGTERM once its first text is written."""

    signalled = False

    def write(self, text):
        written = super().write(text)
        if not self.signalled:
            self.signalled = True
            sigterm()
        return written


def accepted(server, migration):
    return outcome.Outcome(
        server=server, migration=migration, status=outcome.ACCEPTED,
        reason='Nova accepted the request; stopped waiting (SIGTERM), the '
               'migration goes on', forced=True)


def interrupted_drain(again):
    """The SDK's drain, which a SIGTERM stops; ``again``: a second one
    comes while it gathers its outcomes into Interrupted."""
    def drain(host, **kwargs):
        try:
            sigterm()
        except KeyboardInterrupt as stop:
            if again:
                sigterm()
            raise exceptions.Interrupted(signals.signum_of(stop), [
                accepted(server, 7 + i) for i, server in enumerate(SERVERS)
            ]) from None
        raise AssertionError('the first SIGTERM did not interrupt the drain')
    return drain


class TestOpenStack(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(test_sdk_signals.SignalsKill())
        self.openstack = self.useFixture(test_osc_command.OpenStackRun())
        self.sdk = test_osc_command.sdk_answering()
        self.openstack.fake_client = test_osc_command.FakeClient(self.sdk)

    def drain(self, stdout=None):
        return self.openstack(*COMMAND, '--host', 'compute-1', '--wait',
                              '-f', 'json', stdout=stdout)

    def assertEveryAcceptedRow(self, result):
        code, out, err = result
        self.assertEqual(143, code, err)
        self.assertEqual([(server, 'accepted', True) for server in SERVERS],
                         [(row['Server'], row['Status'], row['Forced'])
                          for row in json.loads(out)])
        self.assertRegex(err, r'^interrupted \(SIGTERM\): of 2 live '
                              r'migrations leaving compute-1, 2 accepted;')
        self.assertNotIn('before anything was sent', err)

    def test_while_the_sdk_gathers_its_outcomes(self):
        self.sdk.force_complete_host.side_effect = interrupted_drain(True)
        self.assertEveryAcceptedRow(self.drain())

    def test_while_the_rows_are_written(self):
        self.sdk.force_complete_host.side_effect = interrupted_drain(False)
        stdout = SignalledOnWrite()
        self.assertEveryAcceptedRow(self.drain(stdout))
        self.assertTrue(stdout.signalled)

    def test_a_first_signal_while_the_rows_are_written(self):
        self.sdk.force_complete_host.side_effect = None
        self.sdk.force_complete_host.return_value = [
            test_osc_command.result(outcome.COMPLETED)]
        code, out, err = self.drain(SignalledOnWrite())
        # The report is whole; the exit status tells of the signal.
        self.assertEqual((143, '1 live migration leaving compute-1: 1 '
                          'completed; 0 forced, 1 left alone\n'), (code, err))
        self.assertEqual(['completed'],
                         [row['Status'] for row in json.loads(out)])

    def test_a_signal_after_the_report_while_the_process_exits(self):
        # The command ends with 128 + the first signal; one more (GNU
        # timeout's second) must not interrupt the interpreter's exit,
        # which would print a KeyboardInterrupt traceback after the report.
        self.sdk.force_complete_host.side_effect = interrupted_drain(True)
        self.assertEveryAcceptedRow(self.drain())
        sigterm()
        os.kill(os.getpid(), signal.SIGINT)


class TestNova(test_nova_shell.NovaShellTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(test_sdk_signals.SignalsKill())

    def test_while_the_table_is_printed(self):
        readings = []

        def index(request, context):
            readings.append(request)
            if len(readings) == 2:      # into the wait, once forced
                sigterm()
            return {'migrations': [test_nova_shell.migration_row()]}

        self.requests.get(re.compile(
            re.escape(test_nova_shell.COMPUTE) + r'/servers/[^/]+/'
            r'migrations$'), json=index)
        stdout = SignalledOnWrite()
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', '--wait',
            stdout=stdout)
        self.assertTrue(stdout.signalled)
        self.assertEqual(143, status, err)
        self.assertEqual(1, len(self.force_complete_posts()))
        self.assertRegex(out, r'\| status +\| accepted +\|')
        self.assertRegex(out, r'\| forced +\| yes +\|')
        self.assertTrue(out.rstrip().endswith('+'), out)
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith(
            'ERROR (Interrupted): interrupted (SIGTERM): '), err[0])
