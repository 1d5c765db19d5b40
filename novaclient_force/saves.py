"""When Nova next saves a live migration's memory counters: when to look.

Nova's libvirt driver saves the counters of a running live migration
every ``live_migration_monitor_interval`` seconds (default 5), counting
from its first reading of the job (nova/virt/libvirt/driver.py
``_live_migration_monitor`` saves when ``n % divisor == 0``;
nova/virt/libvirt/migration.py ``save_stats``). Every save of the
migration, of its counters or of a new status, sets its ``updated_at``
(oslo.db's ``TimestampMixin``), which the migration listings show, and
every reading between two saves repeats the last one. So a policy that
judges the counters (``--auto``, ``--stalled-after``) learns something
only from the first reading after a save: a look just after it forces a
guest the moment the save proves it stuck, where a look on a fixed
back-off comes up to a whole interval later, and reading the counters
only when ``updated_at`` moved spares the requests in between.

Saves are dated on the cloud's clock and looks on the caller's; the least
gap seen between a look and a save it was the first to show (their
offset plus the quickest look), over every migration read from the same
cloud (Offset), maps one onto the other, so a look is not due before the
save can have happened (with ``updated_at`` in whole seconds, as a MySQL
DATETIME keeps it, up to a second before: the looks again cover that).
A save later than predicted (the monitor's period
is a little over the interval; an operator may set another) is looked for
again shortly for a while, and then the caller's back-off takes over. The
interval is learnt from the saves themselves.
"""

from novaclient_force import diagnosis

#: Seconds after the predicted save to look: each of the monitor's 0.5 s
#: iterations also reads libvirt's job stats, and the save goes through
#: nova-conductor, so a save comes a little after the interval.
MARGIN = 0.2
#: A save not seen when predicted is looked for again this often, for
#: at most OVERDUE seconds.
RETRY = 0.5
OVERDUE = 2.0
#: Saves of a running migration closer than this are not the monitor's
#: period: its ``running`` status and the monitor's first save of
#: counters come close together.
SHORTEST_INTERVAL = 1.0


class Offset:
    """The caller's clock minus the cloud's, at most: the least gap seen
    between a look and a save it was the first to show. One per cloud: a
    drain's migrations share it, so each is looked at on time from its
    first save on."""

    def __init__(self):
        self.value = None

    def seen(self, now, saved_at):
        lag = now - saved_at
        if self.value is None or lag < self.value:
            self.value = lag


class Saves:
    """The saves of one migration, as the looks at it showed them."""

    def __init__(self, offset=None):
        self.latest = None      # cloud time of the latest save seen
        self.offset = offset or Offset()
        self._shortest = None   # the shortest gap between two saves seen
        self._running = None    # cloud time of the latest save while running

    @property
    def interval(self):
        """The monitor's period: the shortest gap seen between two saves
        of the running migration (a missed save makes a gap a multiple,
        never shorter), else Nova's default."""
        return self._shortest or diagnosis.STATS_INTERVAL

    def seen(self, now, saved_at, running):
        """A look at ``now`` (caller's clock) showed the migration saved
        at ``saved_at`` (cloud's clock; None when not told), ``running``
        or not."""
        if saved_at is None or (self.latest is not None
                                and saved_at <= self.latest):
            return
        self.offset.seen(now, saved_at)
        self.latest = saved_at
        if not running:
            return
        gap = None if self._running is None else saved_at - self._running
        if gap is not None and gap >= SHORTEST_INTERVAL:
            self._shortest = min(gap, self._shortest or gap)
        self._running = saved_at

    def newer_than(self, saved_at):
        """Whether a save later than ``saved_at`` (None: none read) has
        been seen, or the saves are not dated at all."""
        return self.latest is None or saved_at is None or (
            self.latest > saved_at)

    def next_look(self, now):
        """When to look next (caller's clock), or None to leave it to the
        caller's back-off: nothing seen yet, or the save is long overdue."""
        if self.latest is None:
            return None
        due = self.latest + self.interval + self.offset.value + MARGIN
        if now < due:
            return due
        if now < due + OVERDUE:
            return now + RETRY
        return None
