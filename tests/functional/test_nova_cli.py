"""The real ``nova`` program against the reference server.

Each test starts its own reference server (``stuck-migration``: ``busy-vm``
has a live migration that never converges without help) and runs ``nova``
as a subprocess over 127.0.0.1. python-novaclient reads no clouds.yaml
(``OS_CLOUD`` is an openstacksdk/OSC feature), so the credentials go in the
classic ``OS_*`` variables. What the cloud did is checked through its API
with a keystoneauth session, not through our client.
"""

import os
import re
import subprocess
import sys
import sysconfig

from novaclient_force.refserver import fixture
from tests import testcase

NOVA = os.path.join(sysconfig.get_path('scripts'), 'nova')
DEPRECATION = 'nova CLI is deprecated'

# nova with no extension loaded: upstream's own command set, for comparison.
UPSTREAM_NOVA = (
    'import sys\n'
    'from novaclient import client\n'
    'client._discover_via_entry_points = lambda: iter(())\n'
    'from novaclient.shell import main\n'
    'main(sys.argv[1:])\n')


def _help_entries(text):
    """``nova help``'s subcommand list as {name: description}."""
    entries, name = {}, None
    for line in text.splitlines():
        if line.startswith('    ') and not line.startswith('     '):
            name, _, description = line.strip().partition(' ')
            entries[name] = description.strip()
        elif name and line.startswith('     '):
            entries[name] += ' ' + line.strip()
        else:
            name = None
    return entries


class NovaCLITestCase(testcase.TestCase):

    scenario = 'stuck-migration'
    time_scale = 1.0
    max_microversion = None

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            scenario=self.scenario, time_scale=self.time_scale,
            max_microversion=self.max_microversion))

    def env(self, username='admin', project='admin'):
        env = self.cloud.env()
        del env['OS_CLOUD'], env['OS_CLIENT_CONFIG_FILE']
        env.update(OS_AUTH_URL=self.cloud.auth_url, OS_USERNAME=username,
                   OS_PASSWORD='secret', OS_PROJECT_NAME=project,
                   OS_USER_DOMAIN_ID='default',
                   OS_PROJECT_DOMAIN_ID='default',
                   OS_REGION_NAME='RegionOne')
        return env

    def nova(self, *argv, env=None, program=(NOVA,)):
        """(exit status, stdout, stderr lines other than the deprecation)."""
        proc = subprocess.run(
            list(program) + list(argv), env=env or self.env(),
            capture_output=True, text=True, timeout=120)
        err = [line for line in proc.stderr.splitlines()
               if not line.startswith(DEPRECATION)]
        return proc.returncode, proc.stdout, err

    def compute_get(self, path):
        return self.cloud.get(path, self.max_microversion or '2.80')

    def server_id(self, name):
        servers = self.compute_get(
            f'/servers?all_tenants=1&name=^{name}$')['servers']
        self.assertEqual(1, len(servers))
        return servers[0]['id']

    def running_migration(self, server_id):
        rows = self.compute_get(
            f'/servers/{server_id}/migrations')['migrations']
        self.assertEqual(1, len(rows))
        return rows[0]

    def force_complete_actions(self, server_id):
        actions = self.compute_get(
            f'/servers/{server_id}/os-instance-actions')['instanceActions']
        return [a for a in actions
                if a['action'] == 'live_migration_force_complete']


class TestForceComplete(NovaCLITestCase):

    def assert_forced(self, status, out, err, server_id):
        self.assertEqual((0, '', []), (status, out, err))
        self.assertEqual(1, len(self.force_complete_actions(server_id)))

    def test_by_id_like_upstream(self):
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        self.assert_forced(*self.nova(
            'live-migration-force-complete', server, str(migration['id'])),
            server_id=server)

    def test_by_name(self):
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        self.assert_forced(*self.nova(
            'live-migration-force-complete', 'busy-vm',
            str(migration['id'])), server_id=server)

    def test_auto_detected(self):
        server = self.server_id('busy-vm')
        self.assert_forced(*self.nova(
            'live-migration-force-complete', 'busy-vm'), server_id=server)

    def test_by_uuid(self):
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        self.assert_forced(*self.nova(
            'live-migration-force-complete', 'busy-vm', migration['uuid']),
            server_id=server)

    def test_no_migration_in_progress(self):
        status, out, err = self.nova(
            'live-migration-force-complete', 'idle-vm')
        self.assertEqual(1, status)
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith('ERROR (NoMigrationInProgress): '),
                        err[0])
        self.assertEqual([], self.force_complete_actions(
            self.server_id('idle-vm')))

    def test_bad_migration_refused_before_sending(self):
        server = self.server_id('busy-vm')
        status, out, err = self.nova(
            'live-migration-force-complete', 'busy-vm', 'not-an-id')
        self.assertEqual(2, status)
        self.assertEqual(["ERROR (InvalidArgument): Invalid migration "
                          "'not-an-id': give an integer migration ID or a "
                          "migration UUID"],
                         err)
        self.assertEqual([], self.force_complete_actions(server))

    def test_member_refused_with_explanation(self):
        server = self.server_id('busy-vm')
        status, out, err = self.nova(
            'live-migration-force-complete', 'busy-vm',
            env=self.env('demo', 'demo'))
        self.assertEqual(1, status)
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith('ERROR (PolicyRefused): '), err[0])
        self.assertIn('admin', err[0])
        self.assertIn('manager', err[0])
        self.assertEqual([], self.force_complete_actions(server))

    def test_project_manager_allowed(self):
        server = self.server_id('busy-vm')
        self.assert_forced(*self.nova(
            'live-migration-force-complete', 'busy-vm',
            env=self.env('demo-manager', 'demo')), server_id=server)


