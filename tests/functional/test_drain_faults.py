"""Drains (and single servers) under the reference server's faults.

A force-complete whose answer is lost, a 5xx on the running migration's
POST, a slow index: the real ``openstack`` and ``nova`` programs must
neither deny a request Nova may have applied nor wait without bound, and
what they print is checked against the server's ground truth.
"""

import json
import re
import time

from novaclient_force import outcome
from tests.functional import test_osc_cli
from tests.functional import test_reliability_faults as faults

COMMAND = faults.COMMAND
NOVA_COMMAND = faults.NOVA_COMMAND
ACTION = faults.ACTION
EXIT_OK, EXIT_USAGE, EXIT_UNKNOWN = 0, 2, 8
# What a lost answer must never be called: a refusal, nothing sent, or a
# timeout when the connection was closed.
DENIALS = ('refused', 'Cannot reach', 'not sent', 'nothing was accepted',
           'in time', 'timed out', 'Traceback')


class DrainFaultTest(faults.FaultTest):
    """host-evacuation: three servers leaving compute-1 under Nova's
    default max_concurrent_live_migrations of 1 (busy, idle, active)."""

    scenario = 'host-evacuation'
    servers = 3
    time_scale = 20.0

    def drain(self, *argv, timeout=120):
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', *argv, '-f', 'json',
            timeout=timeout)
        return code, json.loads(out) if out else [], err

    def truth(self):
        """{migration ID: ground truth} of compute-1's migrations."""
        return {m['id']: m for m in self.cloud.migrations_truth()
                if m['source_compute'] == 'compute-1'}

    def posts(self):
        return [r for r in self.cloud.requests()
                if r['method'] == 'POST' and re.search(ACTION, r['path'])]

    def assertTruthful(self, rows):
        """Every row's Forced is what the server saw."""
        truth = self.truth()
        for row in rows:
            if row['Forced']:
                self.assertIsNotNone(
                    truth[row['Migration']]['force_complete_at'], row)


class TestLostAnswer(DrainFaultTest):
    """The force-complete is applied, then the connection is closed with
    no answer: Nova may have accepted it, and the migration goes on."""

    def setUp(self):
        super().setUp()
        self.cloud.inject_fault(ACTION, method='POST', drop='after')

    def test_drain_follows_it_to_its_end(self):
        code, rows, err = self.drain('--wait', '--timeout', '60')
        self.assertEqual(EXIT_OK, code, (rows, err))
        self.assertEqual([1, 2, 3], [r['Migration'] for r in rows])
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        self.assertEqual({'completed'},
                         {m['status'] for m in self.truth().values()})
        self.assertIsNotNone(self.truth()[1]['force_complete_at'])
        self.assertTruthful(rows)
        if not rows[0]['Forced']:
            self.assertIn('may have been accepted', rows[0]['Reason'])
        for word in DENIALS:
            self.assertNotIn(word, json.dumps(rows) + '\n'.join(err))

    def assertFollowed(self, result):
        code, out, err = result
        text = out + '\n'.join(err)
        self.assertEqual(EXIT_OK, code, text)
        self.assertIn('completed', out)
        self.assertIn('may have been accepted', text)
        for word in DENIALS:
            self.assertNotIn(word, text)
        self.assertEqual(1, len(self.force_completes('evac-vm-001')))
        self.assertEqual('completed', self.truth()[1]['status'])

    def test_one_server_openstack(self):
        self.assertFollowed(self.openstack(
            *COMMAND, self.server_id('evac-vm-001'), '--wait', '-f',
            'value', '-c', 'Status', '-c', 'Reason'))

    def test_one_server_nova(self):
        self.assertFollowed(self.nova(
            NOVA_COMMAND, self.server_id('evac-vm-001'), '1', '--wait'))


class TestTransientFailureOfTheRunningOne(DrainFaultTest):
    """One 5xx, or one dropped connection before Nova applied it, on the
    running migration's POST: under a limit of 1 nothing behind it moves
    until it is forced again."""

    def drained(self, **fault):
        self.cloud.inject_fault(ACTION, method='POST', **fault)
        start = time.monotonic()
        code, rows, err = self.drain('--wait', '--timeout', '30')
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(EXIT_OK, code, (rows, err))
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        self.assertEqual(3, len(rows))
        self.assertTruthful(rows)
        self.assertEqual({'completed'},
                         {m['status'] for m in self.truth().values()})
        return rows

    def test_a_500_is_not_final(self):
        self.drained(status=500)
        self.assertEqual(500, self.posts()[0]['status'])
        self.assertEqual(202, self.posts()[1]['status'])

    def test_a_connection_dropped_before_it_was_applied(self):
        self.drained(drop='before')


class TestTimeoutBoundsEverything(faults.FaultTest):
    """A 45 s migration index: --timeout 10 still ends the command in
    about 10 s, and nothing is sent after it."""

    def test_finding_the_migration(self):
        self.cloud.inject_fault(r'/servers/[^/]+/migrations$', method='GET',
                                delay=45, times=3)
        start = time.monotonic()
        code, out, err = self.openstack(*COMMAND, 'busy-vm', '--wait',
                                        '--timeout', '10')
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(5, code, (out, err))
        self.assertIn('the time ran out while finding it', '\n'.join(err))
        self.assertEqual([], [r for r in self.cloud.requests()
                              if r['method'] == 'POST'
                              and re.search(ACTION, r['path'])])


class TestWaitNeeds223(test_osc_cli.OpenStackCLITest):
    """--wait reads live migrations (2.23): refused before the
    force-complete, not after it."""

    def posts(self):
        return [r for r in self.cloud.requests()
                if r['method'] == 'POST' and re.search(ACTION, r['path'])]

    def test_a_pin_too_low_is_a_usage_error(self):
        for argv in (('busy-vm', '--wait'), ('--host', 'compute-1')):
            code, out, err = self.openstack(
                '--os-compute-api-version', '2.22', *COMMAND, *argv)
            self.assertEqual((EXIT_USAGE, ''), (code, out), err)
            self.assertIn('needs 2.23', err)
        self.assertEqual([], self.posts())
        self.assertEqual([], [r for r in self.cloud.requests()
                              if r['path'].startswith('/compute/v2.1/')])


class TestWaitOnACloudAt222(TestWaitNeeds223):

    max_microversion = '2.22'

    def test_refused_before_the_post(self):
        for argv in (('busy-vm', '1', '--wait'),
                     (self.server_id(), '1', '--wait'),
                     ('--host', 'compute-1', '--wait')):
            code, out, err = self.openstack(*COMMAND, *argv)
            self.assertEqual((1, ''), (code, out), err)
            self.assertIn('needs compute API 2.23', err)
            self.assertNotIn('2.80', err)
        self.assertEqual([], self.posts())

    def server_id(self):
        return self.cloud.get('/servers?all_tenants=1&name=^busy-vm$',
                              version='2.22')['servers'][0]['id']
