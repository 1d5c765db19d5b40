"""Every kind of command our messages suggest, pasted into a shell.

A hint is only worth printing if it works for whoever got it: each test
makes the real ``openstack`` or ``nova`` print one (as admin, and as the
project manager Nova's default policy lets force-complete), takes the
command between the backticks exactly as printed, runs it with ``sh -c``
in the same environment and checks that it succeeds and shows the
migration.
"""

import os
import re
import subprocess
import sys

from tests.functional import test_nova_cli, test_osc_cli
from tests.functional.test_terminal import SCENARIO, SLOW

NAME = 'vm; touch /tmp/x'
HINT = re.compile(r'`([^`]+)`')


def run_hint(text, env):
    """Run the one command quoted in ``text``; (status, stdout, stderr)."""
    [command] = HINT.findall(text)
    env = dict(env, PATH=os.pathsep.join(
        [os.path.dirname(sys.executable), env.get('PATH', '')]))
    done = subprocess.run(['sh', '-c', command], env=env, text=True,
                          capture_output=True, timeout=120)
    return command, done.returncode, done.stdout, done.stderr


class HintChecks:

    def server_id(self, name):
        [server] = [s for s in self.cloud.get(
            '/servers?all_tenants=1')['servers'] if s['name'] == name]
        return server['id']

    def assertFollows(self, text, env, server_id):
        command, code, out, err = run_hint(text, env)
        self.assertIn(server_id, command)
        self.assertNotIn('touch', command)
        self.assertEqual(0, code, f'{command}: {err}')
        self.assertIn(server_id, out)
        # An admin sees the migration, anyone else the migrating server.
        self.assertRegex(out, 'running|MIGRATING')

    def lock_as_manager(self, server_id):
        session = self.cloud.session('demo-manager', 'demo')
        resp = session.post(
            self.cloud.compute_url + f'/servers/{server_id}/action',
            json={'lock': None}, raise_exc=False)
        self.assertEqual(202, resp.status_code, resp.text)

    def assertUnlocked(self, server_id):
        server = self.cloud.get(f'/servers/{server_id}')['server']
        self.assertFalse(server['locked'])


class TestOpenStackHints(HintChecks, test_osc_cli.OpenStackCLITest):

    scenario = SCENARIO
    time_scale = SLOW

    def follow_after_timeout(self, cloud):
        server = self.server_id(NAME)
        code, out, err = self.force(NAME, '--wait', '--timeout', '1',
                                    cloud=cloud)
        self.assertEqual(5, code, err)
        self.assertFollows(err, self.cloud.env(cloud), server)

    def test_follow_as_admin(self):
        self.follow_after_timeout('refserver-admin')

    def test_follow_as_manager(self):
        self.follow_after_timeout('refserver-manager')

    def test_unlock_as_the_manager_who_locked(self):
        server = self.server_id(NAME)
        self.lock_as_manager(server)
        code, out, err = self.force(NAME, cloud='refserver-manager')
        self.assertEqual(1, code, err)
        command, code, _, err = run_hint(
            err, self.cloud.env('refserver-manager'))
        self.assertEqual(f'openstack server unlock {server}', command)
        self.assertEqual(0, code, err)
        self.assertUnlocked(server)


class TestNovaHints(HintChecks, test_nova_cli.NovaCLITestCase):

    scenario = SCENARIO
    time_scale = SLOW

    def follow_after_timeout(self, username, project):
        server = self.server_id(NAME)
        env = self.env(username, project)
        code, out, err = self.nova('live-migration-force-complete', NAME,
                                   '--wait', '--timeout', '1', env=env)
        self.assertEqual(5, code, err)
        self.assertEqual(1, len(err), err)
        self.assertFollows(err[0], env, server)

    def test_follow_as_admin(self):
        self.follow_after_timeout('admin', 'admin')

    def test_follow_as_manager(self):
        self.follow_after_timeout('demo-manager', 'demo')

    def test_unlock_as_the_manager_who_locked(self):
        server = self.server_id(NAME)
        self.lock_as_manager(server)
        env = self.env('demo-manager', 'demo')
        code, out, err = self.nova('live-migration-force-complete', NAME,
                                   env=env)
        self.assertEqual(1, code, err)
        self.assertEqual(1, len(err), err)
        command, code, _, hint_err = run_hint(err[0], env)
        self.assertEqual(f'nova unlock {server}', command)
        self.assertEqual(0, code, hint_err)
        self.assertUnlocked(server)
