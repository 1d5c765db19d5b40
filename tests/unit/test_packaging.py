"""What ``pip install novaclient-force`` without extras must still give."""

import subprocess
import sys

from novaclient_force.refserver import cli
from tests import testcase


def block(names):
    """Code that blocks the named modules the way a missing install
    does."""
    return f'import sys\nfor name in {names!r}: sys.modules[name] = None\n'


class TestWithoutRefserverExtra(testcase.TestCase):

    def test_sdk_and_plugins_import_none_of_the_extra(self):
        code = ('import sys; '
                'import novaclient_force.client, novaclient_force.v2.shell, '
                'novaclient_force.osc.plugin, '
                'novaclient_force.osc.v2.force_complete; '
                'print(" ".join(sorted(sys.modules)))')
        loaded = set(subprocess.run(
            [sys.executable, '-c', code], capture_output=True, text=True,
            check=True).stdout.split())
        extra = set(cli.EXTRA_MODULES) | {'fixtures'}
        self.assertEqual(set(), loaded & extra)

    def test_refserver_says_what_to_install(self):
        for blocked in (('webob',), ('yaml',)):
            code = (block(blocked) +
                    'from novaclient_force.refserver import cli\n'
                    'sys.exit(cli.main(["--help"]))\n')
            run = subprocess.run([sys.executable, '-c', code],
                                 capture_output=True, text=True)
            self.assertEqual(1, run.returncode, run.stderr)
            self.assertEqual('', run.stdout)
            (line,) = run.stderr.splitlines()
            self.assertIn("pip install 'novaclient-force[refserver]'", line)
            self.assertIn(blocked[0], line)


class TestAnsibleIsForTestsOnly(testcase.TestCase):
    """ansible-core is a test requirement: the SDK, both commands and the
    CLI core the Ansible modules reuse work without it."""

    def test_sdk_and_clis_run_without_ansible(self):
        code = (block(('ansible', 'ansible_collections')) +
                'import novaclient_force.client, novaclient_force.v2.shell\n'
                'import novaclient_force.osc.v2.force_complete\n'
                'import novaclient_force.cli.verdict, '
                'novaclient_force.cli.running\n'
                'import novaclient_force.drain, novaclient_force.forcing\n'
                'print("ok")\n')
        run = subprocess.run([sys.executable, '-c', code],
                             capture_output=True, text=True)
        self.assertEqual((0, 'ok\n'), (run.returncode, run.stdout),
                         run.stderr)

