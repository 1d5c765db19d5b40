"""``openstack compute host drain`` as an operator runs it: the real
``openstack`` program against the reference server, on a host with
running, paused and stopped servers (``scenarios/mixed-host.yaml``) at
Nova's default ``max_concurrent_live_migrations`` of 1, and at 4.

What the command printed is checked against what the server holds
afterwards: where each server is, whether the service is disabled, and
which requests were sent.
"""

import json
import os
import signal
import subprocess
import time

from tests.functional import test_osc_cli

SCENARIO = os.path.join(os.path.dirname(__file__), 'scenarios',
                        'mixed-host.yaml')
MOVING = ('busy-vm', 'idle-vm', 'paused-vm')
DRAIN = ('compute', 'host', 'drain')


class DrainTest(test_osc_cli.OpenStackCLITest):

    scenario = SCENARIO
    time_scale = 20.0

    def drain(self, *argv, cloud='refserver-admin'):
        code, out, err = self.openstack(*DRAIN, *argv, '-f', 'json',
                                        cloud=cloud)
        return code, json.loads(out) if out.strip() else [], err

    def on_host(self, host='compute-1'):
        """{name: host} of every server, as Nova shows them."""
        servers = self.cloud.get('/servers/detail?all_tenants=1',
                                 version='2.80')['servers']
        return {s['name']: s['OS-EXT-SRV-ATTR:host'] for s in servers}

    def service(self, host='compute-1'):
        [found] = [s for s in self.cloud.get('/os-services')['services']
                   if s['host'] == host]
        return found

    def by_name(self, rows):
        return {row['Name']: row for row in rows}


