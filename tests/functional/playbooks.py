"""Running Ansible on the repository's collection, as a user would.

``ansible-playbook`` and the other programs are the ones installed beside
this Python (ansible-core is a test requirement). Each run is isolated:
its own ANSIBLE_HOME and temporary directories, the repository as the
only collection path, no ansible.cfg but the test's. Results come back
through the playbook itself: a task writes what a module returned
(``register``) as JSON into the test's directory, so the test reads the
module's own result, failed or not.
"""

import json
import os
import subprocess
import sys
import textwrap

import fixtures

REPOSITORY = os.path.normpath(
    os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTION = os.path.join(REPOSITORY, 'ansible_collections',
                          'novaclient_force', 'compute')
NAMESPACE = 'novaclient_force.compute'


def program(name):
    """An Ansible program installed beside this Python."""
    return os.path.join(os.path.dirname(sys.executable), name)


def module_names():
    """The collection's modules, from its plugins/modules directory."""
    folder = os.path.join(COLLECTION, 'plugins', 'modules')
    return sorted(name[:-3] for name in os.listdir(folder)
                  if name.endswith('.py') and not name.startswith('_'))


class Ansible(fixtures.Fixture):
    """A directory to run Ansible in, and the environment to run it with.

    ``cloud``: a fixture.RefServer whose clouds.yaml the modules read
    (through OS_CLIENT_CONFIG_FILE, as the README has users do).
    ``collections``: where Ansible finds collections (the repository by
    default, so the tests run the collection as it is in the checkout).
    """

    def __init__(self, cloud=None, collections=REPOSITORY):
        super().__init__()
        self.cloud = cloud
        self.collections = collections

    def _setUp(self):
        self.path = self.useFixture(fixtures.TempDir()).path
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(('OS_', 'ANSIBLE_'))}
        if self.cloud is not None:
            env['OS_CLIENT_CONFIG_FILE'] = self.cloud.clouds_yaml
        env.update({
            'ANSIBLE_HOME': os.path.join(self.path, 'home'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.path, 'tmp'),
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
            'ANSIBLE_LOCALHOST_WARNING': '0',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
            # cryptography's deprecation of DSA, shown by ansible-core's
            # ssh agent support on import: not ours to fix.
            'PYTHONWARNINGS': 'ignore:DSA is deprecated',
        })
        self.env = env

    def write(self, name, text):
        path = os.path.join(self.path, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path

    def run(self, *argv, timeout=120):
        """Run an Ansible program (``argv[0]``) in the directory."""
        return subprocess.run(
            [program(argv[0]), *argv[1:]], cwd=self.path, env=self.env,
            capture_output=True, text=True, timeout=timeout)

    def playbook(self, text, *options, timeout=120):
        """Run the playbook ``text``; the CompletedProcess."""
        self.write('playbook.yml', text)
        return self.run('ansible-playbook', *options, 'playbook.yml',
                        timeout=timeout)

    def result(self, name='result'):
        """What a playbook saved with ``save(name)``, or None."""
        path = os.path.join(self.path, f'{name}.json')
        if not os.path.exists(path):
            return None
        with open(path, encoding='utf-8') as f:
            return json.load(f)


def save(variable='result'):
    """A task that writes ``variable`` into ``<variable>.json`` beside
    the playbook (on the controller)."""
    return (f'- name: Save {variable}\n'
            f'  ansible.builtin.copy:\n'
            f'    content: "{{{{ {variable} | to_json }}}}"\n'
            f'    dest: "{{{{ playbook_dir }}}}/{variable}.json"\n'
            f'    mode: "0600"\n'
            f'  delegate_to: localhost\n'
            f'  check_mode: false\n')


ONE_TASK = '''\
- hosts: localhost
  gather_facts: false
  tasks:
    - block:
        - name: {title}
          {module}:
{options}
          register: result
      always:
{save}'''


def one_task(title, module, **options):
    """A play of one task of ``module`` (of this collection) with
    ``options``, whose result is saved whatever happens (see save)."""
    lines = '\n'.join(f'            {name}: {value}'
                      for name, value in options.items())
    return ONE_TASK.format(title=title, module=f'{NAMESPACE}.{module}',
                           options=lines,
                           save=textwrap.indent(save(), ' ' * 8))
