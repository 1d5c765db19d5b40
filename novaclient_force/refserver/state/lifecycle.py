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
gets ``conductor_live_migrate_instance`` (``conductor_migrate_server``
before 2.34), ``compute_check_can_live_migrate_destination``/``_source``
and ``compute_live_migration`` (which ends at once: it only hands the job
to a thread) when asked for; ``compute_pre_live_migration`` once the job
has a worker (derived on read until the migration ends, like its
progress: :func:`pending_events`); then
``compute_post_live_migration_at_destination`` on success or
``compute_rollback_live_migration_at_destination`` on rollback, except
for a migration aborted while queued, which never started.

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

from novaclient_force.refserver.state import (
    actions,
    executor,
    migrations,
    simulator,
)

IN_PROGRESS = ('queued', 'preparing', 'running', 'post-migrating')
PRE_LIVE_MIGRATION = 'compute_pre_live_migration'
#: Simulated seconds the conductor spends scheduling a new live migration.
#: Nova's conductor creates the migration as ``accepted`` after the API's
#: 202 (nova/conductor/tasks/live_migrate.py) and the source compute moves
#: it to ``queued``; ``accepted`` is not "in progress", so the server's
#: migration index is empty meanwhile (nova/db/main/api.py
#: ``migration_get_in_progress_by_instance``).
SCHEDULING_SECONDS = 0.5
_ACCEPTED = simulator.MigrationState(
    'accepted', None, None, None, None, None, None, False, None, None, False)
_PARAM_FIELDS = ('memory_bytes', 'dirty_rate', 'bandwidth', 'disk_bytes',
                 'permit_post_copy', 'shared_link', 'queued_seconds',
                 'preparing_seconds', 'working_set_bytes')


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


def running_at(db, row):
    """When ``row`` started running (absolute sim time), None if it never
    does or never did: its worker's start plus ``preparing``."""
    slot = slot_at(db, row)
    if slot is None or slot == math.inf:
        return None
    return slot + params_from_json(row['params']).preparing_seconds


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
    return migrations.get(db, row['id'])


def add_override(db, row, kind, at, message=None):
    """Record that from ``at`` the migration converges, stalls or fails
    (``simulator.state_at``'s ``overrides``); ``message`` is the
    failure's text."""
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
                      else origin + truth.post_copy_at),
        last_sync_at=(None if truth.last_sync_at is None
                      else origin + truth.last_sync_at),
        first_sync_at=(None if truth.first_sync_at is None
                       else origin + truth.first_sync_at))


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
        return _stored(migrations.get(db, row['id']))
    return Observed(
        dict(row), state.status, _updated_at(db, row, now),
        (state.memory_total_bytes, state.memory_processed_bytes,
         state.memory_remaining_bytes),
        (state.disk_total_bytes, state.disk_processed_bytes,
         state.disk_remaining_bytes))


def _pre_live_migration(row, slot, now):
    """``compute_pre_live_migration`` on the destination as of ``now``, or
    None: ``_do_live_migration`` moves the job to ``preparing`` once it
    has a worker on its source host (``slot``, :func:`slot_at`) and calls
    ``pre_live_migration`` there (``wrap_instance_event``), which has
    finished when the migration runs. A migration aborted while
    ``queued`` never gets one (``ComputeManager.live_migration_abort``
    cancels the job before it starts)."""
    if row['action_id'] is None or slot is None or not slot <= now:
        return None
    done = slot + params_from_json(row['params']).preparing_seconds
    finished = done <= now
    return {'action_id': row['action_id'], 'event': PRE_LIVE_MIGRATION,
            'start_time': slot, 'finish_time': done if finished else None,
            'result': 'Success' if finished else None,
            'host': row['dest_compute'], 'traceback': None, 'details': None}


def pending_events(db, server_uuid, action_id, now):
    """The events of a live migration still under way that are derived,
    like its progress, rather than stored (they are written when it
    ends): ``compute_pre_live_migration`` once it has started."""
    row = db.one('SELECT * FROM migrations WHERE instance_uuid = ? AND '
                 'action_id = ? AND final = 0 AND params IS NOT NULL',
                 server_uuid, action_id)
    if row is None:
        return []
    event = _pre_live_migration(row, slot_at(db, row), now)
    return [] if event is None else [event]


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
    # Aborted while queued (no slot), it never started: nothing was
    # prepared or is rolled back on the destination, and no rollback is
    # notified (ComputeManager.live_migration_abort). One the harness
    # failed in pre_live_migration while queued failed as its turn came.
    started = slot.at
    if state.ended_by == 'pre_live_migration_failed' and not (
            started is not None and started <= ended):
        started = ended - simulator.ROLLBACK_SECONDS
    if started is not None and not started <= ended:
        started = None
    prepared = _pre_live_migration(row, started, ended)
    if prepared is not None:
        # Whatever ended the migration, pre_live_migration had returned
        # by then.
        prepared.update(finish_time=min(prepared['finish_time'] or ended,
                                        ended), result='Success')
        db.insert('events', **prepared)
        # An event's finish updates its action (InstanceAction's
        # updated_at, which 2.58's changes-since filters on).
        db.execute('UPDATE actions SET updated_at = MAX(updated_at, ?) '
                   'WHERE id = ?', prepared['finish_time'],
                   prepared['action_id'])
    event = 'compute_rollback_live_migration_at_destination'
    if state.status == 'completed' and keeps_host(db, server['uuid']):
        db.execute(
            'UPDATE servers SET task_state = NULL, active_migration = NULL,'
            ' updated = ? WHERE uuid = ?', ended, server['uuid'])
        event = 'compute_post_live_migration_at_destination'
    elif state.status == 'completed':
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
        if started is not None:
            actions.add_event(db, row['action_id'], event, ended,
                              row['dest_compute'])
    if started is not None:
        notifier.migration_ended(db, server, row,
                                 state.status == 'completed', ended)


def keep_host(db, server_uuid):
    """Make the server's next completed live migration leave its host
    unchanged (the test harness's fault; see :func:`keeps_host`); False
    when there is no such server."""
    if db.one('SELECT 1 FROM servers WHERE uuid = ?', server_uuid) is None:
        return False
    db.execute('INSERT OR REPLACE INTO meta VALUES (?, ?)',
               f'keep_host:{server_uuid}', '1')
    return True


def keeps_host(db, server_uuid):
    """Whether a completed live migration leaves the server on its source:
    a fault some deployments have met, where ``_post_live_migration``
    never updated ``instance.host`` (the migration shows ``completed``,
    the server stays where it was). Once only: the flag is consumed."""
    key = f'keep_host:{server_uuid}'
    if db.one('SELECT 1 FROM meta WHERE key = ?', key) is None:
        return False
    db.execute('DELETE FROM meta WHERE key = ?', key)
    return True


def _fail_pre_live_migration(db, row, ended):
    """``compute_pre_live_migration`` ends in Error on the destination,
    with the traceback and (2.84) details Nova's EventReporter records."""
    message = ('Migration error: pre_live_migration failed on '
               f"{row['dest_compute']}")
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
        f'nova.exception.MigrationError: {message}\n', message,
        row['action_id'])
    db.execute("UPDATE actions SET message = 'Error' WHERE id = ?",
               row['action_id'])


def override_took_effect(db, row, now):
    """Whether the latest override of ``row`` acts on it by ``now``."""
    inputs = _inputs(db, row, now)
    if not inputs['overrides'] or inputs['now'] < 0:
        return False
    return inputs['overrides'][-1] in simulator.overrides_applied(**inputs)
