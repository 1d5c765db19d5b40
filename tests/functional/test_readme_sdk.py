"""README.rst's SDK example, run as written against the reference server
started as README.rst says; the code is read from README.rst so the two
cannot drift."""

import os
import re
import subprocess
import sys

from novaclient_force.refserver import fixture
from tests import testcase

README = os.path.join(os.path.dirname(__file__), '..', '..', 'README.rst')


def sdk_section():
    with open(README, encoding='utf-8') as f:
        text = f.read()
    return text.split('\nThe SDK\n=======\n', 1)[1].split('\n=====', 1)[0]


def python_example(section):
    """The first ``.. code-block:: python`` of the section, dedented."""
    block = section.split('.. code-block:: python\n\n', 1)[1]
    lines = []
    for line in block.splitlines():
        if line and not line.startswith('    '):
            break
        lines.append(line[4:])
    return '\n'.join(lines).strip() + '\n'


class TestReadmeExample(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 360

    def test_runs_as_written(self):
        section = sdk_section()
        start = re.search(r'^    (novaclient-force-refserver .*) &$',
                          section, re.M).group(1)
        self.assertEqual('novaclient-force-refserver --time-scale 20 '
                         '--clouds-yaml clouds.yaml', start)
        self.assertIn('export OS_CLIENT_CONFIG_FILE=$PWD/clouds.yaml',
                      section)
        cloud = self.useFixture(fixture.RefServer(time_scale=20))
        env = cloud.env()
        del env['OS_CLOUD']          # README exports only the file
        code = python_example(section)
        run = subprocess.run([sys.executable, '-c', code], env=env,
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(0, run.returncode, run.stderr)
        # The example's own comment says what its first print shows.
        expected = re.search(r'print\(result\.status, result\.reason\)'
                             r'\s+# (.+)$', code, re.M).group(1)
        self.assertEqual(expected, run.stdout.splitlines()[0])
        statuses = [m['status'] for m in
                    cloud.get('/os-migrations')['migrations']]
        self.assertEqual(['completed'], statuses)
