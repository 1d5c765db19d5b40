"""``openstack --debug`` and ``nova --debug`` show the SDK's negotiation
and wait readings, and no secret."""

import re
import subprocess

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import test_nova_cli, test_osc_cli

TOKEN_HEADER = re.compile(r'X-(?:Auth|Subject)-Token: ?"?([^\s"]+)')


class TestDebug(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(fixture.RefServer(
            'stuck-migration', time_scale=test_osc_cli.FAST))

    def assert_logged_without_secrets(self, err):
        self.assertIn('Compute API microversion 2.80 negotiated', err)
        readings = re.findall(r'Wait reading after [\d.]+s: status (\S+)',
                              err)
        self.assertTrue(readings, err[-3000:])
        self.assertTrue(readings[-1].startswith('completed'), readings)
        # The password is 'secret' (option names like client_secret aside).
        self.assertIsNone(re.search(r'(?<!\w)secret(?!\w)', err))
        token = self.cloud.session().get_token()
        self.assertNotIn(token, err)
        for value in TOKEN_HEADER.findall(err):
            self.assertTrue(value.startswith('{SHA256}'), value)

    def test_openstack(self):
        run = subprocess.run(
            [test_osc_cli.openstack_program(), '--debug',
             *test_osc_cli.COMMAND, 'busy-vm', '--wait'],
            env=self.cloud.env(), capture_output=True, text=True,
            timeout=120)
        self.assertEqual(0, run.returncode, run.stderr[-3000:])
        self.assert_logged_without_secrets(run.stderr)

    def test_nova(self):
        env = self.cloud.env()
        del env['OS_CLOUD'], env['OS_CLIENT_CONFIG_FILE']
        env.update(OS_AUTH_URL=self.cloud.auth_url, OS_USERNAME='admin',
                   OS_PASSWORD='secret', OS_PROJECT_NAME='admin',
                   OS_USER_DOMAIN_ID='default',
                   OS_PROJECT_DOMAIN_ID='default')
        run = subprocess.run(
            [test_nova_cli.NOVA, '--debug',
             'live-migration-force-complete', 'busy-vm', '--wait'],
            env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(0, run.returncode, run.stderr[-3000:])
        self.assert_logged_without_secrets(run.stderr)
