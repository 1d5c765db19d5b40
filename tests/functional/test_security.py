"""Access control and secrets, over loopback against the reference server.

Every compute request needs a valid token (keystonemiddleware's 401
otherwise); Nova's default policy decides per role and project, and a
``--policy-file`` changes it; passwords and tokens never show up in what
the CLIs print or in the server's log, ``--debug`` included; the server
listens on loopback unless told otherwise and refuses oversized bodies.
"""

import os
import sqlite3
import subprocess
import sys
import time

import fixtures
import requests
import yaml
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import test_nova_cli, test_osc_cli

COMPUTE_VERSION = {'OpenStack-API-Version': 'compute 2.80'}
BUSY_VM = 'busy-vm'
PASSWORD = 'Q-pw-7f3a9c-never-print'     # a scenario user's password
WRONG_PASSWORD = 'Wrong-pw-91x-never-print'
SCENARIO = f"""
name: security
hosts: [compute-1, compute-2, compute-3]
users:
  - name: ops
    password: {PASSWORD}
    roles:
      - {{role: admin, project: admin}}
servers:
  - {{name: busy-vm, host: compute-1, memory: 4GiB, dirty_rate: 2GB/s}}
migrations:
  - {{server: busy-vm, dest: compute-2, status: running}}
"""


class SecurityTest(testcase.TestCase):

    policy_file = None

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        scenario = os.path.join(self.tmp, 'security.yaml')
        with open(scenario, 'w') as f:
            f.write(SCENARIO)
        policy_file = None
        if self.policy_file is not None:
            policy_file = os.path.join(self.tmp, 'policy.yaml')
            with open(policy_file, 'w') as f:
                yaml.safe_dump(self.policy_file, f)
        self.state = os.path.join(self.tmp, 'state.sqlite')
        # Slow enough that a forced migration is still running afterwards.
        self.cloud = self.useFixture(fixture.RefServer(
            scenario=scenario, time_scale=0.01, policy_file=policy_file,
            state_file=self.state))
        self.admin = self.cloud.session()
        self.server = self.compute(self.admin, 'GET', '/servers?all_tenants=1'
                                   '&name=^busy-vm$').json()['servers'][0]
        self.server_id = self.server['id']

    def compute(self, session, method, path, **kwargs):
        headers = dict(COMPUTE_VERSION, **kwargs.pop('headers', {}))
        return session.request(self.cloud.compute_url + path, method,
                               headers=headers, raise_exc=False, **kwargs)

    def force(self, session, migration=1):
        return self.compute(
            session, 'POST',
            f'/servers/{self.server_id}/migrations/{migration:d}/action',
            json={'force_complete': None})

    def force_completes(self):
        actions = self.compute(
            self.admin, 'GET', f'/servers/{self.server_id}'
            '/os-instance-actions').json()['instanceActions']
        return [a for a in actions
                if a['action'] == 'live_migration_force_complete']


class TestTokens(SecurityTest):
    """No valid token, no compute: missing, malformed, expired, revoked."""

    def routes(self):
        server = f'/servers/{self.server_id}'
        project = '/' + self.admin.get_project_id()
        routes = [('GET', '/servers'), ('GET', '/servers/detail'),
                  ('GET', server), ('POST', server + '/action'),
                  ('GET', server + '/migrations'),
                  ('GET', server + '/migrations/1'),
                  ('DELETE', server + '/migrations/1'),
                  ('POST', server + '/migrations/1/action'),
                  ('GET', '/os-migrations'),
                  ('GET', server + '/os-instance-actions'),
                  ('GET', server + '/os-instance-actions/req-x'),
                  ('GET', '/no-such-thing'), ('PUT', '/servers')]
        return routes + [(m, project + p) for m, p in routes]

    def assert_all_refused(self, token):
        headers = dict(COMPUTE_VERSION, **{'Content-Type':
                                           'application/json'})
        if token is not None:
            headers['X-Auth-Token'] = token
        body = b'{"force_complete": null}'
        for method, path in self.routes():
            resp = requests.request(method, self.cloud.compute_url + path,
                                    headers=headers, data=body, timeout=30)
            self.assertEqual(401, resp.status_code, (method, path))
            self.assertEqual(401, resp.json()['error']['code'])
            self.assertIn('Keystone uri=',
                          resp.headers['WWW-Authenticate'])
        self.assertEqual([], self.force_completes())

    def new_token(self):
        return self.cloud.session().get_token()

    def test_missing(self):
        self.assert_all_refused(None)

    def test_malformed(self):
        for token in ('', 'x', 'gAAAAAB' + 'A' * 180, '\u00e9t\u00e9',
                      self.admin.get_token() + 'x'):
            self.assert_all_refused(token.encode('utf-8').decode('latin-1'))

    def test_expired(self):
        token = self.new_token()
        with sqlite3.connect(self.state) as db:
            db.execute('UPDATE tokens SET expires_at = ?',
                       (time.time() - 1,))
        self.assert_all_refused(token)

    def test_revoked(self):
        token = self.new_token()
        resp = requests.delete(self.cloud.auth_url + '/v3/auth/tokens',
                               headers={'X-Auth-Token': token,
                                        'X-Subject-Token': token},
                               timeout=30)
        self.assertEqual(204, resp.status_code)
        self.assert_all_refused(token)

    def test_version_documents_need_no_token(self):
        for path in ('/compute/', '/compute/v2.1/'):
            resp = requests.get(self.cloud.url + path, timeout=30)
            self.assertEqual(200, resp.status_code, path)


