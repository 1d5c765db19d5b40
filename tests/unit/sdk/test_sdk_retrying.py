"""The one retry policy, and what a wait makes of an outage after a 202."""

import requests

from novaclient_force import outcome, progress, retrying
from tests import testcase
from tests.unit.sdk import failing_connections
from tests.unit.sdk import sdk_fakes as f

INDEX = f.COMPUTE + f'/servers/{f.SERVER}/migrations'
ACTION = f.COMPUTE + f'/servers/{f.SERVER}/migrations/7/action'
OS_MIGRATIONS = f.COMPUTE + '/os-migrations'
REFUSED = {'exc': failing_connections.refused()}
RUNNING = {'json': {'migrations': [f.migration_row()]}}
GONE = {'json': {'migrations': []}}


class TestBackoff(testcase.TestCase):

    def delays(self, window, deadline=None, cap=retrying.MAX_DELAY):
        clock = f.FakeClock()
        backoff = retrying.Backoff(clock, window, deadline, cap=cap)
        while (delay := backoff.next_delay()) is not None:
            clock.sleep(delay)
        return clock.sleeps, backoff.failing_for

    def test_a_request_rides_out_seven_and_a_half_seconds(self):
        self.assertEqual(([0.5, 1.0, 2.0, 4.0], 7.5),
                         self.delays(retrying.REQUEST_WINDOW))

    def test_an_outage_window_doubles_up_to_the_cap(self):
        sleeps, lasted = self.delays(30)
        self.assertEqual([0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0], sleeps)
        self.assertEqual(27.5, lasted)

    def test_a_deadline_gets_a_last_attempt_at_the_deadline(self):
        # Clock starts at 100: deadline 3 s after the first failure.
        self.assertEqual(([0.5, 1.0, 1.5], 3.0), self.delays(60, 103.0))

    def test_past_the_deadline_nothing_is_retried(self):
        self.assertEqual(([], 0.0), self.delays(60, 99.0))


