"""Live migrations over time: derived on read, written once they end.

A live migration's progress is never stored while it runs: every read asks
the simulator for its state at the current virtual time, given its start,
the times of any force-complete, abort or harness override, and when the
source host's executor gave it a worker (:mod:`.executor`, from the
migrations ahead of it on that host). When a read finds it has
reached a terminal status, the outcome is written in the same transaction
as that read (migration status and bytes; server host, node and task
state; instance-action events; notifications), exactly once.

What Nova records and when (``nova/compute/manager.py``,
``nova/conductor/tasks/live_migrate.py``): the ``live-migration`` action
gets ``conductor_live_migrate_instance``,
``compute_check_can_live_migrate_destination``/``_source``,
``compute_pre_live_migration`` and ``compute_live_migration`` (which ends
at once: it only hands the job to a thread), then
``compute_post_live_migration_at_destination`` on success or
``compute_rollback_live_migration_at_destination`` on rollback.

Failures (made to happen by the test harness, :func:`add_override`) end
as Nova's do (``nova/compute/manager.py``):

* libvirt job failed (``LibvirtDriver._live_migration_monitor``) ->
  ``_rollback_live_migration``: migration ``failed``, server back to
  ``ACTIVE`` on the source, ``compute_rollback_live_migration_at_destination``
  on the destination. No event fails: ``compute_live_migration`` ended
  when the job was handed to its thread (``wrap_instance_event`` around
  ``live_migration``, which only submits ``_do_live_migration``), so the
  action's ``message`` stays null;
* ``pre_live_migration`` failed on the destination ->
  ``_cleanup_pre_live_migration`` (``error`` while rolling back) then
  ``_rollback_live_migration``: migration ``failed``, server ``ACTIVE``
  on the source, and ``compute_pre_live_migration`` is an ``Error`` event
  (``EventReporter``, ``InstanceActionEvent.pack_action_event_finish``:
  ``traceback``, and ``details`` = the exception's message), which sets
  the action's ``message`` to ``Error``;
* ``driver.live_migration`` raised -> ``_do_live_migration`` sets the
  migration ``error`` and the instance ``vm_state`` ``error`` with no
  task state (``_set_instance_obj_error_state``), still on the source
  host, with no rollback, no event and no notification.
"""

import dataclasses
import functools
import json
import math
import uuid

from novaclient_force.refserver.state import executor, flavors, simulator

IN_PROGRESS = ('queued', 'preparing', 'running', 'post-migrating')
CONDUCTOR_HOST = 'controller'
#: Simulated seconds the conductor spends scheduling a new live migration.
#: Nova's conductor creates the migration as ``accepted`` after the API's
#: 202 (nova/conductor/tasks/live_migrate.py) and the source compute moves
#: it to ``queued``; ``accepted`` is not "in progress", so the server's
#: migration index is empty meanwhile (nova/db/main/api.py
#: ``migration_get_in_progress_by_instance``).
SCHEDULING_SECONDS = 0.5
_ACCEPTED = simulator.MigrationState(
    'accepted', None, None, None, None, None, None, False, None, None, False)
#: The events a live migration has by the time it runs, in order, each
#: finished when its action starts (see the module docstring), on the
#: conductor, the source or the destination: written by SQLite from the
#: migrations just created, five rows for each.
_STARTING_EVENTS = """
WITH steps (number, event, place) AS (VALUES
    (0, 'conductor_live_migrate_instance', 'conductor'),
    (1, 'compute_check_can_live_migrate_destination', 'dest'),
    (2, 'compute_check_can_live_migrate_source', 'source'),
    (3, 'compute_pre_live_migration', 'dest'),
    (4, 'compute_live_migration', 'source'))
INSERT INTO events (action_id, event, start_time, finish_time, result, host)
SELECT m.action_id, steps.event, m.created_at, m.created_at, 'Success',
       CASE steps.place WHEN 'source' THEN m.source_compute
                        WHEN 'dest' THEN m.dest_compute ELSE ? END
FROM migrations AS m CROSS JOIN steps
WHERE m.id BETWEEN ? AND ? AND m.action_id >= ?
ORDER BY m.id, steps.number
"""
_PARAM_FIELDS = ('memory_bytes', 'dirty_rate', 'bandwidth', 'disk_bytes',
                 'permit_post_copy', 'shared_link', 'queued_seconds',
                 'preparing_seconds')