class TestDefaultPolicy(SecurityTest):
    """Nova 2025.2+ defaults: admin, or manager of the server's project."""

    def session(self, user, project):
        return self.cloud.session(username=user, project=project)

    def test_reader_and_member_refused(self):
        for user in ('demo-reader', 'demo'):
            resp = self.force(self.session(user, 'demo'))
            self.assertEqual(403, resp.status_code, user)
            self.assertIn("Policy doesn't allow", resp.text)
        self.assertEqual([], self.force_completes())

    def test_manager_of_another_project_gets_404(self):
        resp = self.force(self.session('alt-manager', 'alt_demo'))
        self.assertEqual(404, resp.status_code)
        self.assertEqual([], self.force_completes())

    def test_manager_and_admin_allowed(self):
        self.assertEqual(202, self.force(self.session('demo-manager',
                                                      'demo')).status_code)
        self.assertEqual(202, self.force(self.admin).status_code)
        self.assertEqual(2, len(self.force_completes()))

    def test_show_stays_admin_only(self):
        path = f'/servers/{self.server_id}/migrations/1'
        manager = self.session('demo-manager', 'demo')
        self.assertEqual(403, self.compute(manager, 'GET', path).status_code)
        self.assertEqual(200, self.compute(self.admin, 'GET',
                                           path).status_code)

    def test_cli_reports_refusal_in_one_line(self):
        done = subprocess.run(
            [test_osc_cli.openstack_program(), *test_osc_cli.COMMAND,
             BUSY_VM], env=self.cloud.env('refserver-reader'),
            capture_output=True, text=True, timeout=120)
        self.assertNotEqual(0, done.returncode)
        self.assertEqual(1, len(done.stderr.splitlines()), done.stderr)
        self.assertNotIn('Traceback', done.stderr)
        self.assertEqual([], self.force_completes())


class TestPolicyFile(SecurityTest):
    """A deployment that keeps force-complete admin-only (the pre-2025.2
    default) and lets readers list migrations."""

    policy_file = {
        'os_compute_api:servers:migrations:force_complete':
            'rule:context_is_admin',
        'os_compute_api:servers:migrations:index':
            'rule:project_reader_or_admin',
    }

    def test_manager_refused_admin_allowed(self):
        manager = self.cloud.session('demo-manager', 'demo')
        self.assertEqual(403, self.force(manager).status_code)
        self.assertEqual([], self.force_completes())
        self.assertEqual(202, self.force(self.admin).status_code)

    def test_reader_may_list(self):
        reader = self.cloud.session('demo-reader', 'demo')
        resp = self.compute(reader, 'GET',
                            f'/servers/{self.server_id}/migrations')
        self.assertEqual(200, resp.status_code)
        self.assertEqual(1, len(resp.json()['migrations']))