class TestWait(NovaCLITestCase):

    # Simulated seconds per real second: the forced copy takes seconds.
    time_scale = 20.0

    def test_wait_until_completed(self):
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        status, out, err = self.nova(
            'live-migration-force-complete', 'busy-vm', '--wait',
            '--timeout', '60')
        self.assertEqual((0, []), (status, err))
        table = dict(
            [cell.strip() for cell in line.strip('|').split('|')]
            for line in out.splitlines() if line.startswith('|'))
        self.assertEqual('completed', table['status'])
        self.assertEqual(str(migration['id']), table['migration'])
        self.assertEqual('busy-vm', table['server_name'])
        landed = self.compute_get(f'/servers/{server}')['server']
        self.assertEqual(migration['dest_compute'],
                         landed['OS-EXT-SRV-ATTR:host'])

    def test_project_manager_waits_until_completed(self):
        # A manager may not list /os-migrations without its project_id
        # (Nova's default policy), so the outcome is read with the project
        # filter: the project comes from nova's own auth plugin.
        status, out, err = self.nova(
            'live-migration-force-complete', 'busy-vm', '--wait',
            '--timeout', '60', env=self.env('demo-manager', 'demo'))
        self.assertEqual((0, []), (status, err))
        self.assertIn('completed', out)


class TestOldCloud(NovaCLITestCase):

    max_microversion = '2.21'

    def test_refused_clearly(self):
        server = self.server_id('busy-vm')
        status, out, err = self.nova(
            'live-migration-force-complete', 'busy-vm', '1')
        self.assertEqual(1, status)
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith('ERROR (CloudTooOld): '), err[0])
        self.assertIn('2.22', err[0])
        self.assertIn('at most 2.21', err[0])
        self.assertEqual([], self.force_complete_actions(server))


class TestCoexistence(NovaCLITestCase):
    """Installed beside upstream's command, nothing else changes."""

    def test_nova_list(self):
        status, out, err = self.nova('list', '--all-tenants')
        self.assertEqual((0, []), (status, err))
        self.assertIn('busy-vm', out)

    def test_nova_version(self):
        status, out, err = self.nova('--version')
        upstream = self.nova('--version', program=(sys.executable, '-c',
                                                   UPSTREAM_NOVA))
        self.assertEqual(0, status)
        self.assertEqual(upstream, (status, out, err))

    def test_nova_help_only_our_entry_differs(self):
        ours = self.nova('help')
        upstream = self.nova('help', program=(sys.executable, '-c',
                                              UPSTREAM_NOVA))
        self.assertEqual((0, []), (ours[0], ours[2]))
        self.assertEqual((0, []), (upstream[0], upstream[2]))
        ours, upstream = _help_entries(ours[1]), _help_entries(upstream[1])
        self.assertIn('live-migration-force-complete', ours)
        self.assertGreater(len(ours), 100)
        del ours['live-migration-force-complete']
        del upstream['live-migration-force-complete']
        self.assertEqual(upstream, ours)

    def test_command_help(self):
        status, out, err = self.nova('help', 'live-migration-force-complete')
        self.assertEqual((0, []), (status, err))
        self.assertIn('<server> [<migration>]', out)
        self.assertIn('--wait', out)

    def test_server_migration_show_goes_through_our_manager(self):
        # As README.rst says: it shows what upstream shows, also takes a
        # migration UUID, and words a refusal as our commands do.
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        upstream = (sys.executable, '-c', UPSTREAM_NOVA)
        for argv in ((server, str(migration['id'])),
                     (server, migration['uuid'])):
            status, out, err = self.nova('server-migration-show', *argv)
            self.assertEqual((0, []), (status, err))
            self.assertIn(migration['uuid'], out)
        status, out, err = self.nova('server-migration-show', server,
                                     migration['uuid'], program=upstream)
        self.assertEqual(1, status)
        self.assertTrue(err[0].startswith('ERROR (NotFound): '), err)
        status, out, err = self.nova('server-migration-show', server, '99')
        self.assertEqual(1, status)
        self.assertEqual(1, len(err), err)
        self.assertRegex(err[0], re.escape(
            'ERROR (MigrationNotFound): Server busy-vm has no in-progress '
            'live migration 99 (Nova: In-progress live migration 99 is not '
            f'found for server {server}) (HTTP 404) (Request-ID: ')
            + r'req-[0-9a-f-]{36}\)$')
        with open(os.path.join(os.path.dirname(__file__), '..', '..',
                               'README.rst'), encoding='utf-8') as f:
            readme = ' '.join(f.read().split())
        self.assertIn('``nova server-migration-show``', readme)
        self.assertIn('ERROR (MigrationNotFound)', readme)

    def test_server_migration_list_and_abort(self):
        server = self.server_id('busy-vm')
        migration = self.running_migration(server)
        # nova's own name lookup stays in the caller's project: use the ID.
        status, out, err = self.nova('server-migration-list', server)
        self.assertEqual((0, []), (status, err))
        self.assertIn(f"| {migration['id']} ", out)
        status, out, err = self.nova(
            'live-migration-abort', server, str(migration['id']))
        self.assertEqual((0, '', []), (status, out, err))
        actions = self.compute_get(
            f'/servers/{server}/os-instance-actions')['instanceActions']
        self.assertIn('live_migration_cancel',
                      [a['action'] for a in actions])
