"""Once Nova has answered 202, nothing may say "refused" or "not sent".

Real processes throughout: the reference server is killed with SIGKILL
after the force-completes were accepted and restarted on the same port
with the same ``--state`` file (or not, until the client gives up); the
token the client holds really expires (``--token-expiration``); signals
are real signals sent to a real ``openstack`` or ``nova`` process.
"""

import os
import re
import signal
import subprocess
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.functional import test_nova_cli, test_osc_cli
from tests.functional import test_reliability_faults as faults

COMMAND = test_osc_cli.COMMAND
NOVA_COMMAND = faults.NOVA_COMMAND
EXIT_OK, EXIT_UNKNOWN = 0, 8
_ACCEPTED = re.compile(r'"POST /compute/v2\.1/servers/[^/]+/migrations/\d+/'
                       r'action HTTP/1\.1" 202 ')


class AcceptedTest(faults.FaultTest):

    state = True
    # A forced busy guest needs ~5.5 simulated s: ~11 real s at this scale.
    time_scale = 0.5

    def accepted(self):
        """How many force-completes the server has answered with 202."""
        with open(self.cloud.log_path, encoding='utf-8') as log:
            return len(_ACCEPTED.findall(log.read()))

    def start(self, argv, env):
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def until_accepted(self, proc, count=1, deadline=60):
        end = time.monotonic() + deadline
        while self.accepted() < count:
            if proc.poll() is not None:
                self.fail(f'exited {proc.returncode} before {count:d} '
                          f'202s: {proc.communicate()}')
            self.assertLess(time.monotonic(), end)
            time.sleep(0.1)

    def finish(self, proc, timeout=180):
        out, err = proc.communicate(timeout=timeout)
        err = [line for line in err.splitlines()
               if not line.startswith(faults.DEPRECATION)]
        return proc.returncode, out, err

    def stopped(self, proc, signum, accepted=1):
        self.until_accepted(proc, accepted)
        time.sleep(1.0)     # into the wait
        proc.send_signal(signum)
        return self.finish(proc, timeout=60)

    def openstack_argv(self, *argv):
        return [test_osc_cli.openstack_program(), *COMMAND, *argv]

    def nova_argv(self, *argv):
        return [test_nova_cli.NOVA, NOVA_COMMAND, *argv]

    def assertAcceptedButUnknown(self, result, *words):
        code, out, err = result
        self.assertEqual(EXIT_UNKNOWN, code, (out, err))
        text = out + '\n'.join(err)
        for word in ('accepted', 'could not be read') + words:
            self.assertIn(word, text)
        # Said of the request, these would deny Nova's 202.
        for word in ('refused the', 'Cannot reach', 'not sent',
                     'Traceback'):
            self.assertNotIn(word, text)


class TestOutageAfterTheAccept(AcceptedTest):
    """kill -9 once the force-complete got its 202; back 12 s later."""

    OUTAGE = 12.0

    def through_outage(self, proc, count=1):
        self.until_accepted(proc, count)
        self.cloud.kill()
        time.sleep(self.OUTAGE)
        self.cloud.start()
        return self.finish(proc)

    def assertCompleted(self, result):
        code, out, err = result
        self.assertEqual(EXIT_OK, code, (out, err))
        self.assertIn('completed', out)
        self.assertEqual('completed', self.migration_status(1))
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_openstack(self):
        self.assertCompleted(self.through_outage(self.start(
            self.openstack_argv('busy-vm', '--wait'),
            self.openstack_env())))

    def test_nova(self):
        self.assertCompleted(self.through_outage(self.start(
            self.nova_argv('busy-vm', '--wait'), self.nova_env())))

    def outlasting_the_timeout(self, argv, env):
        proc = self.start(argv, env)
        self.until_accepted(proc)
        self.cloud.kill()
        result = self.finish(proc, timeout=60)
        self.cloud.start()
        self.assertAcceptedButUnknown(result, 'unreachable',
                                      'Connection refused')
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_openstack_outage_outlasting_the_timeout_is_unknown(self):
        self.outlasting_the_timeout(
            self.openstack_argv('busy-vm', '--wait', '--timeout', '5'),
            self.openstack_env())

    def test_nova_outage_outlasting_the_timeout_is_unknown(self):
        self.outlasting_the_timeout(
            self.nova_argv('busy-vm', '--wait', '--timeout', '5'),
            self.nova_env())


