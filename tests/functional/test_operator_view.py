"""What operators see: the real ``openstack`` and ``nova`` programs
against the reference server, for the words and statuses both commands
print (suggestions, summaries, advice, exit statuses)."""

import json
import signal
import subprocess
import sys
import time

from tests.functional import test_nova_cli, test_osc_cli
from tests.functional import test_reliability_faults as faults


class TestUnknownHost(test_osc_cli.OpenStackCLITest):

    def test_a_typo_gets_the_one_close_name(self):
        self.assertOneLineError(
            self.force('--host', 'compute2'), 1,
            'No compute host is named compute2; did you mean compute-2?')

    def test_a_name_as_close_to_several_lists_the_hosts(self):
        self.assertOneLineError(
            self.force('--host', 'compute-9'), 1,
            'No compute host is named compute-9; known hosts: compute-1, '
            'compute-2, compute-3')


SDK_SCRIPT = '''
from novaclient_force import client, exceptions
try:
    client.Client().server_migrations.force_complete('busy-vm', wait=True)
except exceptions.ForceCompleteError as exc:
    raise SystemExit(f'{exc} (exit status {exc.exit_code})')
'''


class TestUnreachableIdentity(faults.FaultTest):
    """Nothing answers at the auth URL."""

    def test_a_script_gets_one_line(self):
        """keystoneauth warns of the failed discovery on every attempt;
        the SDK's error says it once."""
        base = f'http://127.0.0.1:{faults.free_port():d}'
        done = subprocess.run(
            [sys.executable, '-c', SDK_SCRIPT],
            env=self.openstack_env(base), capture_output=True, text=True,
            timeout=120)
        self.assertEqual(1, done.returncode)
        self.assertEqual(
            [f'Cannot reach {base} (Connection refused): check that the '
             f"service is up and that the URL's host and port are right "
             f'(exit status 6)'], done.stderr.splitlines())

    def test_nova_and_openstack_exit_alike_for_a_pin_too_low(self):
        """Nothing is sent: a bad choice, exit status 2 from both."""
        code, out, err = self.openstack(
            '--os-compute-api-version', '2.21', *test_osc_cli.COMMAND,
            'busy-vm')
        self.assertEqual((2, ''), (code, out), err)
        self.assertEqual(1, len(err), err)
        self.assertIn('2.21 was requested, but force-complete needs 2.22',
                      err[0])
        code, out, err = self.nova(
            '--os-compute-api-version', '2.21', faults.NOVA_COMMAND,
            'busy-vm')
        self.assertEqual((2, ''), (code, out), err)
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith('ERROR (VersionPinnedTooLow): '),
                        err)
        self.assertEqual([], self.force_completes('busy-vm'))


class TestQueuedMigration(faults.FaultTest):
    """One server whose live migration is queued behind a busy guest's
    (host-evacuation, limit 1: migration 1 of evac-vm-001 runs and never
    converges unaided; 2 idle, 3 active and 4 busy are queued)."""

    scenario = 'host-evacuation'
    servers = 4
    time_scale = 20.0

    def forced(self):
        return {m['id'] for m in self.cloud.migrations_truth()
                if m['force_complete_at']}

    def test_without_wait_it_names_what_it_waits_behind(self):
        for program, argv in ((self.openstack, test_osc_cli.COMMAND),
                              (self.nova, (faults.NOVA_COMMAND,))):
            code, out, err = program(*argv, 'evac-vm-004')
            self.assertEqual((1, ''), (code, out), err)
            self.assertEqual(1, len(err), err)
            self.assertIn(
                'is queued, not running yet: it waits behind migration 1 '
                'of server evac-vm-001, running on compute-1', err[0])
            self.assertIn('rerun with --wait', err[0])
        self.assertEqual(set(), self.forced())

    def wait_then_free_the_queue(self, argv, env):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(3)
        if proc.poll() is not None:
            self.fail(f'ended while queued: {proc.communicate()}')
        self.cloud.converge_migration(1)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def test_openstack_with_wait_forces_it_once_it_runs(self):
        code, out, err = self.wait_then_free_the_queue(
            [test_osc_cli.openstack_program(), *test_osc_cli.COMMAND,
             'evac-vm-004', '--wait', '-f', 'json'], self.openstack_env())
        self.assertEqual(0, code, err)
        [row] = json.loads(out)
        self.assertEqual(('completed', True, 4),
                         (row['Status'], row['Forced'], row['Migration']))
        self.assertEqual({4}, self.forced())

    def test_nova_with_wait_and_an_id_forces_it_once_it_runs(self):
        code, out, err = self.wait_then_free_the_queue(
            [test_nova_cli.NOVA, faults.NOVA_COMMAND, 'evac-vm-004', '4',
             '--wait'], self.nova_env())
        self.assertEqual(0, code, err)
        self.assertRegex(out, r'\| status +\| completed +\|')
        self.assertRegex(out, r'\| forced +\| yes +\|')
        self.assertEqual({4}, self.forced())


