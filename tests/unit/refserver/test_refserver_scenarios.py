"""Tests for built-in scenarios and scenario files."""

import os
import re
import uuid

import fixtures

from novaclient_force.refserver.state import scenarios, simulator
from tests import testcase

GIB = simulator.GIB
TOP = os.path.join(os.path.dirname(__file__), '..', '..', '..')
DOCS = os.path.join(TOP, 'doc', 'source', 'scenarios.rst')
README = os.path.join(TOP, 'README.rst')


def params_for(scenario, server_name, force=False):
    """Simulator inputs for a migration of ``server_name`` as declared."""
    server = {s.name: s for s in scenario.servers}[server_name]
    host = {h.name: h for h in scenario.hosts}[server.host]
    return simulator.MigrationParams(
        memory_bytes=server.memory_bytes, dirty_rate=server.dirty_rate,
        bandwidth=scenario.default_bandwidth,
        permit_post_copy=host.permit_post_copy, config=scenario.config)


class TestBuiltins(testcase.TestCase):

    def test_stuck_migration_layout(self):
        scenario = scenarios.load('stuck-migration')
        self.assertEqual(('compute-1', 'compute-2', 'compute-3'),
                         tuple(host.name for host in scenario.hosts))
        by_name = {server.name: server for server in scenario.servers}
        self.assertEqual({'busy-vm', 'busy-vm-2', 'idle-vm'}, set(by_name))
        for server in by_name.values():
            self.assertEqual(('demo', 'compute-1', 'active'),
                             (server.project, server.host, server.vm_state))
        (migration,) = scenario.migrations
        self.assertEqual(('busy-vm', 'compute-2', 'running', 1),
                         (migration.server, migration.dest,
                          migration.status, migration.id))

    def test_uuids_are_uuid5_of_the_name(self):
        scenario = scenarios.load('stuck-migration')
        again = scenarios.load('stuck-migration')
        self.assertEqual(scenario, again)
        server = scenario.servers[0]
        self.assertEqual(5, uuid.UUID(server.uuid).version)
        self.assertNotEqual(scenario.servers[0].uuid,
                            scenario.servers[1].uuid)

    def test_busy_vm_is_stuck_but_forcing_takes_seconds(self):
        scenario = scenarios.load('stuck-migration')
        params = params_for(scenario, 'busy-vm')
        started_ago = scenario.migrations[0].started_ago
        self.assertEqual('running',
                         simulator.state_at(params, started_ago).status)
        # still running an hour later if the timeout is off
        endless = simulator.MigrationParams(
            **dict(vars(params), config=simulator.LiveMigrationConfig(
                completion_timeout=0)))
        self.assertEqual('running',
                         simulator.state_at(endless, 3600.0).status)
        forced = simulator.state_at(params, started_ago + 60,
                                    force_complete_at=started_ago)
        self.assertEqual('completed', forced.status)
        self.assertLess(forced.finished_at - started_ago, 10)
        self.assertGreater(forced.finished_at - started_ago, 2)

    def test_busy_vm_2_same_workload_no_migration(self):
        scenario = scenarios.load('stuck-migration')
        self.assertEqual(params_for(scenario, 'busy-vm'),
                         params_for(scenario, 'busy-vm-2'))
        self.assertEqual(['busy-vm'],
                         [m.server for m in scenario.migrations])

    def test_idle_vm_converges_in_a_few_seconds(self):
        scenario = scenarios.load('stuck-migration')
        state = simulator.state_at(params_for(scenario, 'idle-vm'), 30.0)
        self.assertEqual(('completed', 'converged'),
                         (state.status, state.ended_by))
        self.assertLess(state.finished_at, 10)

    def test_host_maintenance_default_and_override(self):
        scenario = scenarios.load('host-maintenance')
        self.assertEqual(20, len(scenario.servers))
        self.assertEqual('maint-vm-001', scenario.servers[0].name)
        big = scenarios.load('host-maintenance', servers=1000)
        self.assertEqual(1000, len(big.migrations))
        self.assertEqual(list(range(1, 1001)),
                         [m.id for m in big.migrations])
        self.assertEqual({'compute-1'}, {s.host for s in big.servers})
        self.assertEqual({'compute-2', 'compute-3'},
                         {m.dest for m in big.migrations})
        self.assertEqual(1000, len({s.uuid for s in big.servers}))
        self.assertEqual(1000, len({m.uuid for m in big.migrations}))
        self.assertEqual(scenario.servers[5], big.servers[5])
        state = simulator.state_at(
            params_for(big, 'maint-vm-777'), big.migrations[776].started_ago)
        self.assertEqual('running', state.status)

    def test_host_maintenance_runs_every_migration_at_once(self):
        self.assertEqual(
            0, scenarios.load('host-maintenance')
            .max_concurrent_live_migrations)
        self.assertEqual(
            1, scenarios.load('stuck-migration')
            .max_concurrent_live_migrations)

    def test_host_evacuation_mixes_workloads_under_nova_default(self):
        scenario = scenarios.load('host-evacuation')
        self.assertEqual(1, scenario.max_concurrent_live_migrations)
        self.assertEqual(12, len(scenario.servers))
        self.assertEqual({'compute-1'}, {s.host for s in scenario.servers})
        self.assertEqual(list(range(1, 13)),
                         [m.id for m in scenario.migrations])
        self.assertEqual({5.0}, {m.started_ago for m in scenario.migrations})
        self.assertEqual(['compute-2', 'compute-3'] * 6,
                         [m.dest for m in scenario.migrations])
        endings = []
        for server in scenario.servers[:3]:
            alone = simulator.state_at(params_for(scenario, server.name),
                                       600.0)
            endings.append(alone.status)
        self.assertEqual(['running', 'completed', 'completed'], endings)
        # the active workload needs the whole link: on a quarter of it
        # (four at once on one link) it would never converge
        active = params_for(scenario, 'evac-vm-003')
        quarter = simulator.MigrationParams(**dict(
            vars(active), bandwidth=active.bandwidth / 4))
        self.assertEqual('running', simulator.state_at(quarter, 600).status)
        self.assertEqual(40, len(scenarios.load('host-evacuation',
                                                servers=40).servers))

    def test_empty(self):
        scenario = scenarios.load('empty')
        self.assertEqual((), scenario.servers)
        self.assertEqual(3, len(scenario.hosts))

    def test_servers_only_for_scaling_scenarios(self):
        error = self.assertRaises(scenarios.ScenarioError, scenarios.load,
                                  'stuck-migration', servers=5)
        self.assertIn('--servers', str(error))
        for bad in (0, -1, True):
            self.assertRaises(scenarios.ScenarioError, scenarios.load,
                              'host-maintenance', servers=bad)

    def test_unknown_name(self):
        error = self.assertRaises(scenarios.ScenarioError, scenarios.load,
                                  'no-such-scenario')
        self.assertIn('stuck-migration', str(error))
        self.assertNotIn('\n', str(error))


