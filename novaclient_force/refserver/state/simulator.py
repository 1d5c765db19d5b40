"""Deterministic model of a libvirt/QEMU pre-copy live migration.

The state of a migration is a pure function of its parameters and of the
simulated time elapsed since it started, so the reference server needs no
background thread: every read asks :func:`state_at` what the migration looks
like *now*.

Sources for each rule (openstack/nova unless noted):

* status sequence ``queued`` -> ``preparing`` -> ``running`` ->
  [``running (post-copy)``] -> ``completed``: ``nova/compute/manager.py``
  (``live_migration``, ``_do_live_migration``, ``_post_live_migration``).
  ``queued`` lasts until the source host's live-migration executor has a
  free worker: the caller says when (``slot_at``, see
  :mod:`~novaclient_force.refserver.state.executor`);
* abort (``ComputeManager.live_migration_abort``): a ``queued`` migration
  is dropped from the executor's queue and ``cancelled`` at once; a
  ``preparing`` one finishes ``pre_live_migration`` first, then
  ``_do_live_migration`` finds it gone from ``_waiting_live_migrations``
  and rolls back to ``cancelled``; a ``running`` one gets libvirt's
  ``abortJob``;
* pre-copy rounds and the convergence test (the dirty memory left must fit
  in ``bandwidth x max downtime``): QEMU ``migration/migration.c``
  (``migration_iteration_run``, threshold = bandwidth x downtime limit);
* max downtime stepped up linearly: ``nova/virt/libvirt/migration.py``
  ``downtime_steps`` and ``update_downtime`` (a step applies once
  ``elapsed > step time``);
* ``data_gb`` and the completion timeout:
  ``LibvirtDriver._live_migration_data_gb`` and ``_live_migration_monitor``
  (``completion_timeout = live_migration_completion_timeout x data_gb``),
  ``migration.should_trigger_timeout_action`` (never in post-copy);
* force complete: ``migration.run_tasks`` -- ``migrateStartPostCopy`` and
  status ``running (post-copy)`` when post-copy is permitted, otherwise
  ``guest.pause()`` so that nothing more is dirtied;
* stats saved as the job starts running and then every
  ``live_migration_monitor_interval`` seconds
  (``LibvirtDriver._live_migration_monitor`` calls
  ``migration.save_stats``, which calls ``migration.save()``, when
  ``n % divisor == 0``, its first reading included): the ``*_bytes``
  fields are ``None`` until the job runs and then show the values of the
  latest save, and the migration's ``updated_at`` is that save's time
  (oslo.db's ``TimestampMixin``), at a phase unrelated to the pre-copy
  rounds;
* options and defaults: ``nova/conf/libvirt.py``.

Byte counters: Nova copies libvirt's job stats verbatim
(``LibvirtDriver._live_migration_monitor`` reads
``guest.get_job_info()``, i.e. ``virDomainGetJobStats``, and
``migration.save_stats`` stores ``memory_total``, ``memory_processed``,
``memory_remaining`` and the ``disk_*`` trio). A live migration is an
*unbounded* libvirt job, for which libvirt documents that total need not
equal processed + remaining because dirtied pages are sent again
(``include/libvirt/libvirt-domain.h``, ``struct _virDomainJobInfo`` and the
``VIR_DOMAIN_JOB_MEMORY_*`` fields; QEMU ``query-migrate``
``ram.transferred`` / ``ram.remaining``). Nova's monitor says as much: it
ignores ``memory_processed`` for the instance progress because "due to
repeated dirtying of data, this can be way larger than memory_total".
So here:

* ``memory_total`` is the guest RAM;
* ``memory_processed`` is every memory byte put on the wire so far, re-sent
  pages included: ``bandwidth x time`` since the disk copy ended, up to the
  end of the copy. It never decreases and, on a guest that does not
  converge, grows without bound past ``memory_total``;
* ``memory_remaining`` is QEMU's ``ram_bytes_remaining``: the pages
  pending in the migration bitmap. It is a sawtooth (:mod:`.precopy`):
  it falls at link speed within a pre-copy round and jumps back up at
  each bitmap sync by what the guest newly dirtied, at most its writable
  working set (``working_set_bytes``, default the whole RAM). After a
  pause, a post-copy switch or convergence it shrinks to 0 at link
  speed; a completed job reports 0;
* ``disk_*`` (block migration) are copied once, before the memory, so for
  them ``processed + remaining == total`` holds.
"""

import dataclasses
import functools
import math

