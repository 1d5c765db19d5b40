"""Is a live migration converging? Judged from successive readings.

Nova shows three memory counters per in-progress live migration (server
migration index and show, 2.23+; nova/api/openstack/compute/
server_migrations.py), copied verbatim from
libvirt's job stats by ``LibvirtDriver._live_migration_monitor`` and
``migration.save_stats`` (nova/virt/libvirt/driver.py, migration.py):

* ``memory_remaining_bytes``: dirty memory not sent yet;
* ``memory_processed_bytes``: every byte sent so far, re-sent pages
  included, so it grows past the total on a guest that does not converge;
* ``memory_total_bytes``: the guest's RAM.

Between two readings the copy sends ``transfer`` bytes/s (the growth of
processed) while the guest dirties ``dirty`` bytes/s, so remaining changes
by ``dirty - transfer`` per second. Remaining shrinking means converging
(time to finish: remaining / shrink rate); flat or growing means the guest
dirties as fast as, or faster than, the link copies. Forcing pauses the
guest, which stops the dirtying: the copy then drains what is left at the
transfer rate, so the pause lasts about remaining / transfer.

The counters are null until libvirt's first stats save (every
``live_migration_monitor_interval``, 5 s) and stay null on drivers that
report none; such readings give ``unknown``.

Everything here is pure (no clock, no I/O): the callers feed readings
with the time they were taken.
"""

import dataclasses
import typing

CONVERGING = 'converging'
STALLED = 'stalled'
GROWING = 'growing'
UNKNOWN = 'unknown'

#: Rates are measured over the readings of this many seconds up to the
#: latest one (at least the latest two readings): recent enough to see a
#: migration that stopped converging, long enough to span several libvirt
#: stats saves (5 s apart).
RATE_WINDOW = 30.0

#: Nova's default ``[libvirt] live_migration_monitor_interval``: libvirt's
#: counters are saved this often (seconds).
STATS_INTERVAL = 5.0

#: A change of remaining memory smaller than this share of the transfer
#: over the same time is "flat": libvirt's counters move in steps, and a
#: copy that gains less than 1% of what it sends will not finish.
FLAT_SHARE = 0.01