class TestDefaultLimit(DrainTest):

    def test_cold_migrate_stopped_empties_and_disables_the_host(self):
        code, rows, err = self.drain('compute-1', '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        self.assertIn('compute-1 is drained: moved 4', err)
        rows = self.by_name(rows)
        self.assertEqual({'completed'}, {r['Status'] for r in rows.values()})
        self.assertEqual('cold-migrate', rows['stopped-vm']['Action'])
        hosts = self.on_host()
        self.assertNotIn('compute-1', [hosts[name] for name in rows])
        for name, row in rows.items():
            self.assertEqual(hosts[name], row['To'])
        service = self.service()
        self.assertEqual('disabled', service['status'])
        self.assertTrue(service['disabled_reason'].startswith(
            'novaclient-force host drain, '), service)
        # The stopped server is stopped where it went, its resize confirmed.
        stopped = [s for s in self.cloud.get(
            '/servers/detail?all_tenants=1', version='2.80')['servers']
            if s['name'] == 'stopped-vm'][0]
        self.assertEqual('SHUTOFF', stopped['status'])
        # A second run finds nothing to do and says so.
        code, rows, err = self.drain('compute-1')
        self.assertEqual((0, []), (code, rows), err)
        self.assertIn('compute-1 is already drained', err)

    def test_a_stopped_server_left_is_named_and_the_exit_status_is_9(self):
        code, rows, err = self.drain('compute-1')
        self.assertEqual(9, code, err)
        self.assertIn('not drained: still on it: stopped-vm', err)
        rows = self.by_name(rows)
        self.assertEqual(('left', 'leave'), (rows['stopped-vm']['Status'],
                                             rows['stopped-vm']['Action']))
        self.assertIn("Cannot 'os-migrateLive'", rows['stopped-vm']['Reason'])
        self.assertEqual({'completed'},
                         {rows[name]['Status'] for name in MOVING})
        self.assertEqual('compute-1', self.on_host()['stopped-vm'])
        self.assertNotIn('Traceback', err)

    def test_one_request_waits_in_novas_queue_at_most(self):
        """The look-ahead: with one running at a time (the limit) a
        live migration is requested only once the one two before it has
        ended."""
        code, _, err = self.drain('compute-1', '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        live = sorted((m for m in self.cloud.migrations_truth()
                       if m['source_compute'] == 'compute-1'
                       and m['ground_truth'] is not None),
                      key=lambda m: m['created_at'])
        self.assertEqual(3, len(live))
        for before, after in zip(live, live[2:], strict=False):
            self.assertGreaterEqual(after['created_at'],
                                    before['finished_at'])

    def test_dry_run_sends_only_reads(self):
        before = self.on_host()
        self.cloud.clear_requests()
        code, rows, err = self.drain('compute-1', '--dry-run',
                                     '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        self.assertEqual({'planned'}, {r['Status'] for r in rows})
        self.assertEqual(['paused-vm', 'idle-vm', 'busy-vm', 'stopped-vm'],
                         [r['Name'] for r in rows])
        self.assertIn('nothing was changed', err)
        methods = {r['method'] for r in self.cloud.requests()
                   if '/compute/' in r['path']}
        self.assertEqual({'GET'}, methods)
        self.assertEqual(before, self.on_host())
        self.assertEqual('enabled', self.service()['status'])

    def test_an_unknown_host_disables_nothing(self):
        self.cloud.clear_requests()
        result = self.openstack(*DRAIN, 'compute1')
        self.assertOneLineError(result, 1, 'No compute host is named '
                                'compute1', 'did you mean compute-1?')
        self.assertEqual({'enabled'}, {s['status'] for s in self.cloud.get(
            '/os-services')['services']})
        self.assertEqual({'GET'}, {r['method'] for r in self.cloud.requests()
                                   if '/compute/' in r['path']})

    def test_a_project_manager_is_refused_before_anything_changes(self):
        result = self.openstack(*DRAIN, 'compute-1',
                                cloud='refserver-manager')
        self.assertOneLineError(result, 1, 'admin operation',
                                'os_compute_api:os-services:update')
        self.assertEqual('enabled', self.service()['status'])

    def test_bad_arguments_send_nothing(self):
        for argv in (('--deadline', 'soon'), ('--no-force', '--deadline',
                                              '5'),
                     ('--keep-enabled', '--disable-reason', 'x'),
                     ('--no-force', '--auto')):
            code, out, err = self.openstack(*DRAIN, 'compute-1', *argv)
            self.assertEqual(2, code, err)
            self.assertNotIn('Traceback', err)
        self.assertEqual('enabled', self.service()['status'])

    def test_keep_enabled_and_a_reason(self):
        code, _, err = self.drain('compute-1', '--keep-enabled',
                                  '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        self.assertEqual('enabled', self.service()['status'])
        self.cloud.reset()
        code, _, err = self.drain('compute-1', '--disable-reason',
                                  'disk swap', '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        self.assertEqual('disk swap', self.service()['disabled_reason'])

    def test_a_completed_migration_that_left_the_host_unchanged(self):
        """bigstack-oss/cubecos#1440: reported, never waited on."""
        ids = {s['name']: s['id'] for s in self.cloud.get(
            '/servers?all_tenants=1')['servers']}
        self.cloud.keep_host(ids['idle-vm'])
        started = time.monotonic()
        code, rows, err = self.drain('compute-1', '--cold-migrate-stopped')
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(9, code, err)
        row = self.by_name(rows)['idle-vm']
        self.assertEqual('left', row['Status'])
        self.assertIn('completed, but Nova still shows the server on '
                      'compute-1', row['Reason'])
        self.assertIn('still on it: idle-vm', err)
        self.assertEqual('compute-1', self.on_host()['idle-vm'])

    def test_a_deadline_forces_what_would_overrun_it(self):
        # A stall threshold no migration reaches: only the deadline forces.
        code, rows, err = self.drain('compute-1', '--stalled-after', '3600',
                                     '--deadline', '30',
                                     '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        busy = self.by_name(rows)['busy-vm']
        self.assertTrue(busy['Forced'], busy)
        self.assertIn('--deadline 30', busy['Reason'])
        self.assertFalse(self.by_name(rows)['idle-vm']['Forced'])


class TestLimit4(DrainTest):

    limit = 4

    def test_mixed_states_at_limit_4(self):
        code, rows, err = self.drain('compute-1', '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        self.assertEqual(4, len(rows))
        hosts = self.on_host()
        self.assertNotIn('compute-1', [hosts[row['Name']] for row in rows])


class TestInterrupted(DrainTest):
    """Ctrl-C mid-drain: the report is written, the requested migrations
    go on in Nova, and each row says how to follow it."""

    time_scale = 1.0

    def test_sigint_mid_drain(self):
        self.interrupt(signal.SIGINT, 130)

    def test_sigterm_mid_drain(self):
        self.interrupt(signal.SIGTERM, 143)

    def interrupt(self, signum, status):
        name = signal.Signals(signum).name
        argv = [test_osc_cli.openstack_program(), *DRAIN, 'compute-1',
                '--no-force', '--order', 'listed', '-f', 'json']
        proc = subprocess.Popen(argv, env=self.cloud.env('refserver-admin'),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        deadline = time.monotonic() + 60
        while not any(m['status'] == 'running'
                      for m in self.cloud.migrations_truth()):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(status, proc.returncode, err)
        self.assertIn(f'interrupted ({name})', err)
        self.assertIn('go on in Nova', err)
        self.assertNotIn('Traceback', err)
        rows = json.loads(out)
        requested = [r for r in rows if 'openstack server migration list'
                     in r['Reason']]
        self.assertTrue(requested, rows)
        for row in requested:
            self.assertIn(f"`openstack server migration list --server "
                          f"{row['ID']}`", err)
        # Nova still runs them: the drain stopped watching, nothing else.
        truth = self.cloud.migrations_truth()
        self.assertTrue(any(m['status'] in ('running', 'queued',
                                            'preparing', 'completed')
                            for m in truth))
        self.assertIn(f'interrupted ({name}) before it was requested',
                      ' '.join(r['Reason'] for r in rows))


class TestDeadlineNotMetForAll(DrainTest):
    """A deadline shorter than the drain can take: every migration that
    would overrun it is forced, each row says why, and the drain goes on
    to empty the host."""

    time_scale = 2.0

    def test_each_forced_row_names_the_deadline(self):
        code, rows, err = self.drain('compute-1', '--deadline', '1',
                                     '--stalled-after', '3600',
                                     '--cold-migrate-stopped')
        self.assertEqual(0, code, err)
        rows = self.by_name(rows)
        self.assertTrue(rows['busy-vm']['Forced'], rows['busy-vm'])
        forced = [row for row in rows.values() if row['Forced']]
        for row in forced:
            self.assertIn('--deadline 1:', row['Reason'])
        # The paused guest is never forced: Nova forces ACTIVE servers only.
        self.assertFalse(rows['paused-vm']['Forced'])
        self.assertNotIn('compute-1', [self.on_host()[name] for name in rows])


class TestAuto(DrainTest):
    """host-evacuation's workloads cycle busy (never converges), idle and
    active (both converge on their own): --auto forces the busy ones and
    leaves the others alone."""

    scenario = 'host-evacuation'
    servers = 6

    def assert_only_the_busy_ones_forced(self, *options):
        code, rows, err = self.drain('compute-1', *options)
        self.assertEqual(0, code, err)
        forced = sorted(row['Name'] for row in rows if row['Forced'])
        self.assertEqual(['evac-vm-001', 'evac-vm-004'], forced, rows)
        self.assertEqual(6, len(rows))
        self.assertEqual({'completed'}, {row['Status'] for row in rows})
        self.assertEqual('disabled', self.service()['status'])
        for row in rows:
            if row['Forced']:
                self.assertIn('(--auto)', row['Reason'])

    def test_forces_only_what_will_not_converge(self):
        self.assert_only_the_busy_ones_forced('--auto')

    def test_is_the_default(self):
        self.assert_only_the_busy_ones_forced()

    def test_is_the_sdks_default_too(self):
        from novaclient_force import client

        nc = client.Client(session=self.cloud.session())
        result = nc.server_migrations.drain_host('compute-1')
        self.assertEqual(0, result.exit_code)
        self.assertEqual(['evac-vm-001', 'evac-vm-004'], sorted(
            row.server_name for row in result if row.forced))


class TestSDK(DrainTest):
    """``drain_host`` as a script (or the Ansible module) calls it."""

    def test_one_outcome_per_server(self):
        from novaclient_force import client, exceptions

        nc = client.Client(session=self.cloud.session())
        plan = nc.server_migrations.drain_host('compute-1', dry_run=True)
        self.assertEqual((True, 9), (plan.dry_run, plan.exit_code))
        self.assertEqual('enabled', self.service()['status'])
        result = nc.server_migrations.drain_host(
            'compute-1', cold_migrate_stopped=True,
            disable_reason='maintenance')
        self.assertEqual((True, True, 0, []),
                         (result.empty, result.disabled, result.exit_code,
                          result.still_there))
        hosts = self.on_host()
        self.assertEqual(
            {name: hosts[name] for name in (*MOVING, 'stopped-vm')},
            {row.server_name: row.destination for row in result})
        self.assertEqual({'compute-1'}, {row.source for row in result})
        self.assertEqual('maintenance', self.service()['disabled_reason'])
        error = self.assertRaises(
            exceptions.UnknownHost, nc.server_migrations.drain_host,
            'compute-9')
        self.assertIn('compute-9', str(error))
        self.assertRaises(exceptions.InvalidArgument,
                          nc.server_migrations.drain_host, 'compute-1',
                          order='random')
