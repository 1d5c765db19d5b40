"""The API on a host whose live migrations wait in Nova's queue.

Four servers on compute-1 asked to live-migrate 5 simulated seconds ago,
under Nova's default max_concurrent_live_migrations of 1: migration 1
(a busy 8 GiB guest that never converges, 3 s into its first pass, so a
force sends about 4.8 GB) runs, 2-4 (idle guests) are queued.
"""

import dataclasses
import json
import types

from novaclient_force.refserver import app as app_mod
from novaclient_force.refserver.state import scenarios, simulator
from tests.unit.refserver import test_refserver_api as base

GIB = simulator.GIB
NAMES = ('q-busy', 'q-idle-1', 'q-idle-2', 'q-idle-3')
UUIDS = {name: scenarios.server_uuid(name) for name in NAMES}
FORCE = {'force_complete': None}


def scenario():
    servers = [base._server(name, UUIDS[name],
                            dirty=2e9 if name == 'q-busy' else 1e6,
                            memory=8 * GIB if name == 'q-busy' else GIB)
               for name in NAMES]
    migrations = [types.SimpleNamespace(
        server=name, dest='compute-2', status='running', started_ago=5,
        uuid=None, id=None, block_migration=False) for name in NAMES]
    return types.SimpleNamespace(**dict(
        vars(base.scenario()), servers=servers, migrations=migrations,
        max_concurrent_live_migrations=1))


class QueueTestCase(base.RefServerTestCase):

    def make_scenario(self):
        return scenario()

    def statuses(self, version='2.23'):
        body = json.loads(self.compute('GET', '/os-migrations',
                                       version=version).body)
        return {item['id']: item for item in body['migrations']}

    def server_index(self, name, version='2.23'):
        resp = self.compute('GET', f'/servers/{UUIDS[name]}/migrations',
                            version=version)
        self.assertEqual(200, resp.status_int, resp.body)
        return json.loads(resp.body)['migrations']

    def force(self, name, migration):
        return self.compute('POST', f'/servers/{UUIDS[name]}/migrations/'
                            f'{migration}/action', FORCE, version='2.22')

    def abort(self, name, migration, version):
        return self.compute('DELETE', f'/servers/{UUIDS[name]}/migrations/'
                            f'{migration}', version=version)

    def status_of(self, migration):
        return self.statuses()[migration]['status']


class TestListings(QueueTestCase):

    def test_os_migrations_lists_queued_as_in_progress(self):
        found = self.statuses()
        self.assertEqual({1: 'running', 2: 'queued', 3: 'queued',
                          4: 'queued'},
                         {key: item['status'] for key, item in found.items()})
        for key in (2, 3, 4):
            self.assertEqual(['self', 'bookmark'],
                             [link['rel'] for link in found[key]['links']])
        queued = json.loads(self.compute(
            'GET', '/os-migrations?status=queued&source_compute=compute-1',
            version='2.59').body)['migrations']
        self.assertEqual([4, 3, 2], [item['id'] for item in queued])

    def test_server_index_shows_queued_and_preparing(self):
        (queued,) = self.server_index('q-idle-1')
        self.assertEqual((2, 'queued', None),
                         (queued['id'], queued['status'],
                          queued['memory_total_bytes']))
        self.assertEqual(202, self.force('q-busy', 1).status_int)
        self.wall.advance(5)    # forced copy 3.4 s, completion 1 s
        self.assertEqual('completed', self.status_of(1))
        (preparing,) = self.server_index('q-idle-1')
        self.assertEqual('preparing', preparing['status'])
        self.assertEqual([], self.server_index('q-busy'))

    def test_show_answers_for_a_queued_migration(self):
        resp = self.compute('GET',
                            f"/servers/{UUIDS['q-idle-2']}/migrations/3",
                            version='2.80')
        self.assertEqual(200, resp.status_int, resp.body)
        migration = json.loads(resp.body)['migration']
        self.assertEqual(('queued', 'compute-1', None),
                         (migration['status'], migration['source_compute'],
                          migration['memory_remaining_bytes']))

    def test_queued_updated_at_is_when_it_was_queued(self):
        first = self.statuses()[2]['updated_at']
        self.wall.advance(60)
        self.assertEqual(first, self.statuses()[2]['updated_at'])


