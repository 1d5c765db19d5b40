"""The control API under /_refserver/ and the failed/error endings.

Through WebOb with the fake wall clock of ``test_refserver_api``: every
operation is checked by what the Nova API (or the request log) shows
afterwards, not by the control API's own answer alone.
"""

import json
import os
import time
import types

import fixtures

from novaclient_force.refserver import app as app_mod
from novaclient_force.refserver.edge import httpserver
from novaclient_force.refserver.notify import notifier
from novaclient_force.refserver.state import simulator
from tests.unit.refserver import shapes
from tests.unit.refserver import test_refserver_api as base
from tests.unit.refserver.test_refserver_api import BUSY, BUSY2, IDLE

FORCE = {'force_complete': None}


class ControlTestCase(base.RefServerTestCase):
    def make_scenario(self):
        return types.SimpleNamespace(name='unit', **vars(base.scenario()))

    def setUp(self):
        super().setUp()
        self.app = app_mod.RefServerApp(self.services, self.make_scenario())

    def control(self, method, path, body=None, peer='127.0.0.1'):
        req = base.webob.Request.blank('/_refserver/' + path, method=method)
        req.remote_addr = peer
        if body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        resp = req.get_response(self.app)
        return resp.status_int, json.loads(resp.body)

    def ok(self, method, path, body=None, status=200):
        code, answer = self.control(method, path, body)
        self.assertEqual(status, code, answer)
        return answer

    def get(self, path, version='2.80', **kwargs):
        resp = self.compute('GET', path, version=version, **kwargs)
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)

    def migration(self, server, version='2.80'):
        return self.get(f'/os-migrations?instance_uuid={server}',
                        version)['migrations'][0]

    def server(self, uuid):
        return self.get(f'/servers/{uuid}')['server']

    def start_migration(self, server=BUSY2):
        resp = self.compute('POST', f'/servers/{server}/action',
                            {'os-migrateLive': {'host': 'compute-3',
                                                'block_migration': False}},
                            version='2.30')
        self.assertEqual(202, resp.status_int, resp.body)
        return self.migration(server)['id']

    def action_events(self, server, version='2.84', **kwargs):
        action = self.get(f'/servers/{server}/os-instance-actions',
                          **kwargs)['instanceActions'][0]
        return self.get(f'/servers/{server}/os-instance-actions/'
                        f"{action['request_id']}", version,
                        **kwargs)['instanceAction']


class TestAccess(ControlTestCase):
    def test_only_loopback_peers(self):
        for peer in ('10.0.0.5', '192.0.2.1', '2001:db8::1', None, 'junk'):
            code, body = self.control('GET', 'clock', peer=peer)
            self.assertEqual(403, code, peer)
            self.assertIn('loopback', body['error']['message'])
        for peer in ('127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1'):
            self.assertEqual(200, self.control('GET', 'clock',
                                               peer=peer)[0], peer)

    def test_invisible_to_nova_clients(self):
        """Not in the catalog nor in any version document; not under the
        compute or identity prefixes either."""
        resp = self.request('POST', '/identity/v3/auth/tokens', {
            'auth': {'identity': {'methods': ['password'], 'password': {
                'user': {'name': 'admin', 'domain': {'id': 'default'},
                         'password': 'secret'}}},
                'scope': {'project': {'name': 'admin',
                                      'domain': {'id': 'default'}}}}},
            token=None)
        documents = [resp.body]
        for path in ('/compute/', '/compute/v2.1', '/identity',
                     '/identity/v3'):
            documents.append(self.request('GET', path, token=None).body)
        for document in documents:
            self.assertNotIn(b'_refserver', document)
        for path in ('/compute/_refserver/clock',
                     '/compute/v2.1/_refserver/clock',
                     '/identity/_refserver/clock'):
            resp = self.request('GET', path)
            self.assertNotEqual(200, resp.status_int, path)

    def test_unknown_endpoint_and_method(self):
        self.assertEqual(404, self.control('GET', 'nothing')[0])
        self.assertEqual(405, self.control('DELETE', 'clock')[0])
        self.assertEqual(405, self.control('PUT', 'migrations/1')[0])
        self.assertEqual(404, self.control('POST', 'migrations/1/pause')[0])
        self.assertEqual(405, self.control('GET', 'migrations/1/fail')[0])


