"""``./run_tests.sh``'s totals line, with stand-ins for the tools it runs
(the script itself is the thing under test)."""

import os
import shutil
import stat
import subprocess

import fixtures

from tests import testcase

TOP = os.path.join(os.path.dirname(__file__), '..', '..')
# stestr ends "no test matched" without a newline.
STESTR = ("#!/bin/sh\nprintf \"The specified regex doesn't match with "
          "anything\"\nexit 1\n")


class TestTotalsLine(testcase.TestCase):

    def test_on_its_own_line_after_a_message_without_newline(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        bin_dir = os.path.join(tmp, 'bin')
        os.makedirs(os.path.join(tmp, 'tools'))
        os.makedirs(bin_dir)
        shutil.copy(os.path.join(TOP, 'run_tests.sh'), tmp)
        # Sourced in place of tools/bootstrap.sh: the stand-ins come first
        # on PATH.
        with open(os.path.join(tmp, 'tools', 'bootstrap.sh'), 'w') as f:
            f.write(f'export PATH="{bin_dir}:$PATH"\ncd "{tmp}"\n')
        for name, text in (('stestr', STESTR),
                           ('ruff', '#!/bin/sh\necho All checks passed!\n'),
                           ('sphinx-build', '#!/bin/sh\nexit 3\n')):
            path = os.path.join(bin_dir, name)
            with open(path, 'w') as f:
                f.write(text)
            os.chmod(path, stat.S_IRWXU)
        run = subprocess.run([os.path.join(tmp, 'run_tests.sh'),
                              'nosuchtest'], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(1, run.returncode, run.stderr)
        self.assertEqual(["The specified regex doesn't match with anything",
                          'tests: 0 passed, 0 failed'],
                         run.stdout.splitlines()[-2:])
