"""The real ``openstack`` program against the reference server.

Each test runs ``openstack`` as a subprocess with ``OS_CLOUD`` and the
clouds.yaml the reference server wrote, over 127.0.0.1 only, exactly as an
operator would. Clouds: ``refserver-admin`` (admin), ``refserver-demo``
(member of the servers' project), ``refserver-manager`` (its manager).
"""

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time

from novaclient_force import client, outcome
from novaclient_force.refserver import fixture
from tests import testcase

COMMAND = ('server', 'migration', 'force', 'complete')
# Simulated seconds per real second: a paused guest's remaining memory is
# copied within a few real seconds.
FAST = 60.0


def openstack_program():
    """The ``openstack`` next to this Python, else the one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), 'openstack')
    return here if os.path.exists(here) else shutil.which('openstack')


class OpenStackCLITest(testcase.TestCase):
    """Starts a reference server per test; runs ``openstack`` against it."""

    scenario = 'stuck-migration'
    servers = None
    max_microversion = None
    time_scale = FAST
    #: max_concurrent_live_migrations (None: the server's default, 1).
    limit = None

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            scenario=self.scenario, servers=self.servers,
            time_scale=self.time_scale,
            max_microversion=self.max_microversion,
            max_concurrent_live_migrations=self.limit))

    def openstack(self, *argv, cloud='refserver-admin', timeout=120):
        """Run ``openstack argv``; return (exit status, stdout, stderr)."""
        done = subprocess.run(
            [openstack_program(), *argv], env=self.cloud.env(cloud),
            capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def force(self, *argv, cloud='refserver-admin'):
        return self.openstack(*COMMAND, *argv, cloud=cloud)

    def migration_of(self, server):
        """The one live migration in progress on ``server`` (via the SDK)."""
        nc = client.Client(session=self.cloud.session())
        [migration] = [m for m in nc.server_migrations.list(server)]
        return migration

    def assertDrainSummary(self, code, err, host='compute-1'):
        """Success, and stderr only the drain's one-line summary."""
        self.assertEqual(0, code, err)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertRegex(err, f'^[0-9]+ live migrations? leaving {host}: ')

    def assertQuietSuccess(self, result):
        code, out, err = result
        self.assertEqual((0, '', ''), (code, out, err))

    def assertOneLineError(self, result, code, *words):
        got_code, out, err = result
        self.assertEqual(code, got_code, err)
        self.assertEqual('', out)
        self.assertEqual(1, len(err.splitlines()), err)
        for word in words:
            self.assertIn(word, err)
        self.assertNotIn('Traceback', err)


class TestSingleMigration(OpenStackCLITest):

    def test_by_name_and_id_like_upstream(self):
        migration = self.migration_of('busy-vm')
        self.assertQuietSuccess(self.force('busy-vm', str(migration.id)))

    def test_by_server_uuid(self):
        migration = self.migration_of('busy-vm')
        self.assertQuietSuccess(
            self.force(migration.server_uuid, str(migration.id)))

    def test_by_migration_uuid(self):
        migration = self.migration_of('busy-vm')
        self.assertQuietSuccess(self.force('busy-vm', migration.uuid))

    def test_migration_auto_detected(self):
        self.assertQuietSuccess(self.force('busy-vm'))

    def test_wait_until_completed(self):
        migration = self.migration_of('busy-vm')
        code, out, err = self.force('busy-vm', '--wait', '--timeout', '60',
                                    '-f', 'json')
        self.assertEqual((0, ''), (code, err))
        [row] = json.loads(out)
        self.assertEqual(outcome.COMPLETED, row['Status'])
        self.assertEqual(migration.id, row['Migration'])
        self.assertEqual(migration.server_uuid, row['Server'])
        self.assertEqual('busy-vm', row['Server Name'])
        self.assertGreater(row['Force To End'], 0)
        self.assertGreater(row['Migration Time'], row['Force To End'])

    def test_progress_is_drawn_only_on_a_terminal(self):
        # Real time, so the forced copy (3.4 s) outlasts the first poll
        # however slowly `openstack` starts.
        self.cloud.set_time_scale(1)
        controller, terminal = pty.openpty()
        self.addCleanup(os.close, controller)
        with os.fdopen(terminal, 'w') as stderr:
            done = subprocess.run(
                [openstack_program(), *COMMAND, 'busy-vm', '--wait',
                 '-f', 'value', '-c', 'Status'], env=self.cloud.env(),
                stdout=subprocess.PIPE, stderr=stderr, text=True,
                timeout=120)
        drawn = b''
        while select.select([controller], [], [], 0)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:         # Linux: EIO once the writer is gone
                break
            if not chunk:
                break
            drawn += chunk
        self.assertEqual((0, 'completed\n'), (done.returncode, done.stdout))
        self.assertIn(b'\r\x1b[Kmigration ', drawn)
        self.assertTrue(drawn.endswith(b'\r\x1b[K'), drawn)

    def test_no_migration_in_progress(self):
        self.assertOneLineError(self.force('busy-vm-2'), 1, 'busy-vm-2')

    def test_unknown_server(self):
        self.assertOneLineError(self.force('no-such-vm'), 1, 'no-such-vm')

    def test_bad_arguments_are_refused(self):
        self.assertOneLineError(self.force('busy-vm', 'first'), 2, 'first')
        self.assertOneLineError(
            self.force('busy-vm', '--host', 'compute-1'), 2, '--host')