class TestSecretsStayHidden(SecurityTest):
    """Run both CLIs, --debug included, with a password, with a token and
    with a wrong password: neither secret appears in their output, in
    their errors or in the server's log."""

    def env(self, password=PASSWORD, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_AUTH_URL=self.cloud.auth_url, OS_USERNAME='ops',
                   OS_PASSWORD=password, OS_PROJECT_NAME='admin',
                   OS_USER_DOMAIN_ID='default',
                   OS_PROJECT_DOMAIN_ID='default',
                   OS_REGION_NAME='RegionOne', OS_IDENTITY_API_VERSION='3')
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run_cli(self, argv, env):
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=120)
        return done.returncode, done.stdout + done.stderr

    def openstack(self, *argv, **env):
        return self.run_cli([test_osc_cli.openstack_program(), *argv],
                            self.env(**env))

    def nova(self, *argv, **env):
        return self.run_cli([test_nova_cli.NOVA, *argv], self.env(**env))

    def assert_hidden(self, secrets, *results):
        with open(self.cloud.log_path, encoding='utf-8',
                  errors='replace') as log:
            server_log = log.read()
        for secret in secrets:
            self.assertNotIn(secret, server_log)
            for _, text in results:
                self.assertNotIn(secret, text)

    def test_password(self):
        results = [
            self.openstack('--debug', *test_osc_cli.COMMAND, BUSY_VM),
            self.nova('--debug', 'live-migration-force-complete', BUSY_VM),
            self.openstack(*test_osc_cli.COMMAND, BUSY_VM, '--wait',
                           '--timeout', '1'),
        ]
        self.assertEqual(0, results[0][0], results[0][1][-2000:])
        self.assertEqual(0, results[1][0], results[1][1][-2000:])
        # --debug shows the requests, with the token redacted.
        self.assertIn('X-Auth-Token: {SHA256}', results[0][1])
        self.assertIn('X-Auth-Token: {SHA256}', results[1][1])
        self.assert_hidden([PASSWORD], *results)

    def test_wrong_password(self):
        results = [
            self.openstack('--debug', *test_osc_cli.COMMAND, BUSY_VM,
                           password=WRONG_PASSWORD),
            self.openstack(*test_osc_cli.COMMAND, BUSY_VM,
                           password=WRONG_PASSWORD),
            self.nova('--debug', 'live-migration-force-complete', BUSY_VM,
                      password=WRONG_PASSWORD),
            self.nova('live-migration-force-complete', BUSY_VM,
                      password=WRONG_PASSWORD),
        ]
        for code, text in results:
            self.assertNotEqual(0, code)
            self.assertIn('401', text)
        self.assert_hidden([WRONG_PASSWORD], *results)
        self.assertEqual([], self.force_completes())

    def test_token(self):
        token = ks_session.Session(auth=v3.Password(
            auth_url=self.cloud.auth_url, username='ops', password=PASSWORD,
            project_name='admin', user_domain_id='default',
            project_domain_id='default')).get_token()
        # keystoneauth's admin_token plugin: the token goes straight to
        # the endpoint given, as with a token from a script or a vault.
        env = {'OS_AUTH_TYPE': 'admin_token', 'OS_TOKEN': token,
               'OS_ENDPOINT': self.cloud.compute_url, 'OS_AUTH_URL': None,
               'OS_PASSWORD': None, 'OS_USERNAME': None,
               'OS_USER_DOMAIN_ID': None, 'OS_PROJECT_NAME': None,
               'OS_PROJECT_DOMAIN_ID': None}
        results = [
            self.openstack('--debug', *test_osc_cli.COMMAND, self.server_id,
                           **env),
            self.openstack(*test_osc_cli.COMMAND, self.server_id, '--wait',
                           '--timeout', '1', **env),
            self.openstack(*test_osc_cli.COMMAND, self.server_id, '99',
                           **env),
        ]
        self.assertEqual(0, results[0][0], results[0][1][-2000:])
        self.assert_hidden([token], *results)


class TestListening(testcase.TestCase):

    def test_binds_loopback_by_default(self):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'novaclient_force.refserver', '--port',
             '0', '--scenario', 'empty'], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(proc.wait, 60)
        self.addCleanup(proc.terminate)
        line = proc.stdout.readline().strip()
        proc.stdout.close()
        self.assertRegex(line, r'^listening on http://127\.0\.0\.1:\d+$')
        port = int(line.rsplit(':', 1)[1])
        if not os.path.exists('/proc/net/tcp'):
            self.skipTest('no /proc/net/tcp to read the bound address from')
        with open('/proc/net/tcp') as f:
            rows = [row.split() for row in f.readlines()[1:]]
        # Listening sockets (state 0A) on our port, as HEXIP:HEXPORT.
        bound = {row[1].split(':')[0] for row in rows
                 if row[3] == '0A' and int(row[1].split(':')[1], 16) == port}
        self.assertEqual({'0100007F'}, bound)


class TestBodyLimit(SecurityTest):

    def test_oversized_bodies_refused(self):
        body = b'{"force_complete": null}' + b' ' * 200_000
        token = self.admin.get_token()
        for url in (f'{self.cloud.compute_url}/servers/{self.server_id}'
                    '/migrations/1/action',
                self.cloud.auth_url + '/v3/auth/tokens'):
            resp = requests.post(url, data=body, timeout=30, headers=dict(
                COMPUTE_VERSION, **{'X-Auth-Token': token,
                                    'Content-Type': 'application/json'}))
            self.assertEqual(413, resp.status_code, url)
        self.assertEqual([], self.force_completes())
        # The server is still there and serving.
        self.assertEqual(202, self.force(self.admin).status_code)
