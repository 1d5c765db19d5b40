"""Write a scenario into a new state: identity, hosts, servers, migrations.

Only a state without data is seeded; a ``--state`` file that already holds
state is resumed as it is. Host IPs come from TEST-NET-2 (RFC 5737) so
they can never collide with a real address.
"""

import dataclasses
import json

from novaclient_force.refserver.state import accounts, flavors, live_migrate

SERVER_AGE = 86400.0        # scenario servers were booted a day ago
TERMINAL = ('completed', 'cancelled', 'failed', 'error')


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who a seeded action is recorded for (the cloud admin)."""

    request_id: str
    user_id: str = accounts.user_id('admin')
    project_id: str = accounts.project_id('admin')


def seed(store, scenario):
    """Seed ``store`` from ``scenario`` unless it already holds state."""
    now = store.now()
    with store.transaction() as db:
        if db.one("SELECT 1 FROM meta WHERE key = 'seeded'") is not None:
            return False
        with db.indexes_after():
            _seed(db, scenario, now)
    return True


def reset(store, scenario):
    """Back to ``scenario`` as if just started (tokens stay valid; the
    clock keeps running: migrations start ``started_ago`` before now)."""
    def reseed(db):
        with db.indexes_after():
            _seed(db, scenario, store.now())

    store.reset(reseed)


def _seed(db, scenario, now):
    accounts.seed(
        db, users=[(user.name, user.password, list(user.roles))
                   for user in scenario.users],
        projects=list(scenario.projects))
    db.execute('INSERT INTO meta VALUES (?, ?)', 'default_bandwidth',
               repr(float(scenario.default_bandwidth)))
    db.execute('INSERT INTO meta VALUES (?, ?)', 'config', json.dumps(
        dataclasses.asdict(scenario.config), sort_keys=True))
    db.execute('INSERT INTO meta VALUES (?, ?)',
               'max_concurrent_live_migrations',
               str(scenario.max_concurrent_live_migrations))
    for host in scenario.hosts:
        db.insert('hosts', name=host.name,
                  permit_post_copy=int(host.permit_post_copy))
    for link in scenario.links:
        db.insert('links', src=link.src, dest=link.dest,
                  bandwidth=float(link.bandwidth), shared=int(link.shared))
    owners, rows = {}, []
    for index, server in enumerate(scenario.servers):
        rows.append(_server_row(db, server, now - SERVER_AGE + index,
                                owners))
    # A migration names its server by UUID, or by a name no other server
    # has (scenario files check this); the built-in ones by name.
    by_reference = {}
    for row in rows:
        by_reference.setdefault(row['uuid'], row)
        by_reference.setdefault(row['name'], row)
    params, starts, moves = {}, [], []
    for index, migration in enumerate(scenario.migrations):
        server = by_reference[migration.server]
        if migration.status in TERMINAL:
            # In the scenario's order: IDs are given as they come.
            moves += live_migrate.create_migrations(db, starts)
            starts = []
            _add_history(db, migration, server, now, index)
        else:
            starts.append(_start(db, migration, server, params, now,
                                 index))
    moves += live_migrate.create_migrations(db, starts)
    # The servers are written last, already migrating: one row each, not
    # a row and then an update.
    by_uuid = {row['uuid']: row for row in rows}
    for migration_id, at, server_uuid in moves:
        by_uuid[server_uuid].update(task_state='migrating',
                                    active_migration=migration_id,
                                    updated=at)
    if rows:
        db.insert_many('servers', rows)
    db.execute("INSERT INTO meta VALUES ('seeded', '1')")


def _owner(db, project_name, owners):
    """The IDs of ``project_name`` and of its first non-admin member
    (admin if none), looked up once per project."""
    if project_name not in owners:
        project = accounts.project_id(project_name)
        owner = db.one('SELECT user_id FROM assignments WHERE project_id = '
                       "? AND role != 'admin' ORDER BY user_id LIMIT 1",
                       project)
        owners[project_name] = (project, owner['user_id'] if owner
                                else accounts.user_id('admin'))
    return owners[project_name]


def _server_row(db, server, created, owners):
    flavor = flavors.for_memory(server.memory_bytes)
    project, owner = _owner(db, server.project, owners)
    return dict(
        uuid=server.uuid, name=server.name, project_id=project,
        user_id=owner,
        host=server.host, node=server.host, vm_state=server.vm_state,
        task_state=None,
        power_state={'active': 1, 'paused': 3, 'suspended': 7}.get(
            server.vm_state, 4),
        locked=int(bool(server.locked)),
        locked_by='owner' if server.locked else None,
        locked_reason=None, memory_bytes=server.memory_bytes,
        disk_bytes=server.disk_bytes, dirty_rate=float(server.dirty_rate),
        working_set=server.working_set_bytes, vcpus=flavor.vcpus,
        created=created, updated=created,
        launched_at=created + 30, active_migration=None)


def _actor(index):
    return Actor(f"req-{accounts.stable_uuid(f'seed-action-{index:d}')}")


def _add_history(db, migration, server, now, index):
    """A migration that ended before the scenario starts."""
    started = now - migration.started_ago
    actor = _actor(index)
    flavor_id = flavors.for_memory(server['memory_bytes']).id
    db.insert(
        'migrations', uuid=migration.uuid or live_migrate.new_uuid(),
        instance_uuid=server['uuid'], migration_type='live-migration',
        source_compute=server['host'], source_node=server['node'],
        dest_compute=migration.dest, dest_node=migration.dest,
        dest_host=None, status=migration.status, final=1,
        created_at=started, updated_at=started, user_id=actor.user_id,
        project_id=actor.project_id, old_instance_type_id=flavor_id,
        new_instance_type_id=flavor_id,
        **({'id': migration.id} if migration.id else {}))


def _start(db, migration, server, params, now, index):
    """A running migration to create; ``params`` keeps the simulator
    inputs already built for a workload and route (a cloud has few)."""
    route = (server['host'], migration.dest, server['memory_bytes'],
             server['dirty_rate'], server['working_set'],
             server['disk_bytes'], migration.block_migration)
    if route not in params:
        # A scenario's migration runs the workload it declares, paused
        # guest or not (the built-in test scenarios keep a paused guest
        # whose migration never converges).
        params[route] = live_migrate.build_params(
            db, server, migration.dest, migration.block_migration,
            paused_idle=False)
    return live_migrate.Start(server, migration.dest, params[route],
                           _actor(index), now - migration.started_ago,
                           migration.uuid, migration.id)
