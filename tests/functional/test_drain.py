"""Host drains as stock Nova runs them: the real ``openstack`` and ``nova``
programs against the reference server's ``host-evacuation`` scenario
(every live migration of compute-1 requested at once, at most
``max_concurrent_live_migrations`` running, the rest queued; workloads
cycling busy/idle/active, see doc/source/scenarios.rst).

What the client printed is checked against the server's ground truth
(control API): which migrations were forced, how each ended.
"""

import json

from novaclient_force import outcome
from tests.functional import test_nova_cli, test_osc_cli

SERVERS = 6
# busy, idle, active, busy, idle, active (scenarios.host_evacuation).
BUSY = ('evac-vm-001', 'evac-vm-004')


class EvacuationTest(test_osc_cli.OpenStackCLITest):

    scenario = 'host-evacuation'
    servers = SERVERS
    limit = 1
    time_scale = 20.0

    def truth(self):
        """{server name: ground-truth view} of compute-1's migrations."""
        names = {s['id']: s['name'] for s in self.cloud.get(
            '/servers?all_tenants=1')['servers']}
        return {names[m['server_uuid']]: m
                for m in self.cloud.migrations_truth()
                if m['source_compute'] == 'compute-1'}

    def drain(self, *argv):
        code, out, err = self.force('--host', 'compute-1', *argv,
                                    '-f', 'json')
        return code, json.loads(out) if out else None, err


class TestQueueLimit1(EvacuationTest):

    #: How many migrations still leave the host when the command starts:
    #: under a limit of 1 the busy first one holds up all the others.
    leaving_at_start = SERVERS

    def test_wait_drains_the_host_reporting_each_once(self):
        code, rows, err = self.drain('--wait', '--timeout', '300')
        self.assertDrainSummary(code, err)
        self.assertGreaterEqual(len(rows), self.leaving_at_start)
        self.assertEqual(len(rows), len({r['Migration'] for r in rows}))
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        truth = self.truth()
        self.assertEqual({'completed'}, {m['status'] for m in
                                         truth.values()})
        # The table says what the server saw: forced ones were forced.
        for row in rows:
            forced = truth[row['Server Name']]['force_complete_at']
            self.assertEqual(row['Forced'], forced is not None,
                             row['Server Name'])
        self.assertEqual([], self.cloud.get(
            '/servers?all_tenants=1&host=compute-1')['servers'])

    def test_without_wait_the_queue_is_not_forced(self):
        code, rows, err = self.drain()
        self.assertEqual(9, code)
        self.assertIn('were not forced', err)
        statuses = [(r['Server Name'], r['Status'], r['Forced'])
                    for r in rows]
        self.assertEqual(('evac-vm-001', outcome.ACCEPTED, True),
                         statuses[0])
        self.assertEqual({(outcome.NOT_FORCED, False)},
                         {s[1:] for s in statuses[1:]})
        for row in rows[1:]:
            self.assertIn('queued', row['Reason'])
            self.assertIn('--wait', row['Reason'])
        truth = self.truth()
        self.assertEqual(['evac-vm-001'], sorted(
            name for name, m in truth.items() if m['force_complete_at']))

    def test_stall_policy_pauses_only_what_does_not_converge(self):
        code, rows, err = self.drain('--wait', '--timeout', '300',
                                     '--stalled-after', '20')
        self.assertDrainSummary(code, err)
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        forced = sorted(r['Server Name'] for r in rows if r['Forced'])
        self.assertEqual(list(BUSY), forced)
        truth = self.truth()
        self.assertEqual(list(BUSY), sorted(
            name for name, m in truth.items() if m['force_complete_at']))
        for row in rows:
            if row['Forced']:
                self.assertEqual('stalled', row['Diagnosis']['state'])
                self.assertGreater(row['Estimated Pause'], 0)
                self.assertIn('no progress towards completion for',
                              row['Reason'])
            else:
                self.assertIn('without forcing', row['Reason'])


    def test_auto_pauses_only_what_does_not_converge(self):
        code, rows, err = self.drain('--wait', '--timeout', '300',
                                     '--auto')
        self.assertEqual(0, code, err)
        # Only the summary line on stderr (the advice is for rows cut
        # short, and none is).
        self.assertRegex(err, r'^\d+ live migrations leaving compute-1: '
                              r'[^\n]*\n$')
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        truth = self.truth()
        forced = sorted(r['Server Name'] for r in rows if r['Forced'])
        self.assertEqual(forced, sorted(
            name for name, m in truth.items() if m['force_complete_at']))
        # busy guests always; idle ones never; on a quarter of the link
        # (limit 4) the active ones do not converge either
        self.assertTrue(set(BUSY) <= set(forced), forced)
        self.assertNotIn('evac-vm-002', forced)
        if self.limit == 1:
            self.assertEqual(list(BUSY), forced)
        for row in rows:
            if not row['Forced']:
                continue
            self.assertIn('(--auto)', row['Reason'])
            self.assertTrue(row['Diagnosis']['stuck'])
            # dated by Nova's saves, the rate is the link's at 20x
            rate = row['Diagnosis']['transfer_rate']
            if self.limit == 1 and rate is not None:
                self.assertAlmostEqual(1.25e9, rate, delta=0.125e9)


