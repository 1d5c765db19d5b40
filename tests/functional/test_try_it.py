"""``./try_it.sh``, README's first command, as a new user runs it."""

import os
import shlex
import subprocess

from tests import testcase

TOP = os.path.join(os.path.dirname(__file__), '..', '..')


class TestTryIt(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 660

    def test_commands_paste_and_the_server_is_stopped(self):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('OS_')}
        run = subprocess.run([os.path.join(TOP, 'try_it.sh')], env=env,
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(0, run.returncode, run.stderr)
        shown = [line[2:] for line in run.stdout.splitlines()
                 if line.startswith('$ ')]
        self.assertEqual(7, len(shown), run.stdout)
        statuses = [line for line in run.stdout.splitlines()
                    if line.startswith('(exit status ')]
        self.assertEqual(['(exit status 0)'] * 7, statuses, run.stdout)
        for line in shown:
            argv = shlex.split(line)
            self.assertIn(argv[0], ('openstack', 'nova'))
            # Pasted, each argument stays one: the line is its own quoting.
            self.assertEqual(line, shlex.join(argv))
        self.assertIn("-c 'Server UUID'", shown[0])
        self.assertIn('not converging', run.stdout)  # the diagnosis shown
        self.assertIn('compute-1 is drained', run.stderr)
        self.assertRegex(run.stdout, r'compute-1 +\| disabled')
        self.assertEqual('Stopped the reference server.',
                         run.stdout.splitlines()[-1])