class TestClock(ControlTestCase):
    def test_advance_moves_virtual_time_at_once(self):
        before = self.ok('GET', 'clock')['clock']['time']
        after = self.ok('POST', 'clock', {'advance': 3600})['clock']['time']
        self.assertEqual(3600, after - before)
        # A migration started now sees the hour pass without any wait.
        self.start_migration(IDLE)
        self.ok('POST', 'clock', {'advance': 60})
        self.assertEqual('completed', self.migration(IDLE)['status'])

    def test_time_scale_changes_the_rate_without_a_jump(self):
        start = self.ok('GET', 'clock')['clock']['time']
        clock = self.ok('POST', 'clock', {'time_scale': 10})['clock']
        self.assertEqual((start, 10), (clock['time'], clock['time_scale']))
        self.wall.advance(2)
        self.assertEqual(start + 20, self.ok('GET', 'clock')['clock'][
            'time'])

    def test_bad_values_change_nothing(self):
        start = self.ok('GET', 'clock')['clock']
        for body in ({'advance': -1}, {'time_scale': 0}, {'advance': 'x'},
                     {'advance': True}, {}, {'rewind': 1},
                     {'time_scale': 2, 'advance': -5},
                     {'time_scale': 1e5}, {'advance': 1e300},
                     {'time_scale': 2, 'advance': 1e300}):
            code, answer = self.control('POST', 'clock', body)
            self.assertEqual(400, code, body)
            self.assertTrue(answer['error']['message'])
        self.assertEqual(400, self.control('POST', 'clock', None)[0])
        self.assertEqual(start, self.ok('GET', 'clock')['clock'])

    def test_clock_survives_a_restart_of_the_state(self):
        path = self.useFixture(fixtures.TempDir()).join('state.sqlite')
        store = base.store_mod.Store(path, wall=self.wall)
        store.advance(500)
        ahead = store.now()
        store.close()
        again = base.store_mod.Store(path, wall=self.wall)
        self.addCleanup(again.close)
        self.assertEqual(ahead, again.now())


class TestReset(ControlTestCase):
    def test_back_to_the_scenario(self):
        resp = self.compute('POST', f'/servers/{BUSY}/migrations/1/action',
                            FORCE, version='2.22')
        self.assertEqual(202, resp.status_int)
        self.ok('POST', 'clock', {'advance': 30})
        self.assertEqual('compute-2', self.server(BUSY)['OS-EXT-SRV-ATTR:'
                                                       'host'])
        self.ok('POST', 'faults', {'path': 'nothing', 'status': 503},
                status=201)
        self.ok('POST', 'reset')
        self.assertEqual('running', self.migration(BUSY)['status'])
        self.assertEqual('compute-1', self.server(BUSY)['OS-EXT-SRV-ATTR:'
                                                       'host'])
        actions = self.get(f'/servers/{BUSY}/os-instance-actions')
        self.assertEqual(['live-migration'], [
            a['action'] for a in actions['instanceActions']])
        self.assertEqual([], self.ok('GET', 'faults')['faults'])
        # The GETs above used a token issued before the reset.

    def test_request_log_is_cleared(self):
        self.get('/servers')
        self.ok('POST', 'reset')
        self.assertEqual([], self.ok('GET', 'requests')['requests'])

    def test_without_a_scenario(self):
        self.app = app_mod.RefServerApp(self.services)
        self.assertEqual(409, self.control('POST', 'reset')[0])


