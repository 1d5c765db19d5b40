"""Our ``openstack`` command skips the last garbage collection at exit;
the program's other commands do not, and nothing of the output or the
exit status changes."""

import json
import subprocess
import sys

from tests.functional import test_osc_cli

# ``openstack``'s entry point, then the exit handlers run by hand (as the
# interpreter runs them at exit) to see whether one froze the heap.
PROGRAM = (
    'import atexit, gc, sys\n'
    'from openstackclient.shell import main\n'
    'status = main(sys.argv[1:])\n'
    'sys.stdout.flush()\n'
    'atexit._run_exitfuncs()\n'
    'sys.stderr.write("frozen=%d\\n" % (gc.get_freeze_count() > 0))\n'
    'sys.exit(status)\n')


class TestExit(test_osc_cli.OpenStackCLITest):
    def run_program(self, *argv):
        done = subprocess.run(
            [sys.executable, '-c', PROGRAM, *argv], env=self.cloud.env(),
            capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    def test_our_command_exits_frozen_with_its_output_and_status(self):
        code, out, err = self.run_program(
            *test_osc_cli.COMMAND, 'busy-vm', '--wait', '--timeout', '60',
            '-f', 'json')
        self.assertEqual(0, code, err)
        self.assertIn('frozen=1', err)
        self.assertEqual('completed', json.loads(out)[0]['Status'])

    def test_a_refusal_keeps_its_exit_status(self):
        code, out, err = self.run_program(*test_osc_cli.COMMAND,
                                          'busy-vm-2')
        self.assertEqual(1, code, err)
        self.assertIn('frozen=1', err)

    def test_other_commands_are_left_alone(self):
        code, out, err = self.run_program('server', 'list', '--all-projects',
                                          '-f', 'json')
        self.assertEqual(0, code, err)
        self.assertIn('frozen=0', err)
        self.assertIn('busy-vm', [s['Name'] for s in json.loads(out)])
