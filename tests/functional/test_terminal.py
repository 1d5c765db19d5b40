"""What reaches the operator's terminal from the real ``openstack`` and
``nova`` programs, with server names chosen by an attacker.

The ``hostile-names`` scenario names servers with a terminal title
sequence (``ESC ] 0 ; ... BEL``), a carriage return and a newline, and
with shell syntax. Nothing of it may reach stdout or stderr unescaped,
except in ``-f json``, which escapes by itself and must keep the name
exactly as Nova holds it.
"""

import json
import os

from tests.functional import test_nova_cli, test_osc_cli

HOSTILE = 'title\x1b]0;pwned\x07\rover\nsplit'
SCENARIO = os.path.join(os.path.dirname(__file__), 'scenarios',
                        'hostile-names.yaml')
# Slow enough that a forced migration is still copying after --timeout 1.
SLOW = 0.05


class TerminalChecks:

    def assertClean(self, text):
        """Nothing that could drive a terminal: no ESC, BEL or CR, and
        the name never appears raw."""
        for control in ('\x1b', '\x07', '\r'):
            self.assertNotIn(control, text)
        self.assertNotIn('over\nsplit', text)


class TestOpenStack(TerminalChecks, test_osc_cli.OpenStackCLITest):

    scenario = SCENARIO
    time_scale = SLOW

    def test_timed_out_single_server(self):
        code, out, err = self.force(HOSTILE, '--wait', '--timeout', '1')
        self.assertEqual(5, code, err)
        self.assertClean(out)
        self.assertClean(err)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn(repr(HOSTILE), err)
        self.assertIn(repr(HOSTILE), out)

    def test_rows_are_narrow_and_say_the_unit(self):
        code, out, err = self.force(HOSTILE, '--wait', '--timeout', '1')
        self.assertEqual(5, code, err)
        header, row = [[cell.strip() for cell in line.split('|')]
                       for line in out.splitlines() if line.startswith('|')]
        cells = dict(zip(header, row, strict=True))
        self.assertEqual('still running after 1s', cells['Reason'])
        # Not ended, so how long it took is not known: blank.
        self.assertEqual(('', ''), (cells['Force To End'],
                                    cells['Migration Time']))
        # The detail is on stderr, once.
        self.assertNotIn('follow it', out)
        self.assertIn('follow it with', err)

    def test_json_keeps_the_name_and_the_detail(self):
        code, out, err = self.force(HOSTILE, '--wait', '--timeout', '1',
                                    '-f', 'json')
        self.assertEqual(5, code, err)
        self.assertClean(out)               # JSON escapes it
        [row] = json.loads(out)
        self.assertEqual(HOSTILE, row['Server Name'])
        self.assertIn('follow it with', row['Reason'])
        self.assertIsNone(row['Force To End'])

    def test_host_drain_table(self):
        code, out, err = self.force('--host', 'compute-1')
        self.assertEqual(0, code, err)
        self.assertClean(out)
        self.assertClean(err)           # the advice under the table
        self.assertIn(repr(HOSTILE), err)
        self.assertIn(repr(HOSTILE), out)
        self.assertIn('| vm; touch /tmp/x ', out)

    def test_error_line_about_a_hostile_name(self):
        self.assertOneLineError(self.force(HOSTILE + '\x1b[2J'), 1,
                                repr(HOSTILE + '\x1b[2J'))


class TestNova(TerminalChecks, test_nova_cli.NovaCLITestCase):

    scenario = SCENARIO
    time_scale = SLOW

    def test_timed_out_single_server(self):
        code, out, err = self.nova('live-migration-force-complete', HOSTILE,
                                   '--wait', '--timeout', '1')
        self.assertEqual(5, code, err)
        self.assertClean(out)
        self.assertEqual(1, len(err), err)
        self.assertClean(err[0])
        self.assertTrue(err[0].startswith('ERROR (WaitTimedOut): '), err)
        self.assertIn('follow it with', err[0])
        rows = {line.split('|')[1].strip(): line.split('|')[2].strip()
                for line in out.splitlines() if line.startswith('| ')}
        self.assertEqual(repr(HOSTILE), rows['server_name'])
        self.assertEqual('still running after 1s', rows['reason'])
        self.assertEqual('', rows['force_to_end'])
