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

The migrations running at once over one link (source to destination host)
share its bandwidth: QEMU streams each over its own connection and the
link divides between them. A migration's share is fixed when its worker
takes it: the link divided by the number of migrations running over that
link then, itself and those starting at the same moment included. That
keeps each migration's model closed-form (one constant bandwidth); it is
pessimistic after a neighbour ends early (the freed share is not handed
back), and exact for migrations that start and end together, as a forced
drain's do.
"""

import bisect
import dataclasses
import heapq
import itertools
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
    dest: str = ''               # the link is source host -> dest
    sharing: int = 1             # of an ended job: its link share


@dataclasses.dataclass(frozen=True)
class Slot:
    """When a worker takes a job (``math.inf``: never; None: aborted while
    queued) and how many migrations share its link from then on."""

    at: float | None
    sharing: int = 1


def shared(params, sharing):
    """``params`` with the link's bandwidth split ``sharing`` ways."""
    if sharing <= 1:
        return params
    return dataclasses.replace(params, bandwidth=params.bandwidth / sharing)


def _relative(value, origin):
    return None if value is None else value - origin


def end_of(job, slot_at, sharing=1):
    """When ``job`` frees its worker, given it took one at ``slot_at`` and
    shares its link ``sharing`` ways."""
    return job.origin + simulator.finished_at(
        shared(job.params, sharing),
        _relative(job.force_complete_at, job.origin),
        _relative(job.abort_at, job.origin),
        tuple((at - job.origin, kind) for at, kind in job.overrides),
        slot_at - job.origin)


class _Links:
    """Who runs over each link when: per destination, the sorted start and
    end times of the migrations scheduled so far."""

    def __init__(self):
        self.starts = {}
        self.ends = {}

    def add(self, dest, start, end):
        bisect.insort(self.starts.setdefault(dest, []), start)
        bisect.insort(self.ends.setdefault(dest, []), end)

    def running(self, dest, at):
        """Migrations over ``dest``'s link that started by ``at`` and have
        not ended by then."""
        return (bisect.bisect_right(self.starts.get(dest, ()), at)
                - bisect.bisect_right(self.ends.get(dest, ()), at))


def _starting_with(following, job, take, free):
    """How many of the ``free`` workers idle at ``take`` go to jobs over
    ``job``'s link, ``job`` (the first of ``following``) included: the
    FIFO's next jobs ready by then all start at that moment.

    One of them already written as ended took its worker then too: it
    uses one up, and its share is in ``links`` already. So the answer
    does not depend on which migrations were written as ended yet."""
    count = 0
    for other in following:
        if other.ended_at is not None:
            if free <= 0 or (other.slot_at is not None
                             and other.slot_at > take):
                break
            free -= other.slot_at == take
            continue
        if free <= 0 or other.origin + other.params.queued_seconds > take:
            break
        if other.abort_at is not None and other.abort_at < take:
            continue
        free -= 1
        count += other.dest == job.dest and other.params.shared_link
    return count


def schedule(jobs, limit):
    """``{key: Slot}`` for the jobs not yet ended: when a worker takes
    each and how many share its link (see the module docstring).

    ``jobs`` must include every migration that holds a worker at or after
    the earliest origin among the unended ones. ``limit`` 0: no limit.
    """
    def ready(job):
        return job.origin + job.params.queued_seconds

    links = _Links()
    for job in jobs:
        if (job.ended_at is not None and job.slot_at is not None
                and job.params.shared_link):
            links.add(job.dest, job.slot_at, job.ended_at)
    if not limit:
        ordered = sorted(jobs, key=lambda job: (ready(job), job.key))
    else:
        ordered = sorted(jobs, key=lambda job: (job.origin, job.key))
    free = [-math.inf] * (limit or 1)   # when each worker is free again
    head = -math.inf                # FIFO: no one overtakes the one ahead
    slots = {}
    for position, job in enumerate(ordered):
        if job.ended_at is not None:
            if limit and job.slot_at is not None:
                heapq.heapreplace(free, job.ended_at)
                head = max(head, job.slot_at)
            continue
        take = ready(job) if not limit else max(ready(job), head, free[0])
        if job.abort_at is not None and job.abort_at < take:
            slots[job.key] = Slot(None)
            continue
        head = take
        if take == math.inf:
            slots[job.key] = Slot(take)
            continue
        sharing = 1
        if job.params.shared_link:
            idle = (sum(1 for at in free if at <= take) if limit
                    else math.inf)
            sharing = links.running(job.dest, take) + _starting_with(
                itertools.islice(ordered, position, None), job, take, idle)
        end = end_of(job, take, sharing)
        slots[job.key] = Slot(take, sharing)
        if job.params.shared_link:
            links.add(job.dest, take, end)
        if limit:
            heapq.heapreplace(free, end)
    return slots