class TestOutageDuringAHostDrain(AcceptedTest):

    scenario = 'host-maintenance'
    servers = 50

    def drain(self, *extra):
        return self.start(self.openstack_argv(
            '--host', 'compute-1', '--wait', '-f', 'value', '-c', 'Status',
            *extra), self.openstack_env())

    def test_every_row_survives_an_outage(self):
        proc = self.drain()
        self.until_accepted(proc, self.servers)
        self.cloud.kill()
        time.sleep(12.0)
        self.cloud.start()
        code, out, err = self.finish(proc)
        self.assertEqual(EXIT_OK, code, (out, err))
        self.assertEqual(['completed'] * self.servers, out.split())

    def test_a_wait_that_gives_up_still_prints_every_row(self):
        proc = self.drain('--timeout', '8')
        self.until_accepted(proc, self.servers)
        self.cloud.kill()
        code, out, err = self.finish(proc, timeout=60)
        self.assertEqual(EXIT_UNKNOWN, code, (out, err))
        self.assertEqual(self.servers, len(out.split()))
        self.assertEqual({'unknown'}, set(out.split()) - {'completed'})
        self.assertNotIn('Cannot reach', '\n'.join(err))


class TestTokenExpiresDuringTheWait(AcceptedTest):
    """``--os-auth-type token``: a token keystoneauth cannot renew once
    it has expired (the reference server's tokens live 15 s here)."""

    state = False
    # A forced busy guest needs ~4.5 simulated s: ~45 real s at this scale.
    time_scale = 0.1
    token_expiration = 15

    def token(self):
        return ks_session.Session(auth=v3.Password(
            auth_url=self.cloud.auth_url, username='admin',
            password='secret', project_name='admin',
            user_domain_id='default',
            project_domain_id='default')).get_token()

    def token_env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_AUTH_TYPE='token', OS_TOKEN=self.token(),
                   OS_AUTH_URL=self.cloud.auth_url,
                   OS_PROJECT_NAME='admin', OS_PROJECT_DOMAIN_ID='default',
                   OS_REGION_NAME='RegionOne')
        return env

    def test_openstack(self):
        result = self.finish(self.start(
            self.openstack_argv('busy-vm', '1', '--wait'), self.token_env()))
        self.assertAcceptedButUnknown(result, 'credentials expired')
        self.assertEqual(1, len(self.force_completes('busy-vm')))

    def test_nova(self):
        result = self.finish(self.start(
            self.nova_argv('busy-vm', '1', '--wait'), self.token_env()))
        self.assertAcceptedButUnknown(result, 'credentials expired')
        self.assertEqual(1, len(self.force_completes('busy-vm')))


class TestSignals(AcceptedTest):
    """A real SIGINT or SIGTERM sent to a real ``openstack``/``nova``."""

    state = False
    # A forced busy guest needs ~4.5 simulated s: ~45 real s at this scale.
    time_scale = 0.1

    def assertStopped(self, result, exit_code, name, *words):
        code, out, err = result
        self.assertEqual(exit_code, code, (out, err))
        text = out + '\n'.join(err)
        self.assertIn('interrupted', text.lower())
        for word in (name, 'follow it with') + words:
            self.assertIn(word, text)
        for word in ('refused the', 'not sent', 'Traceback'):
            self.assertNotIn(word, text)

    def test_openstack_one_server(self):
        for signum, code, name in ((signal.SIGINT, 130, 'SIGINT'),
                                   (signal.SIGTERM, 143, 'SIGTERM')):
            proc = self.start(self.openstack_argv(
                'busy-vm', '--wait', '-f', 'value', '-c', 'Status'),
                self.openstack_env())
            result = self.stopped(proc, signum, self.accepted() + 1)
            self.assertStopped(result, code, name, 'Nova accepted')
            self.assertEqual('accepted', result[1].strip())
        self.assertEqual('running', self.migration_status(1))

    def test_nova(self):
        for signum, code, name in ((signal.SIGINT, 130, 'SIGINT'),
                                   (signal.SIGTERM, 143, 'SIGTERM')):
            proc = self.start(self.nova_argv('busy-vm', '1', '--wait'),
                              self.nova_env())
            result = self.stopped(proc, signum, self.accepted() + 1)
            self.assertStopped(result, code, name, 'Nova accepted',
                               'ERROR (Interrupted)')
            self.assertRegex(result[1], r'\| status +\| accepted ')


