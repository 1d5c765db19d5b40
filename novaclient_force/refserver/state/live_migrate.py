"""Starting live migrations, as the API, the conductor and the source
compute do before the simulator takes over (:mod:`.lifecycle`).

``nova/compute/api.py`` (``API.live_migrate``) records the
``live-migration`` action, ``nova/conductor/tasks/live_migrate.py``
(``LiveMigrationTask``) checks the destination and creates the migration
as ``accepted``, and the source compute
(``ComputeManager.live_migration``) queues it. A conductor check that
fails leaves the migration ``error`` (:func:`fail_prechecks`).
"""

import dataclasses
import json
import uuid

from novaclient_force.refserver.state import (
    actions,
    flavors,
    lifecycle,
    services,
    simulator,
)

CONDUCTOR_HOST = 'controller'
#: The conductor's event from 2.34, when the API casts to
#: ``ComputeTaskManager.live_migrate_instance``; before, it calls
#: ``migrate_server`` and waits (``nova/conductor/api.py``,
#: ``ComputeTaskAPI.live_migrate_instance``, ``async_``). Both are
#: ``wrap_instance_event(prefix='conductor')``.
CONDUCTOR_EVENT = 'conductor_live_migrate_instance'
CONDUCTOR_EVENT_BEFORE_2_34 = 'conductor_migrate_server'

#: The events a live migration has once the source compute has queued it,
#: after the conductor's, in order, each finished when its action starts:
#: ``LiveMigrationTask._execute`` has the destination check itself, and
#: the source from there, then casts ``live_migration`` to the source,
#: which only hands the job to a thread. ``compute_pre_live_migration``
#: comes when the job gets a worker (:mod:`.lifecycle`). Written by
#: SQLite from the migrations just created, three rows for each.
_STARTING_EVENTS = """
WITH steps (number, event, place) AS (VALUES
    (1, 'compute_check_can_live_migrate_destination', 'dest'),
    (2, 'compute_check_can_live_migrate_source', 'source'),
    (3, 'compute_live_migration', 'source'))
INSERT INTO events (action_id, event, start_time, finish_time, result, host)
SELECT m.action_id, steps.event, m.created_at, m.created_at, 'Success',
       CASE steps.place WHEN 'source' THEN m.source_compute
                        ELSE m.dest_compute END
FROM migrations AS m CROSS JOIN steps
WHERE m.id BETWEEN ? AND ? AND m.action_id >= ?
ORDER BY m.id, steps.number
"""


def new_uuid():
    return str(uuid.uuid4())


@dataclasses.dataclass(frozen=True)
class Start:
    """One live migration to create: on ``server`` (its row) to ``dest``,
    requested by ``context`` at ``at``."""

    server: dict
    dest: str
    params: simulator.MigrationParams
    context: object
    at: float
    migration_uuid: str | None = None
    migration_id: int | None = None
    conductor_event: str = CONDUCTOR_EVENT


def start(db, server, dest, params, context, at,
          conductor_event=CONDUCTOR_EVENT):
    """Create one live migration (:func:`start_many`); returns its ID."""
    return start_many(db, [Start(server, dest, params, context, at,
                                 conductor_event=conductor_event)])[0]


def _next_id(db, table):
    """The ID ``AUTOINCREMENT`` would give the next row of ``table``."""
    row = db.one('SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence '
                 'WHERE name = ?), 0), COALESCE(MAX(id), 0)) AS top '
                 f'FROM {table}', table)
    return row['top'] + 1


def start_many(db, starts):
    """Create live migrations the way the conductor and computes do, in
    a few statements whatever their number (a scenario seeds thousands),
    and mark their servers migrating; returns the migrations' IDs."""
    moves = create_migrations(db, starts)
    db.executemany("UPDATE servers SET task_state = 'migrating', "
                   'active_migration = ?, updated = ? WHERE uuid = ?',
                   moves)
    return [migration_id for migration_id, _, _ in moves]