class TestFailed(ControlTestCase):
    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('notes.jsonl')
        self.services.notifier = notifier.Notifier(self.path)

    def notifications(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as stream:
            return [json.loads(line)['event_type'] for line in stream]

    def test_libvirt_job_failure_rolls_back(self):
        self.ok('POST', 'migrations/1/fail')
        self.assertEqual('running', self.migration(BUSY)['status'])
        self.wall.advance(simulator.ROLLBACK_SECONDS)
        self.assertEqual('failed', self.migration(BUSY)['status'])
        server = self.server(BUSY)
        self.assertEqual(('ACTIVE', 'compute-1', None), (
            server['status'], server['OS-EXT-SRV-ATTR:host'],
            server['OS-EXT-STS:task_state']))
        # Nothing is in progress on the server any more.
        self.assertEqual([], self.get(f'/servers/{BUSY}/migrations',
                                      '2.23')['migrations'])
        action = self.action_events(BUSY)
        self.assertIsNone(action['message'])
        rollback = [e for e in action['events'] if e['event'] ==
                    'compute_rollback_live_migration_at_destination']
        self.assertEqual([('Success', 'compute-2')],
                         [(e['result'], e['host']) for e in rollback])
        self.assertNotIn('Error', {e['result'] for e in action['events']})
        self.assertEqual(['instance.live_migration_rollback.start',
                          'instance.live_migration_rollback_dest.start',
                          'instance.live_migration_rollback_dest.end',
                          'instance.live_migration_rollback.end'],
                         self.notifications())
        truth = self.ok('GET', 'migrations/1')['migration']
        self.assertEqual(('failed', 'job_failed'), (truth['status'],
                                                    truth['ended_by']))

    def test_pre_live_migration_failure_records_an_error_event(self):
        migration = self.start_migration()
        self.ok('POST', 'clock', {'advance': 1.2})    # preparing
        self.assertEqual('preparing', self.migration(BUSY2)['status'])
        self.ok('POST', f'migrations/{migration}/fail',
                {'message': 'Migration error: disk full on compute-3'})
        self.assertEqual('error', self.migration(BUSY2)['status'])
        self.ok('POST', 'clock', {'advance': simulator.ROLLBACK_SECONDS})
        self.assertEqual('failed', self.migration(BUSY2)['status'])
        self.assertEqual('ACTIVE', self.server(BUSY2)['status'])
        action = self.action_events(BUSY2)
        self.assertEqual('Error', action['message'])
        [pre] = [e for e in action['events']
                 if e['event'] == 'compute_pre_live_migration']
        self.assertEqual(('Error', 'compute-3'), (pre['result'],
                                                  pre['host']))
        self.assertEqual('Migration error: disk full on compute-3',
                         pre['details'])
        self.assertIn('pre_live_migration', pre['traceback'])
        # Non-admins see the event and its result, not where it failed.
        mine = self.action_events(BUSY2, user='demo-manager')
        [pre] = [e for e in mine['events']
                 if e['event'] == 'compute_pre_live_migration']
        self.assertEqual('Error', pre['result'])
        for hidden in ('traceback', 'details', 'host'):
            self.assertNotIn(hidden, pre)
        self.assertNotIn('details', self.action_events(
            BUSY2, version='2.83')['events'][0])


class TestError(ControlTestCase):
    def test_driver_exception_puts_the_server_in_error(self):
        self.ok('POST', 'migrations/1/fail', {'status': 'error'})
        self.assertEqual('error', self.migration(BUSY)['status'])
        server = self.server(BUSY)
        self.assertEqual(('ERROR', 'compute-1', None), (
            server['status'], server['OS-EXT-SRV-ATTR:host'],
            server['OS-EXT-STS:task_state']))
        self.assertEqual('error', server['OS-EXT-STS:vm_state'])
        action = self.action_events(BUSY)
        self.assertIsNone(action['message'])
        self.assertEqual(5, len(action['events']))

    def test_error_needs_a_running_migration(self):
        migration = self.start_migration()
        self.ok('POST', 'clock', {'advance': 1.2})    # preparing
        code, body = self.control('POST', f'migrations/{migration}/fail',
                                  {'status': 'error'})
        self.assertEqual(409, code)
        self.assertIn('preparing', body['error']['message'])
        truth = self.ok('GET', f'migrations/{migration}')['migration']
        self.assertEqual([], truth['overrides'])
        self.ok('POST', 'clock', {'advance': 10})
        self.assertEqual('running', self.migration(BUSY2)['status'])

    def test_bad_requests(self):
        for path, body, code in (
                ('migrations/1/fail', {'status': 'cancelled'}, 400),
                ('migrations/1/fail', {'message': 5}, 400),
                ('migrations/1/fail', {'when': 1}, 400),
                ('migrations/1/converge', {'status': 'error'}, 400),
                ('migrations/99/fail', None, 404),
                ('migrations/nope/stall', None, 404)):
            self.assertEqual(code, self.control('POST', path, body)[0],
                             (path, body))
        self.assertEqual('running', self.migration(BUSY)['status'])

    def test_an_ended_migration_cannot_fail(self):
        self.ok('POST', 'migrations/1/fail', {'status': 'error'})
        code, body = self.control('POST', 'migrations/1/fail')
        self.assertEqual(409, code)
        self.assertIn('ended', body['error']['message'])


class TestConvergeAndStall(ControlTestCase):
    def test_converge_completes_without_a_pause(self):
        answer = self.ok('POST', 'migrations/1/converge')['migration']
        self.assertEqual('converge', answer['overrides'][0]['kind'])
        # three migrations share the link to compute-2: 3 x 3.4 s to copy
        self.wall.advance(20)
        self.assertEqual('completed', self.migration(BUSY)['status'])
        self.assertEqual('compute-2', self.server(BUSY)[
            'OS-EXT-SRV-ATTR:host'])
        truth = self.ok('GET', 'migrations/1')['migration']
        self.assertEqual(('converged', 0.0), (
            truth['ended_by'], truth['ground_truth']['paused_seconds']))

    def test_stall_keeps_a_converging_migration_running(self):
        migration = self.start_migration(IDLE)
        self.ok('POST', 'clock', {'advance': 2.5})       # running
        self.ok('POST', f'migrations/{migration}/stall')
        self.ok('POST', 'clock', {'advance': 300})
        self.assertEqual('running', self.migration(IDLE)['status'])
        # A converged migration can neither stall nor converge again.
        other = self.start_migration(BUSY2)
        self.ok('POST', 'clock', {'advance': 2.5})
        self.ok('POST', f'migrations/{other}/converge')
        code, body = self.control('POST', f'migrations/{other}/stall')
        self.assertEqual(409, code)
        self.assertIn('pre-copy', body['error']['message'])


class TestGroundTruth(ControlTestCase):
    def test_pause_of_a_forced_migration(self):
        resp = self.compute('POST', f'/servers/{BUSY}/migrations/1/action',
                            FORCE, version='2.22')
        self.assertEqual(202, resp.status_int)
        forced_at = self.ok('GET', 'clock')['clock']['time']
        self.wall.advance(1)
        truth = self.ok('GET', 'migrations/1')['migration']['ground_truth']
        self.assertAlmostEqual(forced_at, truth['paused_at'], places=3)
        self.assertLess(truth['running_at'], forced_at)
        self.assertAlmostEqual(1.0, truth['paused_seconds'], places=3)
        self.wall.advance(60)
        truth = self.ok('GET', 'migrations')['migrations'][0]
        self.assertEqual('completed', truth['status'])
        # the scenario's three migrations share the link to compute-2:
        # what was pending at the force (58 s into the copy, scheduling
        # and preparing aside) goes at a third of it
        share = 1.25e9 / 3
        self.assertAlmostEqual(
            shapes.sawtooth(4 * base.GIB, 58.0, share) / share,
            truth['ground_truth']['paused_seconds'], places=3)
        self.assertGreater(truth['ground_truth']['bytes_sent'],
                           4 * base.GIB)

    def test_by_uuid_and_all(self):
        one = self.ok('GET', 'migrations/1')['migration']
        same = self.ok('GET', f"migrations/{one['uuid']}")['migration']
        self.assertEqual(one['id'], same['id'])
        self.assertEqual([1, 2, 3], [m['id'] for m in self.ok(
            'GET', 'migrations')['migrations']])


class TestFaults(ControlTestCase):
    def force(self):
        return self.compute('POST', f'/servers/{BUSY}/migrations/1/action',
                            FORCE, version='2.22')

    def force_completes(self):
        return [a for a in self.get(
                    f'/servers/{BUSY}/os-instance-actions')['instanceActions']
                if a['action'] == 'live_migration_force_complete']

    def test_status_is_not_applied_and_expires(self):
        self.ok('POST', 'faults', {'path': r'/migrations/1/action$',
                                   'method': 'POST', 'status': 500,
                                   'times': 2}, status=201)
        for _ in range(2):
            resp = self.force()
            self.assertFault(resp, 500, 'Injected fault.',
                             key='computeFault')
        self.assertEqual([], self.force_completes())
        self.assertEqual([], self.ok('GET', 'faults')['faults'])
        self.assertEqual(202, self.force().status_int)

    def test_method_and_path_must_match(self):
        self.ok('POST', 'faults', {'path': 'os-migrations', 'method': 'GET',
                                   'status': 503}, status=201)
        self.assertEqual(202, self.force().status_int)
        resp = self.compute('GET', '/os-migrations')
        self.assertFault(resp, 503, 'Injected fault.',
                         key='serviceUnavailable')

    def test_identity_faults_are_keystone_errors(self):
        self.ok('POST', 'faults', {'path': '^/identity/v3/auth/tokens',
                                   'status': 503, 'message': 'down'},
                status=201)
        self._tokens.clear()
        resp = self.request('POST', '/identity/v3/auth/tokens', {},
                            token=None)
        self.assertEqual(503, resp.status_int)
        self.assertEqual({'error': {'code': 503, 'title':
                                    'Service Unavailable',
                                    'message': 'down'}},
                         json.loads(resp.body))

    def test_drop_before_is_not_applied(self):
        self.ok('POST', 'faults', {'path': 'action$', 'drop': 'before'},
                status=201)
        self.assertRaises(httpserver.DropConnection, self.force)
        self.assertEqual([], self.force_completes())

    def test_drop_after_is_applied_but_unanswered(self):
        self.ok('POST', 'faults', {'path': 'action$', 'drop': 'after'},
                status=201)
        self.assertRaises(httpserver.DropConnection, self.force)
        self.assertEqual(1, len(self.force_completes()))
        [entry] = [r for r in self.ok('GET', 'requests')['requests']
                   if r['path'].endswith('/action')]
        self.assertEqual((None, 'drop after'), (entry['status'],
                                                entry['fault']))

    def test_delay_holds_the_answer(self):
        self.ok('POST', 'faults', {'path': 'os-migrations', 'delay': 0.3},
                status=201)
        started = time.monotonic()
        self.get('/os-migrations')
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        [entry] = [r for r in self.ok('GET', 'requests')['requests']
                   if 'os-migrations' in r['path']]
        self.assertGreaterEqual(entry['duration'], 0.3)
        self.assertEqual('delay 0.3', entry['fault'])

    def test_bad_rules_are_refused(self):
        for body in ({}, {'path': '('}, {'path': 'x'},
                     {'path': 'x', 'status': 200},
                     {'path': 'x', 'status': 499},
                     {'path': 'x', 'status': 500, 'delay': 1},
                     {'path': 'x', 'drop': 'sometimes'},
                     {'path': 'x', 'delay': -1},
                     {'path': 'x', 'delay': 1, 'times': 0},
                     {'path': 'x', 'delay': 1, 'method': 'FETCH'},
                     {'path': 'x', 'delay': 1, 'colour': 'red'}, [1]):
            code, answer = self.control('POST', 'faults', body)
            self.assertEqual(400, code, body)
            self.assertTrue(answer['error']['message'])
        self.assertEqual([], self.ok('GET', 'faults')['faults'])

    def test_clear(self):
        self.ok('POST', 'faults', {'path': 'action$', 'status': 500},
                status=201)
        self.ok('DELETE', 'faults')
        self.assertEqual(202, self.force().status_int)


class TestRequests(ControlTestCase):
    def test_what_was_received(self):
        self.get('/servers', version='2.79')
        self.compute('GET', '/servers/nope', version='2.80')
        self.control('GET', 'clock')
        entries = self.ok('GET', 'requests')['requests']
        self.assertEqual(
            [('POST', '/identity/v3/auth/tokens', 201, None),
             ('GET', '/compute/v2.1/servers', 200, '2.79'),
             ('GET', '/compute/v2.1/servers/nope', 404, '2.80')],
            [(e['method'], e['path'], e['status'], e['microversion'])
             for e in entries])
        self.assertEqual([1, 2, 3], [e['seq'] for e in entries])
        for entry in entries:
            self.assertGreaterEqual(entry['duration'], 0)
            self.assertGreater(entry['started_at'], 0)
        later = self.ok('GET', 'requests?since=2')['requests']
        self.assertEqual([3], [e['seq'] for e in later])
        self.assertEqual(400, self.control('GET', 'requests?since=x')[0])

    def test_clear(self):
        self.get('/servers')
        self.ok('DELETE', 'requests')
        self.assertEqual([], self.ok('GET', 'requests')['requests'])
        self.get('/servers')
        self.assertEqual([3], [e['seq'] for e in self.ok(
            'GET', 'requests')['requests']])


class TestForceCompleteFails(ControlTestCase):
    """The force-complete itself fails in the driver: Nova's
    ``live_migration_force_complete`` event ends in Error
    (nova/compute/manager.py, wrap_instance_event), and the migration
    runs on as if it had not been forced."""

    def force(self, server=BUSY, migration=1):
        resp = self.compute(
            'POST', f'/servers/{server}/migrations/{migration}/action',
            FORCE, version='2.22')
        self.assertEqual(202, resp.status_int, resp.body)

    def force_event(self, **kwargs):
        action = self.action_events(BUSY, **kwargs)
        self.assertEqual('live_migration_force_complete', action['action'])
        (event,) = action['events']
        return action, event

    def test_the_next_force_fails_then_one_succeeds(self):
        truth = self.ok('POST', 'migrations/1/fail_force_complete')[
            'migration']
        expected = f'Active live migration for instance {BUSY} not found'
        self.assertEqual(expected, truth['force_complete_fault'])
        self.force()
        action, event = self.force_event()
        self.assertEqual('Error', action['message'])
        self.assertEqual(('compute_live_migration_force_complete', 'Error',
                          'compute-1', expected),
                         (event['event'], event['result'], event['host'],
                          event['details']))
        self.assertTrue(event['traceback'].endswith(
            f'nova.exception.NoActiveMigrationForInstance: {expected}\n'))
        truth = self.ok('GET', 'migrations/1')['migration']
        self.assertEqual((None, None, 'running'), (
            truth['force_complete_at'], truth['force_complete_fault'],
            truth['status']))
        self.assertEqual('running', self.migration(BUSY)['status'])
        # One force failed; the next one is the driver's as usual.
        self.force()
        _, event = self.force_event()
        self.assertEqual('Success', event['result'])
        self.assertIsNotNone(
            self.ok('GET', 'migrations/1')['migration']['force_complete_at'])

    def test_details_are_the_message_from_2_84_and_admin_only(self):
        self.ok('POST', 'migrations/1/fail_force_complete',
                {'message': 'libvirt: cannot pause the guest'})
        self.force()
        _, event = self.force_event()
        self.assertEqual('libvirt: cannot pause the guest', event['details'])
        self.assertTrue(event['traceback'].endswith(
            'nova.exception.NovaException: libvirt: cannot pause the '
            'guest\n'))
        _, event = self.force_event(version='2.83')
        self.assertNotIn('details', event)
        _, event = self.force_event(user='demo-manager')
        self.assertEqual('Error', event['result'])
        for hidden in ('traceback', 'details', 'host'):
            self.assertNotIn(hidden, event)

    def test_bad_requests_change_nothing(self):
        for body in ({'message': 5}, {'message': ' '}, {'status': 'x'}):
            code, _ = self.control('POST', 'migrations/1/fail_force_complete',
                                   body)
            self.assertEqual(400, code, body)
        self.ok('POST', 'migrations/1/fail', {'status': 'error'})
        code, answer = self.control('POST',
                                    'migrations/1/fail_force_complete')
        self.assertEqual(409, code)
        self.assertIn('it has ended', answer['error']['message'])
        self.assertEqual(404, self.control(
            'POST', 'migrations/99/fail_force_complete')[0])
        self.assertIsNone(self.ok('GET', 'migrations/1')['migration'][
            'force_complete_fault'])

    def test_unforced_it_meets_the_completion_timeout(self):
        # Nova's default live_migration_timeout_action is abort: the job
        # that never converges is rolled back, the guest never paused.
        self.ok('POST', 'migrations/1/fail_force_complete')
        self.force()
        self.ok('POST', 'clock', {'advance': 4 * 800 + 60})
        truth = self.ok('GET', 'migrations/1')['migration']
        self.assertEqual(('cancelled', 'timeout_abort', None), (
            truth['status'], truth['ended_by'],
            truth['ground_truth']['paused_at']))
        events = [event['event'] for event in self.get(
            f'/servers/{BUSY}/os-instance-actions/'
            f"{self.live_migration_request(BUSY)}", '2.84')[
                'instanceAction']['events']]
        self.assertEqual('compute_rollback_live_migration_at_destination',
                         events[0])

    def live_migration_request(self, server):
        return next(
            item['request_id'] for item in self.get(
                f'/servers/{server}/os-instance-actions')['instanceActions']
            if item['action'] == 'live-migration')