@dataclasses.dataclass
class Observed:
    """A migration as the API shows it now."""

    row: dict
    status: str
    updated_at: float | None
    memory: tuple          # (total, processed, remaining)
    disk: tuple

    @property
    def in_progress(self):
        return self.status in IN_PROGRESS


def new_uuid():
    return str(uuid.uuid4())


@functools.lru_cache(maxsize=256)
def params_json(params):
    """The stored text of (frozen) ``params``; a cloud's migrations share
    few distinct ones."""
    values = {name: getattr(params, name) for name in _PARAM_FIELDS}
    values['config'] = dataclasses.asdict(params.config)
    return json.dumps(values, sort_keys=True)


@functools.lru_cache(maxsize=4096)
def params_from_json(text):
    """Parsed once per distinct text: every read of a running migration
    needs its (frozen, so shareable) parameters."""
    values = json.loads(text)
    config = simulator.LiveMigrationConfig(**values.pop('config'))
    return simulator.MigrationParams(config=config, **values)


def _origin(row):
    """When the source compute took the migration (simulator time 0)."""
    return row['created_at'] + SCHEDULING_SECONDS


def _relative(row, column):
    value = row[column]
    return None if value is None else value - _origin(row)


def _overrides(row):
    """The harness overrides of ``row``: ``(absolute time, kind)``."""
    if row['overrides'] is None:
        return ()
    return tuple((at, kind) for at, kind, _ in json.loads(row['overrides']))


def _inputs(db, row, now):
    """``state_at``/``ground_truth`` arguments for ``row`` at ``now``:
    the link's bandwidth is the share the executor gave it."""
    slot = _slot(db, row)
    params = executor.shared(params_from_json(row['params']), slot.sharing)
    return dict(params=params,
                now=now - _origin(row),
                force_complete_at=_relative(row, 'force_complete_at'),
                abort_at=_relative(row, 'abort_at'),
                overrides=tuple((at - _origin(row), kind)
                                for at, kind in _overrides(row)),
                slot_at=(math.inf if slot.at is None
                         else slot.at - _origin(row)))


def limit(db):
    """The source hosts' ``max_concurrent_live_migrations`` (0: none),
    read once until the state changes (every read of a running migration
    needs it)."""
    def stored():
        value = db.one("SELECT value FROM meta "
                       "WHERE key = 'max_concurrent_live_migrations'")
        return (executor.DEFAULT_LIMIT if value is None
                else int(value['value']))

    return db.derived(('limit',), stored)


def _job(row):
    return executor.Job(
        row['id'], _origin(row), params_from_json(row['params']),
        row['force_complete_at'], row['abort_at'], _overrides(row),
        row['updated_at'] if row['final'] else None, row['slot_at'],
        row['dest_compute'] or '', row['link_share'] or 1)


def slot_at(db, row):
    """When ``row`` got (or gets) a worker on its source host: absolute
    sim time, ``math.inf`` for never, None if it never held one (aborted
    while queued)."""
    return _slot(db, row).at


def _slot(db, row):
    """The executor's :class:`~.executor.Slot` for ``row``; an ended row
    keeps the one it had. Without a limit and over an unshared link no
    migration depends on another; otherwise the host's queue is replayed
    once until a migration changes."""
    if row['final']:
        return executor.Slot(row['slot_at'], row['link_share'] or 1)
    workers = limit(db)
    params = params_from_json(row['params'])
    if not workers and not params.shared_link:
        return executor.Slot(_origin(row) + params.queued_seconds)
    host = row['source_compute']
    slots = db.derived(('slots', host, workers),
                       lambda: _schedule(db, host, workers))
    return slots.get(row['id'], executor.Slot(math.inf))


def _schedule(db, host, workers):
    # Everything holding a worker since the oldest unended migration
    # queued: older ones had freed theirs before any of these came.
    horizon = db.one(
        'SELECT MIN(created_at) AS at FROM migrations WHERE '
        'source_compute = ? AND final = 0 AND params IS NOT NULL',
        host)['at']
    rows = [] if horizon is None else db.all(
        'SELECT * FROM migrations WHERE source_compute = ? AND '
        'params IS NOT NULL AND (final = 0 OR (slot_at IS NOT NULL '
        'AND updated_at > ?))', host, horizon)
    return executor.schedule([_job(item) for item in rows], workers)


def simulate(db, row, now):
    """The simulator's state of a simulated migration row at ``now``."""
    if now < _origin(row):
        return _ACCEPTED
    return simulator.state_at(**_inputs(db, row, now))