class TestSignalsDuringAHostDrain(AcceptedTest):

    state = False
    scenario = 'host-maintenance'
    servers = 120
    time_scale = 0.1

    def rows(self, out):
        return [line.split(' ', 1) for line in out.splitlines()]

    def test_sigterm_while_waiting_prints_every_row(self):
        proc = self.start(self.openstack_argv(
            '--host', 'compute-1', '--wait', '-f', 'value', '-c', 'Status',
            '-c', 'Reason'), self.openstack_env())
        code, out, err = self.stopped(proc, signal.SIGTERM, self.servers)
        self.assertEqual(143, code, err)
        rows = self.rows(out)
        self.assertEqual(self.servers, len(rows))
        self.assertEqual({'accepted'}, {status for status, _ in rows})
        self.assertIn('follow it with', rows[0][1])
        self.assertIn('interrupted (SIGTERM)', '\n'.join(err))

    def test_sigint_during_the_posts_tells_each_rows_truth(self):
        proc = self.start(self.openstack_argv(
            '--host', 'compute-1', '--concurrency', '1', '-f', 'value',
            '-c', 'Status'), self.openstack_env())
        self.until_accepted(proc, 3)
        proc.send_signal(signal.SIGINT)
        code, out, err = self.finish(proc, timeout=60)
        self.assertEqual(130, code, err)
        statuses = [line.strip() for line in out.splitlines()]
        self.assertEqual(self.servers, len(statuses))
        # Exactly what Nova answered with 202 is reported accepted; an
        # answer still outstanding is reported as such, never as refused.
        accepted = statuses.count('accepted')
        outstanding = statuses.count('unknown')
        self.assertLessEqual(accepted, self.accepted())
        self.assertLessEqual(self.accepted(), accepted + outstanding)
        self.assertGreater(statuses.count('not forced'), 0)
        self.assertEqual(set(), set(statuses) - {'accepted', 'unknown',
                                                  'not forced'})
        self.assertIn('interrupted (SIGINT)', '\n'.join(err))


class TestAFailureSaysWhatFailed(AcceptedTest):
    """The reference server's harness makes the forced migration fail the
    ways Nova's do; the reason says where the server is and in what
    state, with Nova's own error text where the caller may read it."""

    state = False
    time_scale = 0.1

    def failed(self, argv, env, status):
        proc = self.start(argv, env)
        self.until_accepted(proc, self.accepted() + 1)
        self.cloud.fail_migration(1, status=status)
        return self.finish(proc, timeout=60)

    def assertFailed(self, result, *words):
        code, out, err = result
        self.assertEqual(3, code, (out, err))
        text = out + '\n'.join(err)
        for word in words:
            self.assertIn(word, text)
        self.assertNotIn('Traceback', text)

    def test_driver_error_leaves_the_server_in_error(self):
        self.assertFailed(self.failed(
            self.openstack_argv('busy-vm', '--wait', '-f', 'value', '-c',
                                'Reason'),
            self.openstack_env(), 'error'),
            'error: the server is in ERROR on compute-1, its source host, '
            'and needs an operator')

    def test_nova_libvirt_failure_rolls_the_server_back(self):
        self.assertFailed(self.failed(
            self.nova_argv('busy-vm', '--wait'), self.nova_env(), 'failed'),
            'the server is back on its source host compute-1, ACTIVE',
            'ERROR (MigrationFailed)')


class TestNovasOwnErrorText(AcceptedTest):
    """pre_live_migration fails on the destination (the harness): Nova's
    event details reach an admin, and a project manager is told that
    policy hides them."""

    state = False
    time_scale = 0.1

    def test_details_for_an_admin_and_why_not_for_a_manager(self):
        from novaclient_force import client

        [server] = self.cloud.get(
            '/servers?all_tenants=1&name=^busy-vm-2$')['servers']
        self.cloud.session().post(
            f"{self.cloud.compute_url}/servers/{server['id']}/action",
            json={'os-migrateLive': {'host': 'compute-2',
                                     'block_migration': 'auto'}},
            headers={'OpenStack-API-Version': 'compute 2.30'})
        query = f"/os-migrations?instance_uuid={server['id']}"
        while self.cloud.get(query)['migrations'][0]['status'] == (
                'accepted'):
            time.sleep(0.1)
        [row] = self.cloud.get(query)['migrations']
        self.cloud.fail_migration(row['id'], message='Unable to reach '
                                  'compute-2')
        reasons = {}
        for user, project in (('admin', 'admin'), ('demo-manager', 'demo')):
            nc = client.Client(session=self.cloud.session(user, project))
            result = nc.server_migrations.wait(server['id'], row['id'],
                                               timeout=120)
            self.assertEqual('failed', result.status)
            reasons[user] = result.reason
        self.assertEqual(
            'failed: the server is back on its source host compute-1, '
            'ACTIVE; compute_pre_live_migration failed: Unable to reach '
            'compute-2', reasons['admin'])
        self.assertIn('ACTIVE', reasons['demo-manager'])
        self.assertIn("compute_pre_live_migration failed (Nova's error "
                      "message is not shown to your role: policy "
                      "os_compute_api:os-instance-actions:events:details",
                      reasons['demo-manager'])
