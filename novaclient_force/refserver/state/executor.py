"""Nova's per-source-host live-migration queue, derived from simulated time.

``ComputeManager.live_migration`` (``nova/compute/manager.py``) sets a
migration ``queued`` and submits ``_do_live_migration`` to the source
host's live-migration executor, whose size is
``[DEFAULT] max_concurrent_live_migrations`` (``nova/conf/compute.py``,
default 1; ``nova/thread_pool_factory.py``
``get_max_concurrent_live_migrations`` sizes the executor). A worker takes
the queue's head (FIFO) when it is free, sets ``preparing``, runs
``pre_live_migration`` on the destination, sets ``running`` and keeps the
worker until the migration has ended (completed, or rolled back after an
abort or a failure). ``live_migration_abort`` cancels a future still in the
queue: that migration never holds a worker.

So when a migration leaves ``queued`` depends on when the ones ahead of it
end, which depends on when they were forced or aborted. :func:`schedule`
replays that from the migrations' parameters and request times alone: no
background thread, the same answer on every read. A request only changes
what happens after it, so a read never rewrites the past.

0 means no limit here: Nova deprecates 0 and runs it as 1000 green
threads in eventlet mode (5 native threads in threading mode).
"""

import dataclasses
import heapq
import math

from novaclient_force.refserver.state import simulator

#: Nova's default for ``max_concurrent_live_migrations``.
DEFAULT_LIMIT = 1


@dataclasses.dataclass(frozen=True)
class Job:
    """One live migration leaving the host; times are absolute.

    ``origin`` is when the source compute queued it. A migration already
    written as ended carries ``ended_at`` and the ``slot_at`` it held a
    worker from (None if it never did).
    """

    key: int
    origin: float
    params: simulator.MigrationParams
    force_complete_at: float | None = None
    abort_at: float | None = None
    overrides: tuple = ()        # (time, kind): the test harness's
    ended_at: float | None = None
    slot_at: float | None = None


def _relative(value, origin):
    return None if value is None else value - origin


def end_of(job, slot_at):
    """When ``job`` frees its worker, given it took one at ``slot_at``."""
    return job.origin + simulator.finished_at(
        job.params, _relative(job.force_complete_at, job.origin),
        _relative(job.abort_at, job.origin),
        tuple((at - job.origin, kind) for at, kind in job.overrides),
        slot_at - job.origin)


def schedule(jobs, limit):
    """``{key: slot_at}`` for the jobs not yet ended: when a worker takes
    each (``math.inf`` if none ever frees), or None for one aborted while
    still queued (it never takes a worker, the ones behind move up).

    ``jobs`` must include every migration that holds a worker at or after
    the earliest origin among the unended ones. ``limit`` 0: no limit.
    """
    ordered = sorted(jobs, key=lambda job: (job.origin, job.key))
    if not limit:
        return {job.key: job.origin + job.params.queued_seconds
                for job in ordered if job.ended_at is None}
    free = [-math.inf] * limit      # when each worker is free again
    head = -math.inf                # FIFO: no one overtakes the one ahead
    slots = {}
    for job in ordered:
        if job.ended_at is not None:
            if job.slot_at is not None:
                heapq.heapreplace(free, job.ended_at)
                head = max(head, job.slot_at)
            continue
        take = max(job.origin + job.params.queued_seconds, head, free[0])
        if job.abort_at is not None and job.abort_at < take:
            slots[job.key] = None
            continue
        slots[job.key] = head = take
        heapq.heapreplace(free, end_of(job, take) if take < math.inf
                          else math.inf)
    return slots