from novaclient_force.refserver.state import precopy as precopy_mod

GIB = 1024 ** 3

#: Sim seconds from the end of the memory copy to status ``completed``
#: (post_live_migration_at_destination, port binding activation, cleanup).
POST_MIGRATION_SECONDS = 1.0
#: Sim seconds from an abort (or the abort timeout action) to ``cancelled``.
ABORT_SECONDS = 1.0
#: Sim seconds of ``_rollback_live_migration`` after a failure, before the
#: migration shows ``failed`` (the same rollback as an abort's).
ROLLBACK_SECONDS = ABORT_SECONDS

TIMEOUT_ACTIONS = ('abort', 'force_complete')


def _require(condition, message):
    if not condition:
        raise ValueError(message)


@dataclasses.dataclass(frozen=True)
class LiveMigrationConfig:
    """Nova's ``[libvirt] live_migration_*`` options, with Nova's defaults.

    The minimums are those ``nova/conf/libvirt.py`` declares.
    """

    completion_timeout: int = 800
    timeout_action: str = 'abort'
    downtime_ms: int = 500
    downtime_steps: int = 10
    downtime_delay: int = 75
    monitor_interval: int = 5

    def __post_init__(self):
        _require(self.completion_timeout >= 0,
                 'completion_timeout must be >= 0')
        _require(self.timeout_action in TIMEOUT_ACTIONS,
                 f"timeout_action must be one of {', '.join(TIMEOUT_ACTIONS)}")
        _require(self.downtime_ms >= 100, 'downtime_ms must be >= 100')
        _require(self.downtime_steps >= 3, 'downtime_steps must be >= 3')
        _require(self.downtime_delay >= 3, 'downtime_delay must be >= 3')
        _require(self.monitor_interval >= 1,
                 'monitor_interval must be >= 1')


@dataclasses.dataclass(frozen=True)
class MigrationParams:
    """What decides how one live migration unfolds."""

    memory_bytes: int
    dirty_rate: float
    bandwidth: float
    disk_bytes: int = 0
    #: The guest's writable working set: the most a bitmap sync can find
    #: dirty (None: all of its memory).
    working_set_bytes: int | None = None
    permit_post_copy: bool = False
    #: Whether the migrations running over the link at once share it.
    shared_link: bool = True
    queued_seconds: float = 0.5
    preparing_seconds: float = 1.0
    config: LiveMigrationConfig = LiveMigrationConfig()

    def __post_init__(self):
        _require(self.memory_bytes > 0, 'memory_bytes must be > 0')
        _require(self.dirty_rate >= 0, 'dirty_rate must be >= 0')
        _require(self.bandwidth > 0, 'bandwidth must be > 0')
        _require(self.disk_bytes >= 0, 'disk_bytes must be >= 0')
        _require(self.working_set_bytes is None
                 or self.working_set_bytes > 0,
                 'working_set_bytes must be > 0')
        _require(self.queued_seconds >= 0 and self.preparing_seconds >= 0,
                 'queued_seconds and preparing_seconds must be >= 0')


@dataclasses.dataclass(frozen=True)
class MigrationState:
    """A migration as observed at one instant of simulated time."""

    status: str
    memory_total_bytes: int | None
    memory_processed_bytes: int | None
    memory_remaining_bytes: int | None
    disk_total_bytes: int | None
    disk_processed_bytes: int | None
    disk_remaining_bytes: int | None
    paused: bool
    finished_at: float | None
    ended_by: str | None
    force_complete_applied: bool


def data_gb(params):
    """Nova's ``_live_migration_data_gb``: RAM and each block-migrated
    disk count for at least 2 GiB each."""
    total = max(params.memory_bytes / GIB, 2)
    if params.disk_bytes:
        total += max(params.disk_bytes / GIB, 2)
    return total


def downtime_steps(params):
    """Nova's ``migration.downtime_steps``: ``(elapsed s, max downtime ms)``
    pairs, ``downtime_steps + 1`` of them, linear from downtime/steps up to
    downtime, one every ``downtime_delay x data_gb`` seconds."""
    conf = params.config
    delay = int(conf.downtime_delay * data_gb(params))
    base = conf.downtime_ms / conf.downtime_steps
    offset = (conf.downtime_ms - base) / conf.downtime_steps
    return tuple((int(delay * i), int(base + offset * i))
                 for i in range(conf.downtime_steps + 1))


