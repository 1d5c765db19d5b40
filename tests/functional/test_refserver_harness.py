"""The fixture in both modes, over real sockets: control API, faults that
close the connection, kill and restart."""

import http.client
import json
import os
import time

import fixtures
import testtools

from novaclient_force.refserver import fixture
from tests import testcase


class HarnessTests:
    in_process = None

    def setUp(self):
        super().setUp()
        self.state = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'state.sqlite')
        self.cloud = self.useFixture(fixture.RefServer(
            in_process=self.in_process, state_file=self.state))

    def raw(self, method, path):
        conn = http.client.HTTPConnection('127.0.0.1', self.cloud.port,
                                          timeout=30)
        self.addCleanup(conn.close)
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.read()

    def test_fail_and_clock_without_sleeping(self):
        self.cloud.fail_migration(1)
        self.cloud.advance_clock(5)
        [row] = self.cloud.get('/os-migrations')['migrations']
        self.assertEqual('failed', row['status'])
        server = self.cloud.get(f"/servers/{row['instance_uuid']}")
        self.assertEqual('ACTIVE', server['server']['status'])

    def test_dropped_connection_gets_no_answer(self):
        self.cloud.inject_fault('^/compute/$', drop='before')
        self.assertRaises(http.client.RemoteDisconnected, self.raw, 'GET',
                          '/compute/')
        status, body = self.raw('GET', '/compute/')
        self.assertEqual(200, status)
        entries = self.cloud.requests()
        self.assertEqual([None, 200], [e['status'] for e in entries])
        self.assertEqual('drop before', entries[0]['fault'])

    def test_control_api_is_not_under_the_services(self):
        status, body = self.raw('GET', '/_refserver/clock')
        self.assertEqual(200, status)
        self.assertIn('time_scale', json.loads(body)['clock'])
        self.assertNotIn(b'_refserver', self.raw('GET', '/compute/')[1])

    def test_kill_and_start_keep_the_state(self):
        self.cloud.fail_migration(1, status='error')
        port = self.cloud.port
        self.cloud.kill()
        self.assertRaises(OSError, self.raw, 'GET', '/compute/')
        self.cloud.start()
        self.assertEqual(port, self.cloud.port)
        [row] = self.cloud.get('/os-migrations')['migrations']
        self.assertEqual('error', row['status'])


class TestInProcess(HarnessTests, testcase.TestCase):
    in_process = True

    def test_serves_from_a_thread_of_this_process(self):
        self.assertIsNone(self.cloud.process)
        self.assertTrue(os.path.exists(self.cloud.clouds_yaml))
        self.cloud.get('/servers')
        # The request line is logged just after the answer is written.
        deadline = time.monotonic() + 30
        while True:
            with open(self.cloud.log_path) as log:
                if 'GET /compute/v2.1/servers' in log.read():
                    break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)


    def test_bad_options_raise_not_exit(self):
        for kwargs in ({'time_scale': -1}, {'scenario': 'no-such'}):
            # fixtures wraps what _setUp raised; argparse's SystemExit
            # used to escape instead.
            error = self.assertRaises(
                testtools.MultipleExceptions, fixture.RefServer(
                    in_process=True, **kwargs).setUp)
            self.assertIsInstance(error.__context__, fixture.RefServerError)
            self.assertIn('did not start', str(error.__context__))


class TestSubprocess(HarnessTests, testcase.TestCase):
    in_process = False

    def test_runs_as_a_process(self):
        self.assertIsNone(self.cloud.process.poll())
