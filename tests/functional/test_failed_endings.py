"""A client's failure path against the reference server: the migration
being waited for fails (``failed``, then ``error``) while ``openstack
... --wait`` follows it, made to happen through the control API."""

import re
import subprocess
import time

from novaclient_force.refserver import fixture
from tests import testcase
from tests.functional import test_osc_cli

EXIT_FAILED = 3
ACTION = r'/migrations/1/action$'


class TestWaitSeesTheFailure(testcase.TestCase):

    def setUp(self):
        super().setUp()
        # Almost frozen: the forced copy would take days of real time, so
        # only the control API moves the migration on.
        self.cloud = self.useFixture(fixture.RefServer(in_process=True,
                                                       time_scale=1e-6))

    def wait_with_failure(self, status):
        proc = subprocess.Popen(
            [test_osc_cli.openstack_program(), *test_osc_cli.COMMAND,
             'busy-vm', '--wait', '--timeout', '120'],
            env=self.cloud.env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 60
        while not [r for r in self.cloud.requests()
                   if r['method'] == 'POST' and r['status'] == 202
                   and re.search(ACTION, r['path'])]:
            self.assertIsNone(proc.poll())
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.cloud.fail_migration(1, status=status)
        self.cloud.advance_clock(5)
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err

    def test_failed(self):
        code, out, err = self.wait_with_failure('failed')
        self.assertEqual(EXIT_FAILED, code, (out, err))
        self.assertIn('failed', out + err)
        self.assertNotIn('Traceback', err)
        self.assertEqual('failed', self.cloud.migration_truth(1)['status'])

    def test_error(self):
        code, out, err = self.wait_with_failure('error')
        self.assertEqual(EXIT_FAILED, code, (out, err))
        self.assertNotIn('Traceback', err)
        [server] = self.cloud.get('/servers?all_tenants=1&name=^busy-vm$')[
            'servers']
        self.assertEqual('ERROR', self.cloud.get(
            f"/servers/{server['id']}")['server']['status'])
