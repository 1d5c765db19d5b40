"""The collection README's walk-through, run as written: the reference
server, the collection built and installed with ansible-galaxy, the
maintenance playbook on two hosts. The commands are read from the README
(and README.rst must show the same), so the two cannot drift.

The walk-through's first three lines make a virtual environment and
install the package and ansible-core into it; the test runs in the one
it already has, and checks that those lines are what it skips.
"""

import os
import re
import subprocess
import sys

from tests import testcase
from tests.functional import playbooks

COLLECTION_README = os.path.join(playbooks.COLLECTION, 'README.md')
PROJECT_README = os.path.join(playbooks.REPOSITORY, 'README.rst')
SETUP = [
    'python3 -m venv .venv-ansible',
    '. .venv-ansible/bin/activate',
    "pip install '.[refserver]' 'ansible-core>=2.15'",
]


def walk_through():
    """The shell lines of the README's 'Try it' section."""
    with open(COLLECTION_README, encoding='utf-8') as f:
        text = f.read()
    section = text.split('\n## Try it against the reference server\n')[1]
    block = re.search(r'```sh\n(.*?)```', section, re.S).group(1)
    return block.splitlines()


class TestReadmeWalkThrough(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 660

    def test_project_readme_shows_the_same_commands(self):
        with open(PROJECT_README, encoding='utf-8') as f:
            text = f.read()
        section = text.split('\nAnsible\n=======\n')[1].split('\n====')[0]
        indented = [line[4:] for line in section.splitlines()
                    if line.startswith('    ')]
        self.assertEqual(walk_through(), indented)

    def test_runs_as_written(self):
        lines = walk_through()
        self.assertEqual(SETUP, lines[:len(SETUP)])
        ansible = self.useFixture(playbooks.Ansible())
        # A checkout, as the walk-through expects to run in.
        os.symlink(os.path.join(playbooks.REPOSITORY, 'ansible_collections'),
                   os.path.join(ansible.path, 'ansible_collections'))
        env = dict(ansible.env)
        # Installed where ansible-galaxy installs by default (under
        # ANSIBLE_HOME), not found in the checkout.
        del env['ANSIBLE_COLLECTIONS_PATH']
        env['PATH'] = (os.path.dirname(sys.executable) + os.pathsep
                       + env.get('PATH', ''))
        # Whatever happens, the server started in the background ends.
        script = ('trap \'kill $(jobs -p) 2>/dev/null\' EXIT\n'
                  + '\n'.join(lines[len(SETUP):]) + '\n')
        run = subprocess.run(['bash', '-c', script], cwd=ansible.path,
                             env=env, capture_output=True, text=True,
                             timeout=600)
        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertIn('installed successfully', run.stdout)
        for host in ('compute-1', 'compute-2'):
            self.assertRegex(run.stdout, rf'\n{host} +: ok=3 +changed=\d+ '
                                         r'+unreachable=0 +failed=0 ')