@dataclasses.dataclass(frozen=True)
class Sample:
    """One reading of a migration's memory counters at ``time`` seconds."""

    time: float
    remaining: typing.Optional[int]
    processed: typing.Optional[int] = None
    total: typing.Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What the readings say about one migration.

    Rates are bytes per second, times seconds; None where the readings do
    not tell (fewer than two readings with counters, or counters null).
    ``stalled_for`` is how long remaining memory has not reached a new
    low: 0 while it keeps shrinking.
    """

    state: str
    remaining_bytes: typing.Optional[int] = None
    total_bytes: typing.Optional[int] = None
    transfer_rate: typing.Optional[float] = None
    dirty_rate: typing.Optional[float] = None
    eta: typing.Optional[float] = None
    estimated_pause: typing.Optional[float] = None
    stalled_for: typing.Optional[float] = None

    def summary(self):
        """A few words for a table cell or the progress line."""
        if self.state == UNKNOWN:
            if self.remaining_bytes is None:
                return 'unknown (Nova reports no memory counters)'
            return 'unknown (one reading so far)'
        if self.state == CONVERGING:
            eta = '' if self.eta is None else f', ETA {self.eta:.0f}s'
            return f'converging{eta}'
        text = self.state
        if self.stalled_for:
            text += f' for {self.stalled_for:.0f}s'
        if self.transfer_rate is not None and self.dirty_rate is not None:
            text += (f' (sending {_rate(self.transfer_rate)}, '
                     f'dirtying {_rate(self.dirty_rate)})')
        return text

    def as_dict(self):
        """The numbers, for ``-f json`` and scripts."""
        return dataclasses.asdict(self)


def _rate(bytes_per_second):
    return f'{bytes_per_second / 2 ** 20:.0f} MiB/s'


def classify(samples, window=RATE_WINDOW):
    """The Diagnosis for ``samples`` (Samples of one migration, any order).

    Readings without ``remaining`` are ignored; without ``processed`` the
    trend is still judged but the rates and the estimated pause are not.
    """
    known = sorted((s for s in samples if s.remaining is not None),
                   key=lambda s: s.time)
    if not known:
        return Diagnosis(UNKNOWN)
    base = Diagnosis(UNKNOWN, remaining_bytes=known[-1].remaining,
                     total_bytes=known[-1].total,
                     stalled_for=_stalled_for(known))
    saves = _distinct(known)
    last = saves[-1]
    earlier = [s for s in saves[:-1] if s.time >= last.time - window]
    earlier = earlier or saves[-2:-1]
    if earlier:
        first = earlier[0]
    elif known[-1].time - known[0].time > 2 * STATS_INTERVAL:
        # Counters frozen across several stats saves: nothing moves.
        first, last = known[0], known[-1]
    else:
        return base
    span = last.time - first.time
    shrink = (first.remaining - last.remaining) / span
    transfer = None
    if first.processed is not None and last.processed is not None:
        transfer = max(last.processed - first.processed, 0) / span
    flat = FLAT_SHARE * (transfer or 0.0)
    if last.remaining == 0 or shrink > flat:
        state = CONVERGING
    elif shrink < -flat:
        state = GROWING
    else:
        state = STALLED
    diagnosis = dataclasses.replace(
        base, state=state, transfer_rate=transfer,
        dirty_rate=None if transfer is None else max(transfer - shrink, 0.0))
    if state == CONVERGING:
        diagnosis = dataclasses.replace(
            diagnosis, eta=last.remaining / shrink if shrink > 0 else 0.0)
    if transfer:
        diagnosis = dataclasses.replace(
            diagnosis, estimated_pause=last.remaining / transfer)
    return diagnosis


def _distinct(known):
    """The readings that show new counters: libvirt's stats are saved
    every few seconds, and readings between two saves repeat the last
    one; each save is dated by the first reading that showed it."""
    saves = [known[0]]
    for sample in known[1:]:
        previous = saves[-1]
        if (sample.remaining, sample.processed) != (previous.remaining,
                                                    previous.processed):
            saves.append(sample)
    return saves


def _stalled_for(known):
    """Seconds since remaining memory last reached a new low."""
    low = known[0]
    for sample in known[1:]:
        if sample.remaining < low.remaining:
            low = sample
    return known[-1].time - low.time


@dataclasses.dataclass(frozen=True)
class Policy:
    """When to force a running migration (the ``--stalled-after`` and
    ``--force-after`` options); neither set means force at once.

    Both count on the caller's clock from the first reading that saw the
    migration ``running``: Nova's API records no time at which a migration
    started running (``created_at`` is when the conductor accepted it,
    queue time included).

    Without memory counters (a driver that reports none, or a reading
    before libvirt's first stats save) ``stalled_after`` cannot see any
    progress, so it acts as an age limit of the same length: the migration
    gets the grace time asked for and is forced if still running then;
    it is never forced sooner for lack of data, nor left running forever.
    """

    stalled_after: typing.Optional[float] = None
    force_after: typing.Optional[float] = None

    @property
    def forces_at_once(self):
        return self.stalled_after is None and self.force_after is None

    def decide(self, diagnosis, running_for):
        """(force now?, why) for a migration running ``running_for`` s."""
        if self.forces_at_once:
            return True, 'forced as soon as it was running'
        if self.force_after is not None and running_for >= self.force_after:
            return True, f'running for {running_for:.0f}s (--force-after ' \
                         f'{self.force_after:g})'
        if self.stalled_after is not None:
            stalled = diagnosis.stalled_for
            if diagnosis.remaining_bytes is None or stalled is None:
                if running_for >= self.stalled_after:
                    return True, (f'no memory counters to judge by after '
                                  f'{running_for:.0f}s (--stalled-after '
                                  f'{self.stalled_after:g})')
            elif stalled >= self.stalled_after:
                return True, (f'remaining memory has not shrunk for '
                              f'{stalled:.0f}s (--stalled-after '
                              f'{self.stalled_after:g})')
        return False, f'left alone: {diagnosis.summary()}'