class TestAdviceUnderTheTable(faults.FaultTest):
    """A drain's table keeps its cells short; what they leave out comes
    once, under it, on stderr, then a summary line."""

    scenario = 'host-evacuation'
    servers = 3
    time_scale = 20.0

    def test_without_wait(self):
        code, out, err = self.openstack(*test_osc_cli.COMMAND, '--host',
                                        'compute-1')
        self.assertEqual(9, code, err)
        self.assertNotIn('rerun', out)
        self.assertNotIn('follow', out)
        self.assertEqual([
            'migration 1 (evac-vm-001): Nova accepted the request; the '
            'outcome is not known yet',
            'migrations 2, 3: queued: Nova runs max_concurrent_live_'
            'migrations live migrations per host at a time and this one '
            'has not started running; rerun with --wait to force each one '
            'as it runs',
            *[f'follow migration {n:d} (evac-vm-00{n:d}) with: openstack '
              f'server migration list --server '
              f'{self.server_id(f"evac-vm-00{n:d}")}' for n in (1, 2, 3)],
            '2 of 3 live migrations leaving compute-1 were not forced or '
            'did not complete: 1 accepted, 2 not forced; 1 forced, 2 left '
            'alone; pause not estimated'], err)

    def test_machine_formats_carry_it_in_the_rows(self):
        code, out, err = self.openstack(*test_osc_cli.COMMAND, '--host',
                                        'compute-1', '-f', 'json')
        self.assertEqual(9, code, err)
        self.assertEqual(1, len(err), err)
        self.assertIn('rerun with --wait', out)


class TestDiagnosisInWords(test_osc_cli.OpenStackCLITest):

    def test_value_format(self):
        code, out, err = self.force('busy-vm', '--wait', '--stalled-after',
                                    '5', '-f', 'value', '-c', 'Diagnosis')
        self.assertEqual(0, code, err)
        # "not converging" once the readings also prove it stuck, which
        # depends on where in the sawtooth the threshold was reached.
        self.assertRegex(out, r'^(stalled|not converging) for \d+s '
                              r'\(sending \d+ MiB/s, dirtying \d+ MiB/s\)\n$')


class TestHowLongItTook(test_osc_cli.OpenStackCLITest):
    """The time columns against the reference server's ground truth, in
    real time (a forced busy guest's copy ends ~4.4 s after the force)."""

    time_scale = 1.0

    def test_one_forced_migration(self):
        code, out, err = self.force('busy-vm', '--wait', '-f', 'json')
        self.assertEqual(0, code, err)
        [row] = json.loads(out)
        truth = self.cloud.migration_truth(row['Migration'])
        after_force = truth['finished_at'] - truth['force_complete_at']
        # Seen ended within about a second of its end, never before.
        self.assertGreaterEqual(row['Force To End'], after_force - 0.1)
        self.assertLess(row['Force To End'], after_force + 1.2)
        self.assertAlmostEqual(
            truth['finished_at'] - truth['created_at'],
            row['Migration Time'], delta=0.1)

    def test_nova_shows_the_same_columns(self):
        env = test_nova_cli.NovaCLITestCase.env(self)
        done = subprocess.run(
            [test_nova_cli.NOVA, faults.NOVA_COMMAND, 'busy-vm', '--wait'],
            env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertRegex(done.stdout, r'\| force_to_end +\| [0-9.]+s ')
        self.assertRegex(done.stdout, r'\| migration_time +\| [0-9.]+s ')
        self.assertNotIn('duration', done.stdout)


class TestInterruptedWhileForcing(faults.FaultTest):
    """Ctrl-C while Nova holds the answer to the force-complete."""

    def interrupted(self, argv, env):
        self.cloud.inject_fault(faults.ACTION, method='POST', delay=30)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        end = time.monotonic() + 60
        while self.cloud.faults():      # until the POST is being held
            self.assertIsNone(proc.poll())
            self.assertLess(time.monotonic(), end)
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        err = [line for line in err.splitlines()
               if not line.startswith(faults.DEPRECATION)]
        self.assertEqual(130, proc.returncode, (out, err))
        self.assertEqual(1, len(err), err)
        self.assertEqual(1, err[0].count('interrupted (SIGINT)'), err)
        self.assertIn('while the answer to the force-complete was '
                      'outstanding: Nova may have accepted it', err[0])
        return err[0]

    def test_openstack(self):
        line = self.interrupted(
            [test_osc_cli.openstack_program(), *test_osc_cli.COMMAND,
             'busy-vm', '1', '--wait'], self.openstack_env())
        self.assertTrue(line.startswith('interrupted (SIGINT) while'), line)

    def test_nova(self):
        line = self.interrupted(
            [test_nova_cli.NOVA, faults.NOVA_COMMAND, 'busy-vm', '1',
             '--wait'], self.nova_env())
        self.assertTrue(line.startswith(
            'ERROR (Interrupted): interrupted (SIGINT) while'), line)


class TestWhereItCompleted(test_nova_cli.NovaCLITestCase):
    """As try_it.sh runs nova: the demo project's manager live-migrates
    its server, then forces it. Nova hides hosts from a manager by
    default; the reason says so rather than leave a bare ``completed``
    beside an admin's ``completed on compute-2``."""

    time_scale = 20.0

    def test_as_the_projects_manager(self):
        # busy-vm's migration first, or busy-vm-2's would queue behind it.
        self.assertEqual(0, self.nova('live-migration-force-complete',
                                      'busy-vm', '--wait')[0])
        env = self.env('demo-manager', 'demo')
        status, out, err = self.nova('live-migration', 'busy-vm-2', env=env)
        self.assertEqual(0, status, err)
        status, out, err = self.nova('live-migration-force-complete',
                                     'busy-vm-2', '--wait', env=env)
        self.assertEqual((0, []), (status, err))
        self.assertRegex(out, r'\| reason +\| completed \(the destination '
                              r'host is not shown to you\) +\|')

    def test_as_admin(self):
        status, out, err = self.nova('live-migration-force-complete',
                                     'busy-vm', '--wait')
        self.assertEqual((0, []), (status, err))
        self.assertRegex(out, r'\| reason +\| completed on compute-2 +\|')
