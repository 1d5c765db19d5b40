"""Rows first, then the lines about them, also in one pipe or file.

``cmd 2>&1 | tee log`` and CI logs merge stdout and stderr. Python
buffers stdout when it is not a terminal and writes stderr at once, so
the notes under a table came out above it. The commands run here with
the environment's PYTHONUNBUFFERED removed, as most shells have it.
"""

import subprocess

from tests import testcase
from tests.functional import test_nova_cli, test_osc_cli


def merged(argv, env):
    """(exit status, the lines of stdout and stderr as one stream)."""
    env = dict(env)
    env.pop('PYTHONUNBUFFERED', None)
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)
    return done.returncode, done.stdout.splitlines()


class OrderChecks(testcase.TestCase):

    def assert_table_then(self, lines, before=0):
        """The table starts after ``before`` lines and is followed only
        by notes; those notes."""
        table = [i for i, line in enumerate(lines)
                 if line.startswith(('+', '|'))]
        self.assertEqual(list(range(before, before + len(table))), table,
                         lines)
        notes = lines[table[-1] + 1:]
        self.assertTrue(notes, lines)
        return notes


class TestOpenStack(OrderChecks, test_osc_cli.OpenStackCLITest):

    def run_openstack(self, *argv):
        return merged([test_osc_cli.openstack_program(), *argv],
                      self.cloud.env())

    def test_force_host(self):
        code, lines = self.run_openstack(*test_osc_cli.COMMAND, '--host',
                                         'compute-1')
        self.assertEqual(0, code, lines)
        notes = self.assert_table_then(lines)
        self.assertRegex(notes[-1], '^1 live migration leaving compute-1: ')

    def test_host_drain(self):
        code, lines = self.run_openstack('compute', 'host', 'drain',
                                         'compute-1', '--dry-run')
        self.assertEqual(0, code, lines)
        [note] = self.assert_table_then(lines)
        self.assertTrue(note.startswith('dry run: nothing was changed'),
                        note)


class TestNova(OrderChecks, test_nova_cli.NovaCLITestCase):

    def test_timed_out(self):
        code, lines = merged(
            [test_nova_cli.NOVA, 'live-migration-force-complete', 'busy-vm',
             '--wait', '--stalled-after', '3600', '--timeout', '3'],
            self.env())
        self.assertEqual(5, code, lines)
        self.assertIn(test_nova_cli.DEPRECATION, lines[0])
        notes = self.assert_table_then(lines, before=1)
        self.assertTrue(notes[-1].startswith('ERROR (WaitTimedOut): '), notes)