def request(db, row, column, at):
    """Record the first ``force_complete_at`` or ``abort_at`` of a live
    migration; returns the row as it is now."""
    if row[column] is None and not row['final']:
        db.update('migrations', 'id', row['id'], **{column: at})
    return db.one('SELECT * FROM migrations WHERE id = ?', row['id'])


def add_override(db, row, kind, at, message=None):
    """Record that from ``at`` the migration converges, stalls or fails
    (``simulator.state_at``'s ``overrides``); ``message`` is the failure's text."""
    overrides = json.loads(row['overrides'] or '[]')
    overrides.append([at, kind, message])
    db.execute('UPDATE migrations SET overrides = ? WHERE id = ?',
               json.dumps(overrides), row['id'])


def ground_truth(db, row, now):
    """``simulator.GroundTruth`` of a simulated migration, with absolute
    times, or None for one the simulator never ran (scenario history)."""
    if not row['params']:
        return None
    final = None
    if row['final']:
        final = row['updated_at']
    inputs = _inputs(db, row, min(now, final) if final else now)
    if inputs['now'] < 0:
        inputs['now'] = 0.0
    truth = simulator.ground_truth(**inputs)
    origin = _origin(row)
    return dataclasses.replace(
        truth,
        paused_at=(None if truth.paused_at is None
                   else origin + truth.paused_at),
        post_copy_at=(None if truth.post_copy_at is None
                      else origin + truth.post_copy_at))


def _stored(row):
    return Observed(
        dict(row), row['status'], row['updated_at'],
        (row['memory_total'], row['memory_processed'],
         row['memory_remaining']),
        (row['disk_total'], row['disk_processed'], row['disk_remaining']))


def observe(db, row, now, notifier):
    """What the API shows for ``row`` now, materializing a terminal state."""
    if row['final'] or not row['params']:
        return _stored(row)
    state = simulate(db, row, now)
    if state.finished_at is not None:
        finish(db, row, state, notifier)
        return _stored(db.one('SELECT * FROM migrations WHERE id = ?',
                              row['id']))
    return Observed(
        dict(row), state.status, _updated_at(db, row, now),
        (state.memory_total_bytes, state.memory_processed_bytes,
         state.memory_remaining_bytes),
        (state.disk_total_bytes, state.disk_processed_bytes,
         state.disk_remaining_bytes))


def _updated_at(db, row, now):
    """Nova saves the migration when it is queued, preparing, running,
    and then at every stats save (``migration.save_stats``)."""
    origin = _origin(row)
    if now < origin:
        return row['updated_at']
    params = params_from_json(row['params'])
    slot = slot_at(db, row)
    if slot is None or now < slot:
        return max(origin, row['updated_at'])
    running = slot + params.preparing_seconds
    if now < running:
        return slot
    interval = params.config.monitor_interval
    return running + (now - running) // interval * interval


def finish(db, row, state, notifier):
    """Write a migration's terminal state, once (guarded by ``final``),
    with the time it held a worker from (for the queue behind it)."""
    ended = _origin(row) + state.finished_at
    slot = _slot(db, row)
    cursor = db.execute(
        'UPDATE migrations SET status = ?, final = 1, updated_at = ?, '
        'slot_at = ?, link_share = ?, '
        'memory_total = ?, memory_processed = ?, memory_remaining = ?, '
        'disk_total = ?, disk_processed = ?, disk_remaining = ? '
        'WHERE id = ? AND final = 0',
        state.status, ended, slot.at, slot.sharing,
        state.memory_total_bytes,
        state.memory_processed_bytes, state.memory_remaining_bytes,
        state.disk_total_bytes, state.disk_processed_bytes,
        state.disk_remaining_bytes, row['id'])
    if cursor.rowcount != 1:
        return
    server = db.one('SELECT * FROM servers WHERE uuid = ?',
                    row['instance_uuid'])
    event = 'compute_rollback_live_migration_at_destination'
    if state.status == 'completed':
        db.execute(
            'UPDATE servers SET host = ?, node = ?, task_state = NULL, '
            'active_migration = NULL, updated = ? WHERE uuid = ?',
            row['dest_compute'], row['dest_node'], ended, server['uuid'])
        event = 'compute_post_live_migration_at_destination'
    elif state.status == 'error':
        db.execute(
            "UPDATE servers SET vm_state = 'error', task_state = NULL, "
            'active_migration = NULL, updated = ? WHERE uuid = ?',
            ended, server['uuid'])
        return
    else:
        db.execute(
            'UPDATE servers SET task_state = NULL, active_migration = NULL,'
            ' updated = ? WHERE uuid = ?', ended, server['uuid'])
    if row['action_id'] is not None:
        if state.ended_by == 'pre_live_migration_failed':
            _fail_pre_live_migration(db, row, ended)
        add_event(db, row['action_id'], event, ended, row['dest_compute'])
    notifier.migration_ended(db, server, row, state.status == 'completed',
                             ended)