class TestQueueLimit4(TestQueueLimit1):
    """Four at a time. Idle and active guests may finish before the
    command first looks; the busy ones (every third) hold the four slots
    until forced."""

    limit = 4
    servers = 12
    leaving_at_start = 4

    def test_stall_policy_pauses_only_what_does_not_converge(self):
        code, rows, err = self.drain('--wait', '--timeout', '300',
                                     '--stalled-after', '20')
        self.assertDrainSummary(code, err)
        self.assertEqual({outcome.COMPLETED}, {r['Status'] for r in rows})
        truth = self.truth()
        for row in rows:
            self.assertEqual(
                row['Forced'],
                truth[row['Server Name']]['force_complete_at'] is not None)
        # Idle guests converge whatever the share of the link.
        self.assertNotIn('evac-vm-002', [r['Server Name'] for r in rows
                                         if r['Forced']])

    def test_without_wait_the_queue_is_not_forced(self):
        code, rows, err = self.drain()
        self.assertEqual(9, code)
        forced = [r for r in rows if r['Forced']]
        self.assertLessEqual(len(forced), 4)
        # A forced one is seen completed if the drain looks again (an
        # answer still to come, a refusal to tell) after it ended.
        self.assertLessEqual({r['Status'] for r in forced},
                             {outcome.ACCEPTED, outcome.COMPLETED}, rows)
        queued = [r for r in rows if r['Status'] == outcome.NOT_FORCED]
        self.assertGreaterEqual(len(queued), 1)
        # An idle or active guest may converge between the listing and
        # its force-complete: it is reported as it ended, not refused.
        ended = [r for r in rows if r['Status'] == outcome.COMPLETED
                 and not r['Forced']]
        self.assertEqual(len(rows), len(forced) + len(queued) + len(ended),
                         rows)
        truth = self.truth()
        self.assertEqual(sorted(r['Server Name'] for r in forced), sorted(
            name for name, m in truth.items() if m['force_complete_at']))


class TestHosts(EvacuationTest):

    def test_unknown_host_names_the_closest(self):
        code, out, err = self.force('--host', 'compute2', '--wait')
        self.assertEqual((1, ''), (code, out))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('No compute host is named compute2; did you mean '
                      'compute-2?', err)

    def test_known_host_with_nothing_leaving(self):
        code, rows, err = self.force('--host', 'compute-2', '--wait',
                                     '-f', 'json')
        self.assertEqual((0, []), (code, json.loads(rows)))
        self.assertEqual('No live migration is leaving compute-2\n', err)


class TestNovaStallPolicy(test_nova_cli.NovaCLITestCase):
    """The nova command's single-server options on the same cloud."""

    scenario = 'host-evacuation'
    time_scale = 20.0

    def test_stalled_forced_converging_left_alone(self):
        # Under the limit of 1 the idle guest's migration waits behind
        # the busy one, which never ends unless forced.
        busy = self.server_id('evac-vm-001')
        status, out, err = self.nova(
            'live-migration-force-complete', busy, '1', '--wait',
            '--stalled-after', '20')
        self.assertEqual((0, []), (status, err))
        self.assertRegex(out, r'\| forced +\| yes ')
        self.assertRegex(out,
                         r'\| diagnosis +\| (stalled|not converging) for')
        idle = self.server_id('evac-vm-002')
        status, out, err = self.nova(
            'live-migration-force-complete', idle, '2', '--wait',
            '--stalled-after', '20')
        self.assertEqual((0, []), (status, err))
        self.assertRegex(out, r'\| forced +\| no ')
        self.assertIn('without forcing', out)
        self.assertEqual([], self.force_complete_actions(idle))
        self.assertEqual(1, len(self.force_complete_actions(busy)))

    def test_auto_forces_the_busy_one_once_proven(self):
        busy = self.server_id('evac-vm-001')
        status, out, err = self.nova(
            'live-migration-force-complete', busy, '1', '--wait', '--auto')
        self.assertEqual((0, []), (status, err))
        self.assertRegex(out, r'\| forced +\| yes ')
        self.assertIn('(--auto)', out)
        self.assertEqual(1, len(self.force_complete_actions(busy)))