class WaitCase(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.requests.post(ACTION, status_code=202)
        self.events = []

    def force(self, timeout=None):
        return self.manager().force_complete(
            f.SERVER, 7, wait=True, timeout=timeout,
            progress=self.events.append)

    def completed(self):
        self.requests.get(OS_MIGRATIONS, json={'migrations': [
            f.os_migration_row(status='completed')]})


class TestOutageDuringTheWait(WaitCase):

    def test_an_outage_is_ridden_out_and_shown(self):
        self.requests.get(INDEX, [RUNNING] + [REFUSED] * 6 + [GONE])
        self.completed()
        result = self.force()
        self.assertEqual(outcome.COMPLETED, result.status)
        # One poll, then the outage's own backoff: one policy, each read
        # tried once (no 0.5+1+2+4 inside every read).
        self.assertEqual([0.5, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0],
                         self.clock.sleeps)
        self.assertEqual(8, len([c for c in self.compute_calls()
                                 if c[1].endswith('/migrations')]))
        unreachable = [e for e in self.events if e.unreachable_for is not None]
        self.assertEqual([0.0, 0.5, 1.5, 3.5, 7.5, 12.5],
                         [e.unreachable_for for e in unreachable])
        self.assertEqual({'Connection refused'},
                         {e.problem for e in unreachable})
        self.assertEqual({'running'}, {e.status for e in unreachable})
        self.assertEqual(
            'cloud unreachable for 12s (Connection refused), retrying; 13s',
            progress.describe(unreachable[-1:]))

    def test_without_timeout_an_outage_is_ridden_out_ten_minutes(self):
        self.requests.get(INDEX, [RUNNING, REFUSED])
        result = self.force()
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertEqual(8, result.exit_code)
        self.assertFalse(result.ok)
        self.assertEqual('running', result.migration_status)
        self.assertEqual(
            'Nova accepted the force-complete, but its outcome could not '
            'be read: the cloud was unreachable for 598s (Connection '
            'refused)', result.reason)
        self.assertEqual('openstack server migration list --server '
                         f'{f.SERVER}', result.hint)
        self.assertEqual(retrying.OUTAGE_WINDOW, 600.0)
        self.assertLessEqual(sum(self.clock.sleeps) - 0.5, 600.0)

    def test_with_timeout_an_outage_is_ridden_out_until_it(self):
        self.requests.get(INDEX, [RUNNING, REFUSED])
        result = self.force(timeout=3000)
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertEqual(3000.0, sum(self.clock.sleeps))
        self.assertIn('unreachable for 3000s', result.reason)

    def test_server_errors_and_read_timeouts_are_transient(self):
        self.requests.get(INDEX, [
            RUNNING, f.fault(500, 'computeFault', 'boom'),
            f.fault(503, 'serviceUnavailable', 'busy'),
            {'exc': requests.exceptions.ReadTimeout('slow')}, GONE])
        self.completed()
        self.assertEqual(outcome.COMPLETED, self.force().status)
        self.assertEqual(['HTTP 500', 'HTTP 503', 'timed out'],
                         [e.problem for e in self.events if e.problem])

    def test_a_read_refused_after_the_202_is_unknown_not_refused(self):
        self.requests.get(INDEX, **f.fault(
            403, 'forbidden', "Policy doesn't allow os_compute_api:os-"
            "migration-server:index to be performed."))
        result = self.force()
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertEqual(8, result.exit_code)
        self.assertIn('Nova accepted the force-complete', result.reason)

    def test_wait_without_forcing_does_not_claim_acceptance(self):
        self.requests.get(INDEX, [RUNNING, REFUSED])
        result = self.manager().wait(f.SERVER, 7, timeout=10)
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertNotIn('accepted', result.reason)
        self.assertIn('could not be read', result.reason)


class TestCredentialsDuringTheWait(WaitCase):

    def test_a_401_cured_by_reauthentication_goes_unnoticed(self):
        self.requests.get(INDEX, [RUNNING, {'status_code': 401}, GONE])
        self.completed()
        self.assertEqual(outcome.COMPLETED, self.force().status)
        tokens = [r for r in self.requests.request_history
                  if r.path.endswith('/auth/tokens')]
        self.assertEqual(2, len(tokens))

    def test_credentials_that_cannot_be_renewed_are_unknown(self):
        self.requests.get(INDEX, [RUNNING, {'status_code': 401}])
        self.requests.post(f.AUTH_URL + '/auth/tokens', [
            {'json': self.token, 'status_code': 201,
             'headers': {'X-Subject-Token': 'secret-token'}},
            {'status_code': 404, 'json': {'error': {
                'code': 404, 'message': 'Could not find token'}}}])
        result = self.force()
        self.assertEqual(outcome.UNKNOWN, result.status)
        self.assertEqual(8, result.exit_code)
        self.assertIn('Nova accepted the force-complete, but its outcome '
                      'could not be read: the credentials expired and could '
                      'not be renewed (HTTP 404)', result.reason)


class TestOutageDuringAHostDrain(f.SDKTestCase):
    """Every accepted row keeps its place in the result, marked unknown."""

    SERVERS = ('00000001-1111-4000-8000-000000000000',
               '00000002-1111-4000-8000-000000000000')

    def setUp(self):
        super().setUp()
        self.requests.get(f.COMPUTE + '/servers', json={'servers': []})
        self.rows = [f.os_migration_row(10 + i, server=s)
                     for i, s in enumerate(self.SERVERS)]
        for row in self.rows:
            self.requests.post(f"{f.COMPUTE}/servers/{row['instance_uuid']}"
                               f"/migrations/{row['id']}/action",
                               status_code=202)

    def drain(self, *later, timeout=None):
        # The drain finds the host's migrations with one listing per
        # status leaving it, then polls one listing of the host.
        self.requests.get(OS_MIGRATIONS, list(later))
        self.requests.get(
            OS_MIGRATIONS, additional_matcher=lambda r: 'status' in r.qs,
            json=lambda r, c: {'migrations': [
                row for row in self.rows
                if row['status'] == r.qs['status'][0]]})
        events = []
        results = self.manager().force_complete_host(
            'compute-1', wait=True, timeout=timeout, progress=events.append)
        return results, events

    def test_outage_leaves_every_accepted_row_unknown(self):
        results, events = self.drain(
            {'json': {'migrations': [dict(self.rows[0], status='completed'),
                                     self.rows[1]]}}, REFUSED)
        self.assertEqual([outcome.COMPLETED, outcome.UNKNOWN],
                         [r.status for r in results])
        self.assertEqual(8, results[1].exit_code)
        self.assertIn('Nova accepted the force-complete, but its outcome '
                      'could not be read: the cloud was unreachable',
                      results[1].reason)
        self.assertTrue(any(e.unreachable_for for e in events))

    def test_a_row_gone_from_the_listing_is_unknown_not_refused(self):
        results, _ = self.drain({'json': {'migrations': self.rows[1:]}},
                                {'json': {'migrations': [dict(
                                    self.rows[1], status='completed')]}})
        self.assertEqual([outcome.UNKNOWN, outcome.COMPLETED],
                         [r.status for r in results])
        self.assertIn('no longer listed', results[0].reason)
        self.assertIsNone(results[0].error)

