"""The plugin module OSC imports on every run: names, cost, client."""

import argparse
import os
import subprocess
import sys

import fixtures

from novaclient_force.osc import plugin
from tests import testcase


class TestPluginModule(testcase.TestCase):

    def test_own_api_name_and_a_default_version(self):
        # OSC replaces the client-manager attribute named API_NAME, and
        # builds the command group from DEFAULT_API_VERSION's major part.
        self.assertNotIn(plugin.API_NAME, ('compute', 'identity', 'image',
                                           'network', 'volume'))
        major = plugin.DEFAULT_API_VERSION.split('.')[0]
        self.assertEqual('openstack.migration_force.v2',
                         f'openstack.{plugin.API_NAME}.v{major}')
        self.assertIn(plugin.DEFAULT_API_VERSION, plugin.API_VERSIONS)
        self.assertTrue(plugin.API_VERSION_OPTION.startswith('os_'))

    def test_adds_no_global_option(self):
        parser = argparse.ArgumentParser()
        parser.add_argument('--os-compute-api-version')
        before = list(parser._option_string_actions)
        self.assertIs(parser, plugin.build_option_parser(parser))
        self.assertEqual(before, list(parser._option_string_actions))

    def test_imports_nothing_but_itself(self):
        code = ('import sys; before = set(sys.modules); '
                'import novaclient_force.osc.plugin; '
                'print(" ".join(sorted(set(sys.modules) - before)))')
        loaded = subprocess.run(
            [sys.executable, '-c', code], capture_output=True, text=True,
            check=True).stdout.split()
        self.assertEqual(['novaclient_force', 'novaclient_force.osc',
                          'novaclient_force.osc.plugin'], loaded)

    def test_openstack_start_up_loads_no_command_code(self):
        # Every ``openstack`` command (here ``server list``, stopped by
        # the missing credentials before any request) imports every command
        # group's modules, ours included (see
        # novaclient_force/osc/v2/force_complete.py): of ours it may load
        # the plugin and the command class, never the SDK or the CLI core.
        code = ('import sys\n'
                'from openstackclient import shell\n'
                'print(shell.main(["server", "list"]))\n'
                'print(" ".join(sorted(m for m in sys.modules if m.split(".")'
                '[0] == "novaclient_force")))\n')
        home = self.useFixture(fixtures.TempDir()).path
        env = {key: value for key, value in os.environ.items()
               if not key.startswith('OS_')}
        env.update(HOME=home, XDG_CONFIG_HOME=home)
        status, loaded = subprocess.run(
            [sys.executable, '-c', code], capture_output=True, text=True,
            env=env, check=True).stdout.splitlines()
        self.assertEqual('1', status)
        self.assertEqual(['novaclient_force', 'novaclient_force.osc',
                          'novaclient_force.osc.plugin',
                          'novaclient_force.osc.v2',
                          'novaclient_force.osc.v2.force_complete',
                          'novaclient_force.osc.v2.host_drain'],
                         loaded.split())


class TestPinnedComputeVersion(testcase.TestCase):

    def test_not_set_means_negotiate(self):
        self.assertIsNone(plugin.pinned_compute_version({}))

    def test_major_only_or_latest_means_negotiate(self):
        for value in ('2', 'latest', '2.latest', ' 2 ', ''):
            self.assertIsNone(
                plugin.pinned_compute_version({'compute_api_version': value}),
                value)

    def test_a_microversion_is_honoured(self):
        for value in ('2.1', '2.22', '2.95'):
            self.assertEqual(value, plugin.pinned_compute_version(
                {'compute_api_version': value}))

    def test_numbers_from_yaml_are_text(self):
        # clouds.yaml ``compute_api_version: 2.30`` loads as a float.
        self.assertEqual('2.5', plugin.pinned_compute_version(
            {'compute_api_version': 2.5}))
