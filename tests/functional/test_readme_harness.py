"""README.rst's two fixture examples (testtools and pytest), run as
written: the code is read from README.rst, so the two cannot drift."""

import os
import re
import subprocess
import sys

import fixtures

from tests import testcase

TOP = os.path.join(os.path.dirname(__file__), '..', '..')
README = os.path.join(TOP, 'README.rst')
DOCS = os.path.join(TOP, 'doc', 'source', 'refserver.rst')


def examples(path=README, title='Testing against it'):
    """The ``.. code-block:: python`` blocks of a section."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    section = text.split(f'\n{title}\n', 1)[1].split('\n=====', 1)[0]
    blocks = []
    for block in section.split('.. code-block:: python\n\n')[1:]:
        lines = []
        for line in block.splitlines():
            if line and not line.startswith('    '):
                break
            lines.append(line[4:])
        blocks.append('\n'.join(lines).strip() + '\n')
    return blocks


class TestReadmeHarnessExamples(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 360

    def test_docs_show_the_same_examples(self):
        self.assertEqual(examples(), examples(DOCS, 'From a test suite'))

    def run_example(self, code, *command):
        tmp = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(tmp, 'test_example.py'), 'w') as f:
            f.write(code)
        done = subprocess.run([sys.executable, '-m', *command], cwd=tmp,
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        return done.stdout + done.stderr

    def test_testtools_example(self):
        code = examples()[0]
        self.assertIn('testtools.TestCase', code)
        out = self.run_example(code, 'testtools.run', 'test_example')
        self.assertRegex(out, re.compile(r'Ran 1 test', re.M))

    def test_pytest_example(self):
        code = examples()[1]
        self.assertIn('@pytest.fixture', code)
        out = self.run_example(code, 'pytest', '-q', '-p',
                               'no:cacheprovider', 'test_example.py')
        self.assertIn('1 passed', out)