class TestRoles(OpenStackCLITest):

    def test_member_is_refused_with_an_explanation(self):
        migration = self.migration_of('busy-vm')
        self.assertOneLineError(
            self.force('busy-vm', str(migration.id), cloud='refserver-demo'),
            1, 'os_compute_api:servers:migrations:force_complete', 'manager')

    def test_member_cannot_even_look_for_the_migration(self):
        self.assertOneLineError(
            self.force('busy-vm', cloud='refserver-demo'), 1,
            'os_compute_api:servers:migrations:index', 'manager')

    def test_manager_of_the_project_is_allowed(self):
        self.assertQuietSuccess(
            self.force('busy-vm', cloud='refserver-manager'))


class TestCloudTooOld(OpenStackCLITest):

    max_microversion = '2.21'

    def test_refused_naming_both_versions(self):
        self.assertOneLineError(self.force('busy-vm', '1'), 1,
                                '2.21', '2.22')

    def test_finding_the_migration_needs_2_23(self):
        self.assertOneLineError(self.force('busy-vm'), 1, '2.21', '2.23')


class TestHostDrain(OpenStackCLITest):

    scenario = 'host-maintenance'
    servers = 5

    def test_drain_with_wait(self):
        leaving = self.servers_on_compute_1()
        self.assertEqual(5, len(leaving))
        code, out, err = self.force('--host', 'compute-1', '--wait',
                                    '--timeout', '90', '--concurrency', '3',
                                    '-f', 'json')
        self.assertDrainSummary(code, err)
        rows = json.loads(out)
        self.assertEqual(sorted(leaving),
                         sorted(row['Server'] for row in rows))
        self.assertEqual({outcome.COMPLETED},
                         {row['Status'] for row in rows})
        self.assertEqual(5, len({row['Migration'] for row in rows}))
        # Completed: every guest now runs elsewhere.
        self.assertEqual([], self.servers_on_compute_1())

    def servers_on_compute_1(self):
        nc = client.Client(session=self.cloud.session())
        servers = nc.servers.list(search_opts={'all_tenants': True})
        return [s.id for s in servers
                if getattr(s, 'OS-EXT-SRV-ATTR:host') == 'compute-1']

    def test_drain_without_wait(self):
        code, out, err = self.force('--host', 'compute-1', '-f', 'value',
                                    '-c', 'Status')
        self.assertDrainSummary(code, err)
        self.assertEqual([outcome.ACCEPTED] * 5, out.split('\n')[:-1])

    def test_a_host_with_nothing_leaving(self):
        code, out, err = self.force('--host', 'compute-2', '-f', 'json')
        self.assertEqual((0, []), (code, json.loads(out)))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('No live migration', err)


class TestPostCopy(OpenStackCLITest):
    """A host that permits post-copy: force complete switches to it, and a
    second force complete with --wait follows it to the end instead of
    failing on Nova's 400."""

    scenario = os.path.join(os.path.dirname(__file__), 'scenarios',
                            'post-copy.yaml')
    # Nearly frozen until the --wait, so the post-copy pull cannot end
    # while a slow `openstack` process starts.
    time_scale = 0.01

    def test_wait_follows_a_migration_already_in_post_copy(self):
        self.assertQuietSuccess(self.force('big-vm', '1'))
        [row] = self.cloud.get('/os-migrations')['migrations']
        self.assertEqual('running (post-copy)', row['status'])
        code, out, err = self.force('big-vm', '1')
        self.assertEqual(1, code)
        self.assertIn('post-copy', err)
        # Time speeds up only once the --wait has sent its POST.
        seen = self.cloud.requests()[-1]['seq']
        waiting = subprocess.Popen(
            [openstack_program(), *COMMAND, 'big-vm', '1', '--wait',
             '-f', 'json'], env=self.cloud.env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(waiting.kill)
        deadline = time.monotonic() + 120
        while not any(r['method'] == 'POST' and r['path'].endswith(
                '/action') for r in self.cloud.requests(seen)):
            self.assertIsNone(waiting.poll())
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.cloud.set_time_scale(10)
        out, err = waiting.communicate(timeout=120)
        self.assertEqual((0, ''), (waiting.returncode, err))
        [result] = json.loads(out)
        self.assertEqual(outcome.COMPLETED, result['Status'])
        self.assertIn('already switched to post-copy', result['Reason'])
        [row] = self.cloud.get('/os-migrations')['migrations']
        self.assertEqual('completed', row['status'])


class TestCoexistence(OpenStackCLITest):
    """Other commands behave as if our plugin were not installed."""

    def test_server_list(self):
        code, out, err = self.openstack('server', 'list', '--all-projects',
                                        '-f', 'value', '-c', 'Name')
        self.assertEqual((0, ''), (code, err))
        self.assertIn('busy-vm', out.split())

    def test_server_migration_list(self):
        server = self.migration_of('busy-vm').server_uuid
        code, out, err = self.openstack(
            '--os-compute-api-version', '2.80', 'server', 'migration',
            'list', '--server', server, '-f', 'json')
        self.assertEqual((0, ''), (code, err))
        self.assertEqual(['running'], [m['Status'] for m in json.loads(out)])

    def test_help_lists_our_command_without_noise(self):
        code, out, err = self.openstack('--help')
        self.assertEqual((0, ''), (code, err))
        self.assertIn('server migration force complete', out)
        code, out, err = self.openstack('help', *COMMAND)
        self.assertEqual((0, ''), (code, err))
        self.assertIn('--host <host>', out)
