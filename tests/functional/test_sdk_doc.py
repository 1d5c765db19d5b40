"""doc/source/sdk.rst's examples, run as written: the first two against
the reference server started as the page says, the diagnosis one on its
own. The code is read from the page so the two cannot drift."""

import os
import re
import subprocess
import sys

from novaclient_force.refserver import fixture
from tests import testcase

PAGE = os.path.join(os.path.dirname(__file__), '..', '..', 'doc', 'source',
                    'sdk.rst')


def page():
    with open(PAGE, encoding='utf-8') as f:
        return f.read()


def python_examples(text):
    """Every ``.. code-block:: python`` of the page, dedented, in order."""
    examples = []
    for block in text.split('.. code-block:: python\n\n')[1:]:
        lines = []
        for line in block.splitlines():
            if line and not line.startswith('    '):
                break
            lines.append(line[4:])
        examples.append('\n'.join(lines).strip() + '\n')
    return examples


def commented_prints(code):
    """What the example's comments say its prints show, in order: the
    comment at the end of a print's line, or on the line after it."""
    expected = []
    lines = code.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith('print('):
            continue
        same = re.search(r'\)\s+# (.+)$', line)
        if same:
            expected.append(same.group(1))
        elif i + 1 < len(lines) and lines[i + 1].startswith('# '):
            expected.append(lines[i + 1][2:])
    return expected


def run(code, env=None):
    return subprocess.run([sys.executable, '-c', code], env=env,
                          capture_output=True, text=True, timeout=300)


class TestSdkPage(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 360

    def setUp(self):
        super().setUp()
        self.text = page()
        self.first, self.drain, self.diagnosis = python_examples(self.text)

    def test_the_server_is_started_as_the_fixture_starts_it(self):
        start = re.search(r'^    (novaclient-force-refserver .*) &$',
                          self.text, re.M).group(1)
        self.assertEqual('novaclient-force-refserver --time-scale 20 '
                         '--clouds-yaml clouds.yaml', start)
        self.assertIn('export OS_CLIENT_CONFIG_FILE=$PWD/clouds.yaml',
                      self.text)

    def test_server_examples_run_as_written(self):
        cloud = self.useFixture(fixture.RefServer(time_scale=20))
        env = cloud.env()
        del env['OS_CLOUD']          # the page exports only the file

        first = run(self.first, env)
        self.assertEqual(0, first.returncode, first.stderr)
        out = first.stdout.splitlines()
        self.assertEqual(commented_prints(self.first), out[:1])
        self.assertRegex(out[1], r'^completed on compute-2 \(forced: '
                         r'no progress towards completion for \d+s '
                         r'\(--stalled-after 5\)\)$')
        self.assertRegex(first.stderr, r'(?m)^\d+s running, [\d.]+ GiB '
                         r'left, stalled')
        self.assertEqual('force_complete',
                         cloud.migration_truth(1)['ended_by'])

        # Something to drain: a live migration leaving compute-1.
        [server] = cloud.get(
            '/servers?all_tenants=1&name=^busy-vm-2$')['servers']
        cloud.session().post(
            f"{cloud.compute_url}/servers/{server['id']}/action",
            json={'os-migrateLive': {'host': None,
                                     'block_migration': 'auto'}},
            headers={'OpenStack-API-Version': 'compute 2.30'})
        drain = run(self.drain, env)
        self.assertEqual(0, drain.returncode, drain.stderr)
        row, verdict = drain.stdout.splitlines()
        # The scheduler picks the destination.
        self.assertRegex(row, r'^busy-vm-2 2 completed True completed on '
                         r'compute-[23]$')
        self.assertEqual('host drained', verdict)
        self.assertEqual('force_complete',
                         cloud.migration_truth(2)['ended_by'])

    def test_diagnosis_example_prints_what_its_comments_say(self):
        expected = commented_prints(self.diagnosis)
        self.assertEqual(4, len(expected))
        done = run(self.diagnosis)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual(expected, done.stdout.splitlines())