def _fail_pre_live_migration(db, row, ended):
    """``compute_pre_live_migration`` ends in Error on the destination,
    with the traceback and (2.84) details Nova's EventReporter records."""
    message = 'Migration error: pre_live_migration failed on %s' % (
        row['dest_compute'])
    for _, kind, text in json.loads(row['overrides'] or '[]'):
        if kind == 'failed' and text:
            message = text
    failed_at = ended - simulator.ROLLBACK_SECONDS
    db.execute(
        "UPDATE events SET result = 'Error', finish_time = ?, "
        'traceback = ?, details = ? WHERE action_id = ? AND '
        "event = 'compute_pre_live_migration'", failed_at,
        'Traceback (most recent call last):\n'
        '  File "nova/compute/utils.py", in decorated_function\n'
        '  File "nova/compute/manager.py", in pre_live_migration\n'
        'nova.exception.MigrationError: %s\n' % message, message,
        row['action_id'])
    db.execute("UPDATE actions SET message = 'Error' WHERE id = ?",
               row['action_id'])


def add_event(db, action_id, event, at, host, result='Success'):
    """A finished compute/conductor event; an Error marks the action."""
    db.insert('events', action_id=action_id, event=event, start_time=at,
              finish_time=at, result=result, host=host)
    db.execute('UPDATE actions SET updated_at = ? WHERE id = ?', at,
               action_id)
    if result == 'Error':
        db.execute("UPDATE actions SET message = 'Error' WHERE id = ?",
                   action_id)


def add_action(db, server_uuid, action, context, at):
    return db.insert('actions', instance_uuid=server_uuid, action=action,
                     request_id=context.request_id,
                     user_id=context.user_id,
                     project_id=context.project_id, start_time=at,
                     updated_at=at)


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


def start(db, server, dest, params, context, at):
    """Create one live migration (:func:`start_many`); returns its ID."""
    return start_many(db, [Start(server, dest, params, context, at)])[0]


def _next_id(db, table):
    """The ID ``AUTOINCREMENT`` would give the next row of ``table``."""
    row = db.one('SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence '
                 'WHERE name = ?), 0), COALESCE(MAX(id), 0)) AS top '
                 'FROM %s' % table, table)
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
            params=params_json(item.params), action_id=action_id))
        moves.append((migration_id, at, server['uuid']))
        action_id += 1
    if not starts:
        return []
    # The action's events are all finished: its updated_at is its start.
    db.insert_many('actions', actions)
    db.insert_many('migrations', migrations)
    ids = [row['id'] for row in migrations]
    db.execute(_STARTING_EVENTS, CONDUCTOR_HOST, min(ids), max(ids),
               first_action)
    return moves


def build_params(db, server, dest, block_migration=False):
    """Simulator inputs from the server's workload and the hosts' link."""
    link = db.one('SELECT bandwidth, shared FROM links '
                  'WHERE src = ? AND dest = ?', server['host'], dest)
    if link is None:
        link = db.one("SELECT value AS bandwidth, 1 AS shared FROM meta "
                      "WHERE key = 'default_bandwidth'")
    host = db.one('SELECT permit_post_copy FROM hosts WHERE name = ?',
                  server['host'])
    config = json.loads(db.one(
        "SELECT value FROM meta WHERE key = 'config'")['value'])
    return simulator.MigrationParams(
        memory_bytes=server['memory_bytes'],
        dirty_rate=server['dirty_rate'],
        bandwidth=float(link['bandwidth']),
        shared_link=bool(link['shared']),
        disk_bytes=server['disk_bytes'] if block_migration else 0,
        permit_post_copy=bool(host and host['permit_post_copy']),
        config=simulator.LiveMigrationConfig(**config))


def override_took_effect(db, row, now):
    """Whether the latest override of ``row`` acts on it by ``now``."""
    inputs = _inputs(db, row, now)
    if not inputs['overrides'] or inputs['now'] < 0:
        return False
    return inputs['overrides'][-1] in simulator.overrides_applied(**inputs)