class TestForceAndAbort(QueueTestCase):

    def test_force_complete_refuses_queued_and_preparing(self):
        self.assertFault(self.force('q-idle-1', 2), 400,
                         f"Migration 2 state of instance {UUIDS['q-idle-1']} "
                         'is queued. Cannot force complete while the '
                         'migration is in this state.')
        self.force('q-busy', 1)
        self.wall.advance(5)
        self.assertFault(self.force('q-idle-1', 2), 400,
                         f"Migration 2 state of instance {UUIDS['q-idle-1']} "
                         'is preparing. Cannot force complete while the '
                         'migration is in this state.')

    def test_abort_queued_needs_265_and_frees_nothing(self):
        self.assertFault(self.abort('q-idle-1', 2, '2.64'), 400,
                         f"Migration 2 state of instance {UUIDS['q-idle-1']} "
                         'is queued. Cannot abort live migration while the '
                         'migration is in this state.')
        self.assertEqual(202, self.abort('q-idle-1', 2, '2.65').status_int)
        self.wall.advance(simulator.ABORT_SECONDS)
        self.assertEqual({1: 'running', 2: 'cancelled', 3: 'queued',
                          4: 'queued'},
                         {key: item['status']
                          for key, item in self.statuses().items()})
        # the running one ends: 3, not the cancelled 2, takes the worker
        # (forced 4 s into its first pass: 2.9 s of copy, 1 s of post)
        self.force('q-busy', 1)
        self.wall.advance(4.5)
        self.assertEqual(('completed', 'cancelled', 'preparing', 'queued'),
                         tuple(self.status_of(key) for key in (1, 2, 3, 4)))

    def test_abort_preparing_keeps_the_worker_until_rolled_back(self):
        self.force('q-busy', 1)
        self.wall.advance(5)
        self.assertEqual('preparing', self.status_of(2))
        self.assertFault(self.abort('q-idle-1', 2, '2.64'), 400,
                         f"Migration 2 state of instance {UUIDS['q-idle-1']} "
                         'is preparing. Cannot abort live migration while '
                         'the migration is in this state.')
        self.assertEqual(202, self.abort('q-idle-1', 2, '2.65').status_int)
        self.assertEqual('preparing', self.status_of(2))
        self.assertEqual('queued', self.status_of(3))
        self.wall.advance(1.0 + simulator.ABORT_SECONDS)
        self.assertEqual(('cancelled', 'preparing'),
                         (self.status_of(2), self.status_of(3)))
        server = json.loads(self.compute(
            'GET', f"/servers/{UUIDS['q-idle-1']}",
            version='2.80').body)['server']
        self.assertEqual(('ACTIVE', 'compute-1'),
                         (server['status'], server['OS-EXT-SRV-ATTR:host']))

    def test_idle_guests_follow_each_other_once_the_busy_one_is_forced(self):
        self.force('q-busy', 1)
        for _ in range(40):
            self.wall.advance(1)
            if all(self.status_of(key) == 'completed'
                   for key in (1, 2, 3, 4)):
                break
            running = [key for key in (1, 2, 3, 4)
                       if self.status_of(key) in ('preparing', 'running')]
            self.assertLessEqual(len(running), 1, running)
        self.assertEqual(['completed'] * 4,
                         [self.status_of(key) for key in (1, 2, 3, 4)])
        for name in NAMES:
            server = json.loads(self.compute(
                'GET', f'/servers/{UUIDS[name]}',
                version='2.80').body)['server']
            self.assertEqual('compute-2', server['OS-EXT-SRV-ATTR:host'])


class TestHarnessEndings(QueueTestCase):
    """The control API's endings free the worker like Nova's do."""

    def setUp(self):
        super().setUp()
        from novaclient_force.refserver import app as app_mod
        self.app = app_mod.RefServerApp(self.services, types.SimpleNamespace(
            name='queue', **vars(self.make_scenario())))

    def control(self, path):
        req = base.webob.Request.blank('/_refserver/' + path, method='POST')
        req.remote_addr = '127.0.0.1'
        resp = req.get_response(self.app)
        self.assertEqual(200, resp.status_int, resp.body)

    def test_a_failed_job_lets_the_next_one_start(self):
        self.control('migrations/1/fail')
        self.assertEqual('queued', self.status_of(2))
        self.wall.advance(simulator.ROLLBACK_SECONDS + 0.5)
        self.assertEqual(('failed', 'preparing', 'queued'),
                         tuple(self.status_of(key) for key in (1, 2, 3)))

    def test_a_converging_guest_lets_the_next_one_start(self):
        self.control('migrations/1/converge')
        self.wall.advance(5)
        self.assertEqual(('completed', 'preparing'),
                         (self.status_of(1), self.status_of(2)))


class TestEvacuationForcedAtLimit4(QueueTestCase):
    """``host-evacuation`` at max_concurrent_live_migrations 4, each
    migration forced as soon as it runs: the migrations end (and are
    written) in an order of their own, and every view must still agree
    on each one's status at each instant, and on what it has sent."""

    STEP = 0.5

    def make_scenario(self):
        return dataclasses.replace(scenarios.host_evacuation(12),
                                   max_concurrent_live_migrations=4)

    def control_views(self):
        req = base.webob.Request.blank('/_refserver/migrations')
        req.remote_addr = '127.0.0.1'
        resp = req.get_response(app_mod.RefServerApp(
            self.services, self.make_scenario()))
        self.assertEqual(200, resp.status_int, resp.body)
        return {item['id']: item
                for item in json.loads(resp.body)['migrations']}

    def test_views_agree_and_forcing_all_empties_the_host(self):
        forced, sent = set(), {}
        for _ in range(120):
            listed = self.statuses('2.80')
            truth = self.control_views()
            self.assertEqual(
                {key: item['status'] for key, item in listed.items()},
                {key: item['status'] for key, item in truth.items()})
            for key, item in truth.items():
                now = item['ground_truth']['bytes_sent']
                # never faster than the whole link, let alone its share
                self.assertLessEqual(
                    now - sent.get(key, now),
                    scenarios.DEFAULT_BANDWIDTH * self.STEP, key)
                sent[key] = now
            for key, item in listed.items():
                if item['status'] == 'running' and key not in forced:
                    resp = self.compute(
                        'POST', f"/servers/{item['instance_uuid']}/"
                        f'migrations/{key}/action', FORCE, version='2.22')
                    self.assertEqual(202, resp.status_int, resp.body)
                    forced.add(key)
            if not any(item['status'] in ('queued', 'preparing', 'running')
                       for item in listed.values()):
                break
            self.wall.advance(self.STEP)
        self.assertEqual({'completed'}, {
            item['status'] for item in self.control_views().values()})