def create_migrations(db, starts):
    """The migrations, actions and events of :func:`start_many`, without
    marking the servers migrating; returns ``(migration ID, time, server
    UUID)`` for each, for the caller to mark them (the seeding writes its
    servers afterwards, already marked).

    ``dest_host`` (the destination's IP) stays null: the conductor
    (``ComputeTaskManager._live_migrate``, ``LiveMigrationTask._execute``)
    sets only ``dest_compute``/``dest_node``, and the resource tracker
    fills ``dest_host`` in (``_claim_existing_migration``) only for the
    claim of a NUMA live migration, which these servers never are.
    """
    first_action = action_id = _next_id(db, 'actions')
    next_migration = _next_id(db, 'migrations')
    actions, migrations, moves = [], [], []
    for item in starts:
        server, dest, at = item.server, item.dest, item.at
        source = server['host']
        flavor_id = flavors.for_memory(server['memory_bytes']).id
        actions.append(dict(
            id=action_id, instance_uuid=server['uuid'],
            action='live-migration', request_id=item.context.request_id,
            user_id=item.context.user_id,
            project_id=item.context.project_id, start_time=at,
            updated_at=at))
        migration_id = (next_migration if item.migration_id is None
                        else item.migration_id)
        next_migration = max(next_migration, migration_id + 1)
        migrations.append(dict(
            id=migration_id, uuid=item.migration_uuid or new_uuid(),
            instance_uuid=server['uuid'], migration_type='live-migration',
            source_compute=source, source_node=server['node'],
            dest_compute=dest, dest_node=dest, dest_host=None,
            status='accepted', final=0, created_at=at, updated_at=at,
            user_id=item.context.user_id,
            project_id=item.context.project_id,
            old_instance_type_id=flavor_id,
            new_instance_type_id=flavor_id,
            params=lifecycle.params_json(item.params), action_id=action_id))
        moves.append((migration_id, at, server['uuid']))
        action_id += 1
    if not starts:
        return []
    # The action's events are all finished: its updated_at is its start.
    db.insert_many('actions', actions)
    db.insert_many('migrations', migrations)
    # The conductor's event first: it is the first to start.
    db.insert_many('events', [dict(
        action_id=action['id'], event=item.conductor_event,
        start_time=item.at, finish_time=item.at, result='Success',
        host=CONDUCTOR_HOST)
        for action, item in zip(actions, starts, strict=True)])
    ids = [row['id'] for row in migrations]
    db.execute(_STARTING_EVENTS, min(ids), max(ids), first_action)
    return moves


def build_params(db, server, dest, block_migration=False, paused_idle=True):
    """Simulator inputs from the server's workload and the hosts' link;
    ``paused_idle``: a paused guest dirties nothing (see below)."""
    link = db.one('SELECT bandwidth, shared FROM links '
                  'WHERE src = ? AND dest = ?', server['host'], dest)
    if link is None:
        link = db.one("SELECT value AS bandwidth, 1 AS shared FROM meta "
                      "WHERE key = 'default_bandwidth'")
    host = db.one('SELECT permit_post_copy FROM hosts WHERE name = ?',
                  server['host'])
    config = json.loads(db.one(
        "SELECT value FROM meta WHERE key = 'config'")['value'])
    # A paused guest's vCPUs are stopped: it dirties no memory, so its
    # copy converges in one round (Nova live-migrates PAUSED servers,
    # nova/compute/api.py ``live_migrate``).
    return simulator.MigrationParams(
        memory_bytes=server['memory_bytes'],
        dirty_rate=(0.0 if paused_idle and server['vm_state'] == 'paused'
                    else server['dirty_rate']),
        working_set_bytes=server['working_set'],
        bandwidth=float(link['bandwidth']),
        shared_link=bool(link['shared']),
        disk_bytes=server['disk_bytes'] if block_migration else 0,
        permit_post_copy=bool(host and host['permit_post_copy']),
        config=simulator.LiveMigrationConfig(**config))




def destination(db, server, host, forced_host):
    """(destination, None) or (None, the conductor's failure message).

    A forced host only has to differ from the source
    (``LiveMigrationTask._check_destination_is_not_source``); otherwise the
    scheduler picks among the other hosts, or checks the named one, never
    the source (``_find_destination`` ignores it): no host is
    ``NoValidHost``.
    """
    if forced_host == server['host']:
        return None, (f"Unable to migrate instance ({server['uuid']}) to "
                      f'current host ({forced_host}).')
    if forced_host:
        return forced_host, None
    chosen = services.schedule(db, server['host'], host)
    if chosen is None:
        return None, ('No valid host was found. There are not enough hosts '
                      'available.')
    return chosen, None


def fail_prechecks(db, server, forced_host, message, event, context, now):
    """What a failed conductor check leaves (``conductor/manager.py``,
    ``ComputeTaskManager._live_migrate``): the migration it created
    (``dest_compute`` = the host it was given, no nodes yet) set to
    ``error``; the server's task state back to None, vm_state unchanged;
    the conductor's ``event`` an ``Error``, with the exception's message
    as its details (``InstanceActionEvent.pack_action_event_finish``)."""
    action_id = actions.add_action(db, server['uuid'], 'live-migration',
                                   context, now)
    actions.add_event(db, action_id, event, now, CONDUCTOR_HOST,
                      result='Error')
    exception = ('UnableToMigrateToSelf' if message.startswith('Unable')
                 else 'NoValidHost')
    actions.fail_events(
        db, action_id,
        'Traceback (most recent call last):\n'
        '  File "nova/conductor/manager.py", in _live_migrate\n'
        '  File "nova/conductor/tasks/live_migrate.py", in _execute\n'
        f'nova.exception.{exception}: {message}\n', message)
    flavor_id = flavors.for_memory(server['memory_bytes']).id
    db.insert('migrations', uuid=new_uuid(),
              instance_uuid=server['uuid'], migration_type='live-migration',
              source_compute=server['host'], source_node=None,
              dest_compute=forced_host, dest_node=None, dest_host=None,
              old_instance_type_id=flavor_id, new_instance_type_id=flavor_id,
              status='error', final=1, created_at=now, updated_at=now,
              user_id=context.user_id, project_id=context.project_id,
              action_id=action_id)