MINIMAL = '''
hosts: [a, b]
servers:
  - {name: vm, host: a, memory: 1GiB}
migrations:
  - {server: vm, dest: b}
'''


class FilesCase(testcase.TestCase):
    """Scenario files written in a temporary directory (no tests of its
    own, so that subclasses do not run TestFiles' again)."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def write(self, text, name='scenario.yaml'):
        path = os.path.join(self.dir, name)
        with open(path, 'w', encoding='utf-8') as stream:
            stream.write(text)
        return path

    def error(self, text, servers=None):
        path = self.write(text)
        error = self.assertRaises(scenarios.ScenarioError, scenarios.load,
                                  path, servers=servers)
        message = str(error)
        self.assertNotIn('\n', message)
        self.assertTrue(message.startswith(path + ': '), message)
        return message


class TestFiles(FilesCase):

    def test_documented_example_loads(self):
        with open(DOCS, encoding='utf-8') as stream:
            text = stream.read()
        block = re.search(r'\.\. code-block:: yaml\n\n((?:    .*\n|\n)+)',
                          text).group(1)
        example = '\n'.join(line[4:] for line in block.splitlines())
        scenario = scenarios.load(self.write(example), servers=3)
        self.assertEqual('drain-test', scenario.name)
        servers = {server.name: server for server in scenario.servers}
        self.assertEqual({'db-1', 'web-1', 'batch-001', 'batch-002',
                          'batch-003'}, set(servers))
        self.assertEqual(16 * GIB, servers['db-1'].memory_bytes)
        self.assertEqual(3e9, servers['db-1'].dirty_rate)
        self.assertEqual(4 * GIB, servers['db-1'].working_set_bytes)
        self.assertIsNone(servers['web-1'].working_set_bytes)
        self.assertEqual(40 * GIB, servers['db-1'].disk_bytes)
        self.assertEqual('ops', servers['db-1'].project)
        self.assertEqual(scenarios.server_uuid('batch-002'),
                         servers['batch-002'].uuid)
        self.assertEqual(1.25e9, scenario.default_bandwidth)
        self.assertEqual([('compute-1', 'compute-3', 1.25e8)],
                         [(link.src, link.dest, link.bandwidth)
                          for link in scenario.links])
        self.assertEqual([False, True, False],
                         [host.permit_post_copy for host in scenario.hosts])
        self.assertEqual((('manager', 'ops'),), scenario.users[0].roles)
        self.assertEqual(['compute-2', 'compute-3', 'compute-2',
                          'compute-3', 'compute-2'],
                         [m.dest for m in scenario.migrations])
        self.assertTrue(scenario.migrations[0].block_migration)
        self.assertEqual(simulator.LiveMigrationConfig(), scenario.config)
        self.assertEqual(1, scenario.max_concurrent_live_migrations)

    def test_readme_example_loads(self):
        with open(README, encoding='utf-8') as stream:
            text = stream.read()
        block = re.search(r'optional::\n\n((?:    .*\n|\n)+)', text).group(1)
        example = '\n'.join(line[4:] for line in block.splitlines())
        scenario = scenarios.load(self.write(example))
        self.assertEqual(['compute-1', 'compute-2'],
                         [host.name for host in scenario.hosts])
        (server,) = scenario.servers
        self.assertEqual(('db-1', 16 * GIB, 3e9), (
            server.name, server.memory_bytes, server.dirty_rate))
        (migration,) = scenario.migrations
        self.assertEqual(('db-1', 'compute-2', 'running', 300.0), (
            migration.server, migration.dest, migration.status,
            migration.started_ago))
        self.assertEqual('force_complete', scenario.config.timeout_action)

    def test_minimal_file_and_defaults(self):
        scenario = scenarios.load(self.write(MINIMAL))
        self.assertEqual('scenario.yaml', scenario.name)
        (server,) = scenario.servers
        self.assertEqual(('demo', scenarios.IDLE_DIRTY_RATE, GIB),
                         (server.project, server.dirty_rate,
                          server.memory_bytes))
        (migration,) = scenario.migrations
        self.assertEqual(('running', 60.0), (migration.status,
                                             migration.started_ago))
        self.assertEqual(5, uuid.UUID(migration.uuid).version)
        self.assertEqual(scenario, scenarios.load(self.write(MINIMAL)))

    def test_empty_file_every_section_optional(self):
        for text in ('', '# nothing yet\n'):
            scenario = scenarios.load(self.write(text))
            self.assertEqual(('scenario.yaml', (), [], []), (
                scenario.name, scenario.hosts, list(scenario.servers),
                list(scenario.migrations)))

    def test_config_uses_nova_option_names(self):
        scenario = scenarios.load(self.write(
            'config:\n  live_migration_completion_timeout: 0\n'
            '  live_migration_timeout_action: force_complete\n'))
        self.assertEqual(0, scenario.config.completion_timeout)
        self.assertEqual('force_complete', scenario.config.timeout_action)
        self.assertEqual(1, scenario.max_concurrent_live_migrations)
        unlimited = scenarios.load(self.write(
            'config: {max_concurrent_live_migrations: 0}\n'))
        self.assertEqual(0, unlimited.max_concurrent_live_migrations)

    def test_one_line_errors(self):
        cases = [
            ('hosts: [a]\nservers: [{name: v, host: z, memory: 1GiB}]\n',
             "servers[0].host: unknown host 'z'"),
            ('servers: 5\n', 'servers: must be a list'),
            ('hosts: [a, a]\n', "hosts: duplicate 'a'"),
            ('bogus: 1\n', "unknown key 'bogus'"),
            ('config: {live_migration_downtime: 10}\n',
             'config: downtime_ms must be >= 100'),
            ('config: {max_concurrent_live_migrations: -1}\n',
             'config.max_concurrent_live_migrations: must be an integer '
             '>= 0 (0: no limit)'),
            ('config: {max_concurrent_live_migrations: two}\n',
             'config.max_concurrent_live_migrations: must be an integer'),
            ('config: {live_migration_timeout_action: pause}\n',
             'timeout_action must be one of abort, force_complete'),
            ('hosts: [a]\nservers: [{name: v, host: a, memory: lots}]\n',
             'servers[0].memory: must be a size like 4GiB'),
            ('hosts: [a]\nservers: [{name: v, host: a, memory: 1GiB,'
             ' workload: frantic}]\n', "unknown workload 'frantic'"),
            ('hosts: [a]\nservers: [{name: v, host: a, memory: 1GiB,'
             ' project: nope}]\n', "unknown project 'nope'"),
            (MINIMAL.replace('dest: b', 'dest: a'), "already on 'a'"),
            (MINIMAL + '  - {server: vm, dest: b}\n',
             'already has a running migration'),
            (MINIMAL.replace('dest: b}', 'dest: b, block_migration: true}'),
             'has no local disk'),
            (MINIMAL.replace('dest: b}', 'dest: b, status: paused}'),
             'status: must be one of'),
            (MINIMAL.replace('memory: 1GiB', 'memory: 1GiB, vm_state: '
                             'stopped'), 'only active or paused'),
            (MINIMAL + '  - {server: vm, dest: b, status: completed,'
             ' id: 3}\n', 'give an id to every migration or to none'),
            ('hosts: [a\n', 'not valid YAML'),
            ('- 1\n', 'must be a mapping'),
        ]
        for text, expected in cases:
            self.assertIn(expected, self.error(text))

    def test_servers_needs_a_scale_section(self):
        self.assertIn('scale', self.error(MINIMAL, servers=4))

    def test_unreadable_file(self):
        path = os.path.join(self.dir, 'binary.yaml')
        with open(path, 'wb') as stream:
            stream.write(b'name: \xff\xfe\n')
        error = self.assertRaises(scenarios.ScenarioError, scenarios.load,
                                  path)
        self.assertIn('cannot read', str(error))


class TestHostsAndNames(FilesCase):
    """A file may leave its hosts implied, and name servers as Nova lets
    users name them: the same name twice, in one project or two."""

    def seeded_servers(self, text):
        """(uuid, task_state) of each server the file seeds, in order."""
        from novaclient_force.refserver.state import seed
        from novaclient_force.refserver.state import store as store_mod

        store = store_mod.Store()
        self.addCleanup(store.close)
        seed.seed(store, scenarios.load(self.write(text)))
        with store.transaction() as db:
            return [(row['uuid'], row['task_state']) for row in db.all(
                'SELECT uuid, task_state FROM servers ORDER BY created')]

    def test_hosts_from_servers_and_migrations(self):
        scenario = scenarios.load(self.write(
            'servers:\n'
            '  - {name: vm, host: compute-1, memory: 1GiB}\n'
            '  - {name: db, host: compute-7, memory: 1GiB}\n'
            'migrations:\n'
            '  - {server: vm, dest: compute-2}\n'
            'scale:\n'
            '  prefix: batch-\n'
            '  count: 2\n'
            '  server: {host: compute-3, memory: 1GiB}\n'
            '  migrate_to: [compute-4, compute-1]\n'))
        self.assertEqual(
            ['compute-1', 'compute-7', 'compute-3', 'compute-2',
             'compute-4'], [host.name for host in scenario.hosts])
        self.assertEqual(['compute-2', 'compute-4', 'compute-1'],
                         [m.dest for m in scenario.migrations])

    def test_declared_hosts_are_still_the_only_ones(self):
        self.assertIn("servers[0].host: unknown host 'compute-1'",
                      self.error('hosts: [a]\nservers: [{name: v, host: '
                                 'compute-1, memory: 1GiB}]\n'))

    def test_a_malformed_host_is_refused_where_it_stands(self):
        self.assertIn('servers[0].host: must be a non-empty string',
                      self.error('servers: [{name: v, host: [a], '
                                 'memory: 1GiB}]\n'))

    def test_duplicate_names_in_one_project_and_across_projects(self):
        scenario = scenarios.load(self.write(
            'servers:\n'
            '  - {name: vm, host: a, memory: 1GiB}\n'
            '  - {name: vm, host: a, memory: 1GiB}\n'
            '  - {name: vm, host: b, memory: 1GiB, project: alt_demo}\n'
            '  - {name: web, host: b, memory: 1GiB}\n'))
        self.assertEqual(
            [scenarios.server_uuid('vm'), scenarios.server_uuid('vm#2'),
             scenarios.server_uuid('vm#3'), scenarios.server_uuid('web')],
            [server.uuid for server in scenario.servers])
        self.assertEqual(['demo', 'demo', 'alt_demo', 'demo'],
                         [server.project for server in scenario.servers])

    def test_a_shared_name_is_migrated_by_uuid(self):
        second = scenarios.server_uuid('vm#2')
        text = ('servers:\n'
                '  - {name: vm, host: a, memory: 1GiB}\n'
                '  - {name: vm, host: a, memory: 1GiB}\n'
                'migrations:\n'
                '  - {server: SERVER, dest: b}\n')
        self.assertIn("migration of 'vm'.server: 2 servers are named 'vm': "
                      'give its uuid',
                      self.error(text.replace('SERVER', 'vm')))
        self.assertEqual(
            [(scenarios.server_uuid('vm'), None), (second, 'migrating')],
            self.seeded_servers(text.replace('SERVER', second)))

    def test_a_uuid_given_twice_is_still_refused(self):
        given = scenarios.server_uuid('x')
        line = f'{{host: a, memory: 1GiB, uuid: {given}}}'
        self.assertIn(f"servers: duplicate '{given}'", self.error(
            f'servers:\n  - {line}\n  - {line}\n'.replace(
                '{', '{name: vm, ')))