def completion_timeout(params):
    """Seconds of ``running`` after which the timeout action fires, or
    None when ``live_migration_completion_timeout`` is 0 (disabled)."""
    seconds = int(params.config.completion_timeout * data_gb(params))
    return seconds or None


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Per-params timeline without any request (cached)."""

    queued_until: float
    running_at: float
    memory_at: float
    converged_at: float | None
    final_dirty: float
    timeout_at: float | None
    precopy: precopy_mod.PreCopy


@functools.lru_cache(maxsize=4096)
def _plan(params, slot_at=None):
    slot_at = params.queued_seconds if slot_at is None else slot_at
    running_at = slot_at + params.preparing_seconds
    disk_seconds = params.disk_bytes / params.bandwidth
    precopy = precopy_mod.PreCopy(params.memory_bytes, params.dirty_rate,
                                  params.bandwidth, params.working_set_bytes)
    converged = _convergence(params, precopy, disk_seconds)
    timeout = completion_timeout(params)
    return _Plan(
        queued_until=slot_at,
        running_at=running_at,
        memory_at=running_at + disk_seconds,
        converged_at=(None if converged is None
                      else running_at + converged[0]),
        final_dirty=0.0 if converged is None else converged[1],
        timeout_at=None if timeout is None else running_at + timeout,
        precopy=precopy)


def _convergence(params, precopy, disk_seconds):
    """(seconds after ``running`` when pre-copy converges, dirty bytes left
    for the stop-and-copy), or None if it never does unaided.

    The downtime step in force when round k ends decides whether the
    dirty memory fits. Steps only grow and the dirty memory only shrinks,
    so within each step's window the first fitting round is the answer.
    """
    steps = downtime_steps(params)
    for index, (step_at, downtime_ms) in enumerate(steps):
        limit = params.bandwidth * downtime_ms / 1000.0
        needed = precopy.first_round_fitting(limit)
        if needed is None:
            continue
        window_start = step_at if index else -math.inf
        first = precopy.first_round_ending_after(window_start - disk_seconds)
        if first is None:
            return None
        k = max(needed, first)
        ends = disk_seconds + precopy.end_of(k)
        if index + 1 == len(steps) or ends <= steps[index + 1][0]:
            return ends, precopy.dirty_after(k)
    return None


@dataclasses.dataclass
class _Run:
    """What the requests received so far made of the plan."""

    copy_end: float | None
    converged_at: float | None = None
    ended_by: str | None = 'converged'
    forced_at: float | None = None
    guest_paused: bool = False
    post_copy: bool = False
    stalled_at: float | None = None
    cancel_requested_at: float | None = None
    cancel_reason: str | None = None
    #: How a stopped job ends: status, seconds after the stop, and the
    #: status shown meanwhile (None: the one found at the stop).
    end_status: str = 'cancelled'
    end_seconds: float = ABORT_SECONDS
    interim_status: str | None = None
    force_complete_applied: bool = False
    #: The ``(time, kind)`` overrides that took effect.
    overridden: list = dataclasses.field(default_factory=list)


def state_at(params, now, force_complete_at=None, abort_at=None,
             overrides=(), slot_at=None):
    """State of a live migration started at sim time 0, observed at sim
    time ``now``; request times are relative to the start too.

    ``slot_at`` is when an executor worker picked the migration up (it is
    ``queued`` until then, ``preparing`` for ``preparing_seconds`` after):
    ``params.queued_seconds`` (the default) when no other migration holds
    the host's workers, ``math.inf`` while the ones ahead never end.

    Requests later than ``now`` have not happened yet. A force complete
    finding the job not ``running`` does nothing (Nova records the compute
    event as Error, libvirt's NoActiveMigrationForInstance). An abort stops
    the job unless its memory copy is already over or it is in post-copy
    (Nova rejects those aborts in the API); ``cancelled`` follows
    :data:`ABORT_SECONDS` later, or :data:`ABORT_SECONDS` after the end of
    ``preparing`` for an abort that found it ``preparing``. ``overrides``
    are ``(time, kind)`` pairs, the kind being what a test harness makes
    happen from then on: ``converge`` (the guest stops dirtying memory),
    ``stall`` (it dirties as fast as the link copies), ``failed`` (the job
    fails and is rolled back) or ``error`` (the driver raises); see
    :func:`_override`.
    """
    plan = _plan(params, slot_at)
    run = _replay(params, plan, now, force_complete_at, abort_at, overrides)
    if run.cancel_requested_at is not None:
        ended_at = run.cancel_requested_at + run.end_seconds
        if now >= ended_at:
            frozen = _observe(params, plan, run, run.cancel_requested_at)
            return dataclasses.replace(
                frozen, status=run.end_status, paused=False,
                finished_at=ended_at, ended_by=run.cancel_reason)
        state = _observe(params, plan, run,
                         min(now, run.cancel_requested_at))
        if run.interim_status:
            state = dataclasses.replace(state, status=run.interim_status)
        return state
    if run.copy_end is not None:
        completed_at = run.copy_end + POST_MIGRATION_SECONDS
        if now >= completed_at:
            disk = params.disk_bytes
            memory = params.memory_bytes
            sent = round(_memory_sent(params, plan, run, run.copy_end))
            return MigrationState(
                'completed', memory, max(sent, memory), 0, disk, disk, 0,
                False, completed_at, run.ended_by,
                run.force_complete_applied)
    return _observe(params, plan, run, now)


def finished_at(params, force_complete_at=None, abort_at=None,
                overrides=(), slot_at=None):
    """When the migration reaches a terminal status given the requests
    made so far, or ``math.inf`` if it never does unaided: the moment its
    executor worker is free for the next queued migration."""
    plan = _plan(params, slot_at)
    run = _replay(params, plan, math.inf, force_complete_at, abort_at,
                  overrides)
    if run.cancel_requested_at is not None:
        return run.cancel_requested_at + run.end_seconds
    if run.copy_end is not None:
        return run.copy_end + POST_MIGRATION_SECONDS
    return math.inf


def _replay(params, plan, now, force_complete_at, abort_at, overrides=()):
    """Apply the requests (and the completion timeout) in time order."""
    copy_end = None
    if plan.converged_at is not None:
        copy_end = plan.converged_at + plan.final_dirty / params.bandwidth
    run = _Run(copy_end=copy_end, converged_at=plan.converged_at)
    events = []
    if abort_at is not None:
        events.append((abort_at, 0, 'abort'))
    if force_complete_at is not None:
        events.append((force_complete_at, 1, 'force'))
    if plan.timeout_at is not None:
        events.append((plan.timeout_at, 2, 'timeout'))
    events.extend((at, 3, kind) for at, kind in overrides)
    for at, _, kind in sorted(events):
        if at > now:
            continue
        running = _is_running(plan, run, at)
        if kind == 'force':
            run.force_complete_applied = running
        if run.cancel_requested_at is not None:
            continue
        copying = run.copy_end is None or at < run.copy_end
        if kind == 'abort':
            if copying and not run.post_copy:
                run.cancel_requested_at, run.cancel_reason = at, 'abort'
                if plan.queued_until <= at < plan.running_at:
                    # rolled back once pre_live_migration has returned
                    run.end_seconds = plan.running_at - at + ABORT_SECONDS
        elif kind == 'force':
            if running and _forcible(run, at):
                _force(params, plan, run, at, 'force_complete')
        elif kind == 'timeout':
            if running and copying:
                if params.config.timeout_action == 'abort':
                    run.cancel_requested_at = at
                    run.cancel_reason = 'timeout_abort'
                elif _forcible(run, at):
                    _force(params, plan, run, at, 'timeout_force_complete')
        elif copying and _override(params, plan, run, at, kind, running):
            run.overridden.append((at, kind))
    return run


def overrides_applied(params, now, force_complete_at=None, abort_at=None,
                      overrides=(), slot_at=None):
    """Which of ``overrides`` took effect by ``now`` (an override finding
    the job past the phase it acts on does nothing)."""
    return _replay(params, _plan(params, slot_at), now, force_complete_at,
                   abort_at, overrides).overridden


def _override(params, plan, run, at, kind, running):
    """What a harness override does to a job still copying at ``at``.

    Failures follow Nova (``nova/compute/manager.py``): a libvirt job that
    fails (``LibvirtDriver._live_migration_monitor``, VIR_DOMAIN_JOB_FAILED)
    is rolled back by ``_rollback_live_migration``, whose default status
    is ``failed``; a failure of ``pre_live_migration`` on the destination
    (while ``queued``/``preparing``) goes through
    ``_cleanup_pre_live_migration``, which shows ``error`` during the
    rollback and ends ``failed`` too; an exception raised by
    ``driver.live_migration`` makes ``_do_live_migration`` set ``error``
    at once, with no rollback. Converge and stall change the guest's
    dirtying from ``at`` on, only while pre-copy still iterates.
    """
    if kind in ('failed', 'error') and running:
        run.cancel_requested_at = at
        run.end_status = kind
        if kind == 'failed':
            run.cancel_reason = 'job_failed'
            run.end_seconds = ROLLBACK_SECONDS
        else:
            run.cancel_reason, run.end_seconds = 'driver_error', 0.0
    elif kind == 'failed' and 0 <= at < plan.running_at:
        run.cancel_requested_at, run.end_status = at, 'failed'
        run.cancel_reason = 'pre_live_migration_failed'
        run.end_seconds, run.interim_status = ROLLBACK_SECONDS, 'error'
    elif kind == 'converge' and running and _forcible(run, at):
        _force(params, plan, run, at, 'converged', pause=False)
    elif kind == 'stall' and running and _forcible(run, at):
        run.stalled_at, run.converged_at, run.copy_end = at, None, None
    else:
        return False
    return True


def _is_running(plan, run, at):
    """Whether the status at ``at`` is ``running`` (an abort freezes the
    status it found until ``cancelled``)."""
    if run.cancel_requested_at is not None:
        return (plan.running_at <= run.cancel_requested_at
                and at < run.cancel_requested_at + run.end_seconds)
    return (plan.running_at <= at and not run.post_copy
            and (run.copy_end is None
                 or at < run.copy_end + POST_MIGRATION_SECONDS))


def _forcible(run, at):
    """Forcing acts only while pre-copy still iterates: not once the job
    was forced (libvirt: already paused or in post-copy) nor once it has
    converged (QEMU is already in its stop-and-copy phase)."""
    return run.forced_at is None and (
        run.converged_at is None or at < run.converged_at)


def _force(params, plan, run, at, reason, pause=True):
    """Post-copy switch or guest pause (or, with ``pause`` False, a guest
    that stops dirtying): whatever is left (disk first, then memory) goes
    at link speed."""
    disk_left, memory_left = _left(params, plan, run, at)
    run.forced_at = at
    run.post_copy = pause and params.permit_post_copy
    run.guest_paused = pause and not run.post_copy
    run.copy_end = at + (disk_left + memory_left) / params.bandwidth
    run.ended_by = 'post_copy' if run.post_copy and reason == (
        'force_complete') else reason


def _left(params, plan, run, at):
    """(disk, memory) bytes still to send at ``at``, before rounding."""
    if run.forced_at is not None and at >= run.forced_at:
        disk, memory = _left(params, plan,
                             dataclasses.replace(run, forced_at=None),
                             run.forced_at)
        sent = params.bandwidth * (at - run.forced_at)
        return (max(disk - sent, 0.0),
                max(memory - max(sent - disk, 0.0), 0.0))
    if run.stalled_at is not None and at >= run.stalled_at:
        # The guest dirties what the link sends: the dirty set stays put.
        return _left(params, plan, _Run(copy_end=None,
                                        converged_at=plan.converged_at),
                     run.stalled_at)
    if at < plan.memory_at:
        sent = params.bandwidth * max(at - plan.running_at, 0.0)
        return max(params.disk_bytes - sent, 0.0), params.memory_bytes
    if run.converged_at is not None and at >= run.converged_at:
        sent = params.bandwidth * (at - run.converged_at)
        return 0.0, max(plan.final_dirty - sent, 0.0)
    return 0.0, plan.precopy.remaining_at(at - plan.memory_at)


def _memory_sent(params, plan, run, at):
    """Cumulative memory bytes sent by ``at`` (libvirt's
    ``memory_processed``): from the end of the disk copy to the end of the
    memory copy the link carries memory only -- pre-copy rounds back to
    back, then the stop-and-copy, the paused remainder or the post-copy
    pages -- so this is bandwidth x time, however many rounds."""
    end = at if run.copy_end is None else min(at, run.copy_end)
    return params.bandwidth * max(end - plan.memory_at, 0.0)


def _memory_fields(params, plan, run, at, memory_left):
    """(total, processed, remaining) memory bytes at ``at``, as integers,
    given the ``memory_left`` that :func:`_left` found there.

    Processed and remaining come from two closed forms that agree exactly
    on a guest dirtying nothing in its first round (processed == total -
    remaining); the ``max`` keeps float noise from breaking
    ``processed >= total - remaining`` by a byte.
    """
    memory = params.memory_bytes
    remaining = min(round(memory_left), memory)
    sent = round(_memory_sent(params, plan, run, at))
    return memory, max(sent, memory - remaining), remaining


def _observe(params, plan, run, at):
    """A non-terminal state at ``at``: bytes from the latest stats save."""
    if at < plan.queued_until:
        status = 'queued'
    elif at < plan.running_at:
        status = 'preparing'
    elif run.post_copy and at >= run.forced_at:
        status = 'running (post-copy)'
    else:
        status = 'running'
    paused = (run.guest_paused
              and run.forced_at <= at < run.copy_end)
    fields = [None] * 6
    interval = params.config.monitor_interval
    if at >= plan.running_at:
        saves = math.floor((at - plan.running_at) / interval)
        saved_at = plan.running_at + saves * interval
        disk_left, memory_left = _left(params, plan, run, saved_at)
        disk_left = round(disk_left)
        fields = [*_memory_fields(params, plan, run, saved_at, memory_left),
                  params.disk_bytes, params.disk_bytes - disk_left,
                  disk_left]
    return MigrationState(status, *fields, paused, None, None,
                          run.force_complete_applied)


@dataclasses.dataclass(frozen=True)
class GroundTruth:
    """What happened to a guest, which no Nova API shows: when it stood
    still and for how long (a force-complete pause, or the final
    stop-and-copy of a converging job), and the bytes really sent. Times
    are sim seconds after the start, like :func:`state_at`'s."""

    paused_at: float | None
    paused_seconds: float
    post_copy_at: float | None
    memory_sent_bytes: int
    disk_sent_bytes: int
    #: Pre-copy rounds begun so far (1: the first pass; QEMU's
    #: ``dirty-sync-count`` less its setup sync), and when the latest
    #: bitmap sync began the current one (None during the first pass).
    precopy_rounds: int = 0
    last_sync_at: float | None = None
    #: Bytes/s the link (its share) carries, and the guest dirties.
    transfer_rate: float = 0.0
    dirty_rate: float = 0.0
    #: When the first pass over memory ended (its first bitmap sync).
    first_sync_at: float | None = None


def ground_truth(params, now, force_complete_at=None, abort_at=None,
                 overrides=(), slot_at=None):
    """The :class:`GroundTruth` of a migration observed at ``now``.

    The guest is paused from a pause-based force complete (libvirt
    ``guest.pause()``) or from the start of a converged job's
    stop-and-copy until its copy ends, or until a stop (abort, failure)
    ends the job and the rollback resumes it
    (``migration.run_recover_tasks``). A post-copy switch does not pause
    it: the guest runs on the destination while pages are pulled.
    """
    plan = _plan(params, slot_at)
    run = _replay(params, plan, now, force_complete_at, abort_at, overrides)
    end = now
    if run.cancel_requested_at is not None:
        end = min(end, run.cancel_requested_at)
    paused_at = None
    if run.guest_paused:
        paused_at = run.forced_at
    elif run.forced_at is None and run.converged_at is not None:
        paused_at = run.converged_at
    paused_seconds = 0.0
    if paused_at is not None and paused_at <= end:
        paused_seconds = min(end, run.copy_end) - paused_at
    else:
        paused_at = None
    post_copy_at = (run.forced_at if run.post_copy and run.forced_at <= end
                    else None)
    disk_sent = params.bandwidth * max(
        min(end, plan.memory_at) - plan.running_at, 0.0)
    rounds, last_sync = _rounds(plan, run, end)
    first_sync = (None if last_sync is None
                  else plan.memory_at + plan.precopy.end_of(1))
    return GroundTruth(paused_at, paused_seconds, post_copy_at,
                       round(_memory_sent(params, plan, run, end)),
                       round(min(disk_sent, params.disk_bytes)),
                       rounds, last_sync, params.bandwidth,
                       params.dirty_rate, first_sync)


def _rounds(plan, run, end):
    """(pre-copy rounds begun by ``end``, start of the latest after the
    first): the rounds stop when the guest stops dirtying (a force, a
    convergence, a stall override)."""
    stops = [end] + [at for at in (run.forced_at, run.converged_at,
                                   run.stalled_at) if at is not None]
    copying = min(stops) - plan.memory_at
    if copying < 0:
        return 0, None
    rounds = plan.precopy.round_at(copying)
    if rounds is None:
        # a converged job's rounds: the one that fitted the budget
        rounds = plan.precopy.first_round_ending_after(
            run.converged_at - plan.memory_at - 1e-9) or 1
    if rounds == 1:
        return 1, None
    return rounds, plan.memory_at + plan.precopy.end_of(rounds - 1)
