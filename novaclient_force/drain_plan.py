"""What a host drain does with each server on the host, in which order,
and when a deadline makes it force: pure, no I/O, no clock of its own.

Nova live-migrates ACTIVE and PAUSED servers with no task in progress
(nova/compute/api.py ``API.live_migrate``: ``check_instance_state``
with vm_states ACTIVE and PAUSED, task_state None) and cold-migrates
ACTIVE and STOPPED ones (``API.resize``). Anything else it refuses with
409 "Cannot 'os-migrateLive' instance ... while it is in vm_state ..."
(nova/api/openstack/common.py
``raise_http_conflict_for_instance_invalid_state``): a drain does not
send what Nova would refuse, and reports the reason Nova would give.
"""

import dataclasses
import math
import typing

from novaclient_force import emptied, terminal

#: Bytes per second a live migration is assumed to copy before one was
#: measured (10 Gbit/s): only orders and deadline estimates use it.
ASSUMED_TRANSFER = 1.25e9
MIB = 2 ** 20


@dataclasses.dataclass(frozen=True)
class Planned:
    """One server on the host, and what the drain does with it."""

    id: str
    name: str
    status: str                 # the server's status (ACTIVE, SHUTOFF...)
    vm_state: str
    task_state: typing.Optional[str]
    memory_bytes: typing.Optional[int]
    action: str                 # emptied.LIVE_MIGRATE, COLD_MIGRATE...
    why: str                    # what will be done and why, or Nova's no


def nova_refusal(server_id, attribute, value, action='os-migrateLive'):
    """The 409 text Nova gives for a server in the wrong state."""
    return (f"Cannot '{action}' instance {server_id} while it is in "
            f'{attribute} {value}')


def plan(server, cold_migrate_stopped):
    """The Planned row for one server body of ``/servers/detail``."""
    sid = server.get('id', '')
    vm_state = server.get('OS-EXT-STS:vm_state') or ''
    task = server.get('OS-EXT-STS:task_state')
    status = server.get('status') or ''
    ram = (server.get('flavor') or {}).get('ram')
    memory = ram * MIB if isinstance(ram, int) else None

    def row(action, why):
        return Planned(sid, server.get('name') or '', status, vm_state,
                       task, memory, action, why)

    if task == 'migrating':
        return row(emptied.FOLLOW, 'already live-migrating: followed, not '
                                   'requested again')
    if task is not None:
        refusal = nova_refusal(sid, 'task_state', task)
        return row(emptied.LEAVE, 'a task is in progress, Nova would '
                   f'refuse: {refusal}')
    if vm_state in ('active', 'paused'):
        return row(emptied.LIVE_MIGRATE,
                   f'{terminal.printable(status)}: live migration, block '
                   'migration auto')
    if vm_state == 'stopped' and cold_migrate_stopped:
        return row(emptied.COLD_MIGRATE, 'SHUTOFF: cold migration, resize '
                                         'confirmed (--cold-migrate-stopped)')
    if vm_state == 'stopped':
        refusal = nova_refusal(sid, 'vm_state', vm_state)
        return row(emptied.LEAVE, 'SHUTOFF: Nova live-migrates only ACTIVE '
                   f'and PAUSED servers ({refusal}); --cold-migrate-stopped '
                   'cold-migrates it')
    if vm_state == 'resized':
        return row(emptied.LEAVE, 'VERIFY_RESIZE: a resize or cold '
                   'migration awaits its confirm or revert')
    refusal = nova_refusal(sid, 'vm_state', vm_state)
    return row(emptied.LEAVE, f'{terminal.printable(status)}: Nova would '
               f'refuse: {refusal}')


def ordered(rows, order):
    """The live migrations in the order to request them.

    ``soonest``: paused guests first (they dirty no memory, so their copy
    converges at once), then the smallest memory first. Nova runs them
    one after another (``max_concurrent_live_migrations``), so shortest
    first moves the most guests by any moment, and by a deadline.
    ``listed``: as Nova listed them (first come, first served).
    """
    if order == 'listed':
        return list(rows)
    return sorted(rows, key=lambda row: (
        row.vm_state != 'paused',
        math.inf if row.memory_bytes is None else row.memory_bytes,
        row.name, row.id))


def copy_seconds(memory_bytes, transfer=None):
    """Estimated seconds to copy a guest of ``memory_bytes`` once (the
    first pre-copy round, which a forced copy also takes at most)."""
    rate = transfer or ASSUMED_TRANSFER
    return (memory_bytes or 0) / rate


class DeadlinePolicy:
    """A policy (diagnosis.Policy's interface) that forces, besides what
    ``inner`` forces, any running migration whose estimated end, with the
    queue behind it, would overrun ``deadline`` (a time on ``clock``).

    ``queue(transfer)`` gives the seconds the migrations still behind
    this one need, at a transfer rate (bytes/s) or the assumed one.
    """

    forces_at_once = False

    def __init__(self, inner, deadline, clock, queue, seconds):
        self.inner = inner
        self.deadline = deadline
        self.clock = clock
        self.queue = queue
        self.seconds = seconds      # as given, for the words

    @property
    def force_after(self):
        """The age at which ``inner`` forces whatever the readings say
        (None: at none, or a caller's own policy that does not say)."""
        return getattr(self.inner, 'force_after', None)

    def decide(self, diagnosis, running_for):
        force, why = self.inner.decide(diagnosis, running_for)
        if force:
            return force, why
        left = self.deadline - self.clock()
        if diagnosis.state == 'converging':
            own = diagnosis.eta or 0.0
        elif diagnosis.state in ('unknown', 'copying'):
            # Not judged yet (one reading, no counters, or the first pass
            # over memory going on): at best one copy of what remains;
            # running twice that long unconverged, it takes more rounds
            # than a deadline can wait for.
            own = copy_seconds(diagnosis.remaining_bytes
                               or diagnosis.total_bytes,
                               diagnosis.transfer_rate)
            if running_for > 2 * own:
                own = None
        else:
            own = None      # stalled or growing: it will not end unaided
        behind = self.queue(diagnosis.transfer_rate)
        if own is None or own + behind > left:
            own_words = ('it does not converge' if own is None
                         else f'it needs about {own:.0f}s')
            return True, (f'--deadline {self.seconds:g}: {own_words} and '
                          f'the queue behind it about {behind:.0f}s, with '
                          f'{max(left, 0):.0f}s left')
        return False, why


class NoForce:
    """A policy that never forces (``--no-force``): migrations converge
    on their own, or Nova's own completion timeout ends them."""

    forces_at_once = False

    def decide(self, diagnosis, running_for):
        return False, '--no-force'
