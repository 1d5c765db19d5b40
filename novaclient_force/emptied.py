"""What a host drain that empties a host returns: one Outcome per server
that was on it, and the exit status of the whole drain.

A server's row says what was done with it (``action``), from where to
where, and why; the list says whether the host is empty. Exit status 0
means one thing only: the host holds no server at the end.
"""

import dataclasses
import typing

from novaclient_force import outcome

#: What a drain does with a server (the ``Action`` column).
LIVE_MIGRATE = 'live-migrate'
COLD_MIGRATE = 'cold-migrate'
FOLLOW = 'follow'           # already migrating: followed, not asked again
LEAVE = 'leave'             # left on the host, with the reason

#: A server left on the host (stopped without --cold-migrate-stopped,
#: suspended, a task in progress...): the host is not drained.
LEFT = 'left'
#: --dry-run: what would be done, nothing was sent.
PLANNED = 'planned'

EXIT_NOT_DRAINED = 9

#: The results that leave a drain short of empty, worst first: the exit
#: status of the drain is that of the first one met.
_WORST_FIRST = (outcome.FAILED, outcome.CANCELLED, outcome.TIMED_OUT,
                outcome.UNKNOWN, outcome.ERROR)


@dataclasses.dataclass
class ServerOutcome(outcome.Outcome):
    """One server's row of a drain."""

    action: str = ''
    source: str = ''
    destination: str = ''
    estimated_pause: typing.Optional[float] = None
    vm_status: str = ''             # the server's status when planned

    @property
    def exit_code(self):
        if self.status == LEFT:
            return EXIT_NOT_DRAINED
        if self.status == PLANNED:
            return 0
        return super().exit_code


class Emptied(list):
    """The ServerOutcomes of one drain. ``empty``: the host held no server
    at the last look; ``disabled``: its nova-compute service is disabled;
    ``note``: one line for a drain with nothing to do; ``dry_run``: a
    plan, nothing sent; ``still_there``: the names (or IDs) of the servers
    the last look found on the host."""

    def __init__(self, rows=(), host=''):
        super().__init__(rows)
        self.host = host
        self.empty = False
        self.disabled = False
        self.note = ''
        self.dry_run = False
        self.still_there = []

    @property
    def exit_code(self):
        """0 only if the host is empty (a dry run: 0 when the plan empties
        it); else the worst row's status, 9 when servers were only left."""
        if self.dry_run:
            return 0 if all(row.action != LEAVE for row in self) \
                else EXIT_NOT_DRAINED
        if self.empty:
            return 0
        for status in _WORST_FIRST:
            for row in self:
                if row.status == status and row.exit_code:
                    return row.exit_code
        return EXIT_NOT_DRAINED
