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

They are a sampled sawtooth, not a level (QEMU ``migration/ram.c``,
``migration_bitmap_sync``; nova-specs stein
``live-migration-force-after-timeout``): QEMU first sends all memory
once; remaining then falls as pages go out, and at each bitmap sync it
jumps back up by what the guest dirtied for the first time since (at most
its writable working set); pre-copy ends at the first sync whose dirty
set fits the downtime budget. Nova saves the counters every
``live_migration_monitor_interval`` (5 s), at a phase unrelated to the
rounds, and dates each save in ``updated_at``: that is a Sample's time,
so rates are the cloud's, whatever the client's poll times.

So the readings are judged as QEMU makes them, never by one low or high
reading. Remaining + processed grows only by what syncs find, so between
two readings it tells how much was found dirty again; processed tells
how much was sent. A guest is *stuck* (``--auto`` forces it) once the
readings prove that the rounds find dirty again at least
:data:`STUCK_RATIO` of what they send, allowing for a whole round's
scatter; it is *converging* once they show a round's dirty set smaller
than the one before (or a clear downward trend), with an ETA from that
shrink; during the first pass every guest looks alike and is
``copying``. Forcing pauses the guest, which stops the dirtying: the
copy then drains what is left at the transfer rate, so the pause lasts
about remaining / transfer.

The counters are null until the monitor's first save, as the job starts
running, and stay null on drivers that report none; such readings give
``unknown``.

Everything here is pure (no clock, no I/O): the callers feed readings
with the time they were taken.
"""

import dataclasses
import math
import typing

CONVERGING = 'converging'
STALLED = 'stalled'
GROWING = 'growing'
UNKNOWN = 'unknown'
#: Still in the first pass over memory: every guest looks alike then,
#: since QEMU counts nothing newly dirtied before its first bitmap sync.
COPYING = 'copying'

#: A guest is proven stuck once the readings show that the pre-copy
#: rounds find dirty again at least this share of what they send: its
#: dirty set then shrinks by at most 3% a round, if at all.
STUCK_RATIO = 0.97
#: Readings after the first pass needed to see a trend through the
#: sawtooth, and how many standard errors it must stand clear of 0.
MIN_READINGS = 4
SPREAD = 3.0
#: How far back ``stalled_for`` looks for progress (seconds).
MAX_LOOKBACK = 900.0
#: A round whose dirty set is at least this share smaller than the one
#: before shows the guest converging.
SHRINK = 0.02
#: Growth of remaining + processed, as a share of the bytes sent, that
#: does not prove a sync (page headers and device state are sent too).
SAME_ROUND = 0.01
#: Nova's first downtime step (``live_migration_downtime`` 500 ms over
#: ``live_migration_downtime_steps`` 10), seconds: the least the budget
#: is, for the ETA.
MIN_DOWNTIME = 0.05

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
    #: The readings prove it will not converge unaided (``--auto``).
    stuck: bool = False

    def summary(self):
        """A few words for a table cell or the progress line."""
        if self.state == UNKNOWN:
            if self.remaining_bytes is None:
                return 'unknown (Nova reports no memory counters)'
            return 'unknown (one reading so far)'
        if self.state == CONVERGING:
            eta = '' if self.eta is None else f', ETA {self.eta:.0f}s'
            return f'converging{eta}'
        if self.state == COPYING:
            return 'copying (first pass over memory, not judged yet)'
        text = 'not converging' if self.stuck else self.state
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

    Readings without ``remaining`` are ignored. With ``processed`` and
    ``total`` the readings are judged as libvirt gives them, a sampled
    sawtooth (:func:`_judge_rounds`); without them only the trend of
    remaining memory is judged, and neither rates nor the estimated pause
    are known.
    """
    known = sorted((s for s in samples if s.remaining is not None),
                   key=lambda s: s.time)
    if not known:
        return Diagnosis(UNKNOWN)
    saves = _distinct(known)
    last = saves[-1]
    base = Diagnosis(UNKNOWN, remaining_bytes=last.remaining,
                     total_bytes=last.total)
    rounds = all(s.processed is not None and s.total for s in saves)
    if len(saves) == 1:
        if rounds and known[-1].time - known[0].time <= 2 * STATS_INTERVAL:
            # one save may already prove a guest stuck (its first sync)
            return _judge_rounds(saves, window, base)
        if known[-1].time - known[0].time > 2 * STATS_INTERVAL:
            # Counters frozen across several stats saves: nothing moves.
            return dataclasses.replace(
                base, state=STALLED,
                transfer_rate=0.0 if last.processed is not None else None,
                dirty_rate=0.0 if last.processed is not None else None,
                stalled_for=known[-1].time - known[0].time)
        return dataclasses.replace(base, stalled_for=0.0)
    if rounds:
        return _judge_rounds(saves, window, base)
    return _judge_trend(known, saves, window, base)


def _judge_trend(known, saves, window, base):
    """Remaining memory alone (no processed or total): shrinking is
    converging, flat is stalled, rising is growing."""
    last = saves[-1]
    earlier = [s for s in saves[:-1] if s.time >= last.time - window]
    first = (earlier or saves[-2:-1])[0]
    span = last.time - first.time
    shrink = (first.remaining - last.remaining) / span
    state = (CONVERGING if last.remaining == 0 or shrink > 0
             else GROWING if shrink < 0 else STALLED)
    low = known[0]
    for sample in known[1:]:
        if sample.remaining < low.remaining:
            low = sample
    return dataclasses.replace(
        base, state=state, stalled_for=known[-1].time - low.time,
        eta=(last.remaining / shrink if state == CONVERGING and shrink > 0
             else 0.0 if state == CONVERGING else None))


def _distinct(known):
    """The readings that show new counters: libvirt's stats are saved
    every few seconds, and readings between two saves repeat the last
    one; each save is dated by the first reading that showed it."""
    saves = [known[0]]
    for sample in known[1:]:
        previous = saves[-1]
        if sample.time != previous.time and (
                (sample.remaining, sample.processed)
                != (previous.remaining, previous.processed)):
            saves.append(sample)
    return saves


@dataclasses.dataclass(frozen=True)
class _Rounds:
    """What the readings up to one save say of the pre-copy rounds."""

    state: str
    stuck: bool = False
    ratio: typing.Optional[float] = None     # re-dirtied / sent, at least
    pass_end: typing.Optional[float] = None  # when the first pass ended
    eta: typing.Optional[float] = None


def _judge_rounds(saves, window, base):
    """The sawtooth judged (module docstring): rates over ``window``
    seconds, the state at the latest save, and how long since the
    readings last showed progress."""
    last = saves[-1]
    earlier = [s for s in saves[:-1] if s.time >= last.time - window]
    first = (earlier or saves[-2:-1] or [None])[0]
    transfer = None
    if first is not None:
        transfer = max(last.processed - first.processed, 0) / (
            last.time - first.time)
    now = _rounds_at(saves, transfer)
    if now.state == COPYING and transfer is None:
        return dataclasses.replace(base, stalled_for=0.0)
    found = dataclasses.replace(
        base, state=now.state, stuck=now.stuck, eta=now.eta,
        transfer_rate=transfer,
        dirty_rate=(None if now.ratio is None or now.state == COPYING
                    or transfer is None else transfer * now.ratio),
        estimated_pause=last.remaining / transfer if transfer else None)
    return dataclasses.replace(
        found, stalled_for=_stalled_for(saves, now, transfer))


def _stalled_for(saves, now, transfer):
    """Seconds with no progress towards completion: since the first pass
    ended for a guest proven stuck, else since the latest save at which
    the readings showed the first pass going on or the dirty set
    shrinking (0 if that is the latest save), or since the ETA the
    readings gave then, if later."""
    last = saves[-1]
    if now.stuck and now.pass_end is not None:
        return max(last.time - now.pass_end, 0.0)
    for index in range(len(saves) - 1, 0, -1):
        if index < len(saves) - 1:
            judged = _rounds_at(saves[:index + 1], transfer)
        else:
            judged = now
        if judged.state in (COPYING, CONVERGING):
            # a guest shown converging is on course until its ETA
            since = saves[index].time + (judged.eta or 0.0)
            return max(last.time - since, 0.0)
        if saves[index].time < last.time - MAX_LOOKBACK:
            break
    return last.time - saves[0].time


def _rounds_at(saves, transfer):
    """Judge the pre-copy rounds from the readings ``saves`` (QEMU's
    rules, module docstring): still in the first pass; proven stuck; its
    dirty set shrinking; or none of these shown yet (stalled)."""
    total = saves[-1].total
    post = None
    for index, sample in enumerate(saves):
        if sample.processed >= total or index and _synced(
                saves[index - 1], sample):
            post = index
            break
    if post is None:
        return _Rounds(COPYING)
    after = saves[post:]
    head = after[0]
    found = head.remaining + head.processed - total
    pass_end = head.time - (max(head.processed - total, 0) / transfer
                            if transfer else 0.0)
    peaks = _peaks(after, total)
    # The dirty set of any round after the first is at most what the
    # first sync found (exactly, when the first reading caught it),
    # which is at most what all syncs found by then.
    bound = min(total, found) if found > 0 else total
    if peaks[0][0] is not None:
        bound = peaks[0][0]
    ratio = low = _redirtied(after, bound)
    if peaks[0][0] is not None:
        # the first sync, caught exactly: it found this share of the
        # first pass dirty again
        ratio = max(low or 0.0, peaks[0][0] / total)
    stuck = ratio is not None and ratio >= STUCK_RATIO
    for peak, share in peaks[1:]:
        if share is not None and peak is not None and (
                peak >= STUCK_RATIO * bound):
            # a round caught exactly holds (nearly) as much as any round
            # after the first may: the one before it held no more
            stuck, ratio = True, max(ratio or 0.0, peak / bound)
    if stuck:
        return _Rounds(STALLED, True, max(ratio, low or 0.0), pass_end)
    synced = [(at, share) for at, (_, share) in enumerate(peaks)
              if share is not None]
    if synced and synced[-1][1] < 1 - SHRINK and transfer:
        return _Rounds(CONVERGING, ratio=synced[-1][1], pass_end=pass_end,
                       eta=_shrink_eta(after, peaks, synced, transfer))
    trend = _trend(after)
    if trend is not None and trend < 0 and transfer:
        eta = _eta(after, trend, transfer)
        if peaks[0][0] is not None and peaks[0][0] < total * (1 - SHRINK):
            # not sooner than the share the first sync found allows
            envelope = max(s.remaining for s in after[-MIN_READINGS:])
            eta = max(eta, envelope / ((1 - peaks[0][0] / total)
                                       * transfer))
        return _Rounds(CONVERGING, ratio=ratio, pass_end=pass_end,
                       eta=eta)
    return _Rounds(STALLED, ratio=ratio, pass_end=pass_end)


def _synced(early, late):
    """Whether a bitmap sync found dirty pages between two readings: in
    a round every page sent takes one off remaining, so remaining +
    processed grows only by what a sync adds (and by page headers)."""
    sent = late.processed - early.processed
    grown = (late.remaining + late.processed) - (
        early.remaining + early.processed)
    return grown > SAME_ROUND * max(sent, 0)


def _peaks(after, total):
    """At each reading after the first pass: (the dirty set of the round
    in progress, or None unless the readings pin it down; the share of
    the previous round's dirty set that the rounds since the reading
    before have at most, or None when no sync came in between).

    A reading that shows no growth of remaining + processed is in the
    round of the one before. Otherwise syncs came in between and found
    ``new`` bytes in all, so no round since holds more than ``new``,
    against at least the earlier reading's pending memory (or its exact
    dirty set) in the round before. If the later reading still has more
    pending than what was sent after the earlier one's round drained,
    there was exactly one sync (two need a whole round in between, which
    sends at least the dirty set the next sync finds), and ``new`` is
    the new round's dirty set. The first reading is compared with the
    end of the first pass (processed = total, nothing found yet, a
    round of ``total``), but not for the share: its first sync may be
    small only because the working set is.
    """
    out = []
    processed, found, peak, pending = total, 0, float(total), 0
    for index, sample in enumerate(after):
        now = sample.remaining + sample.processed - total
        sent = sample.processed - processed
        share = None
        new = now - found
        if sent < 0:
            peak = None
        elif new <= SAME_ROUND * sent:
            pass
        else:
            before = max(peak or 0, pending)
            if index and before and sample.remaining <= new:
                # (pending at most what the syncs found: the round before
                # drained, as QEMU drains one before its sync)
                share = new / before
            one = pending <= sent and sample.remaining > sent - pending
            peak = new if one else None
        out.append((peak, share))
        processed, found, pending = sample.processed, now, sample.remaining
    return out


def _redirtied(after, bound):
    """The least share of what the rounds sent that their syncs found
    dirty again, from the first reading after the first pass (or a later
    one) to the latest, or None with fewer than two.

    Between two readings the syncs found ``dirtied`` bytes (the growth of
    remaining + processed) while the rounds that ended meanwhile sent at
    most ``sent`` plus what the first of them had sent before the first
    reading: at most ``bound``, any round's dirty set, less what it still
    had pending then. The earlier reading is the one that proves most.
    """
    last = after[-1]
    best = None
    for early in after[:-1]:
        sent = last.processed - early.processed
        if sent <= 0:
            continue
        dirtied = (last.remaining + last.processed) - (
            early.remaining + early.processed)
        low = dirtied / (sent + max(bound - early.remaining, 0))
        best = low if best is None else max(best, low)
    return best


def _shrink_eta(after, peaks, synced, transfer):
    """Seconds until the dirty set fits the downtime budget, for a guest
    whose rounds shrink: each round's dirty set is ``p`` times the one
    before, so it falls by ``1 - p`` per byte sent. ``p`` is the latest
    ratio of two rounds caught exactly, else the share the first sync
    found, else the slowest shrink the readings showed lately; the
    dirty set is the latest caught exactly, less its decay since, else
    at most what the latest syncs found."""
    budget = transfer * MIN_DOWNTIME
    exact = [at for at, share in synced if at and share < 1 - SHRINK
             and peaks[at][0] is not None]
    total = after[-1].total
    if exact:
        at = exact[-1]
        ratio = peaks[at][1]
    elif peaks[0][0] is not None and peaks[0][0] < total * (1 - SHRINK):
        at, ratio = 0, peaks[0][0] / total
    else:
        at = synced[-1][0]
        ratio = max(share for index, share in synced if share < 1 - SHRINK
                    and after[index].time >= after[-1].time - RATE_WINDOW)
        new = (after[at].remaining + after[at].processed
               - after[at - 1].remaining - after[at - 1].processed)
        return max(new - budget, 0.0) / ((1 - ratio) * transfer)
    if ratio >= 1 - SHRINK:
        ratio = 1 - SHRINK
    peak, reading = peaks[at][0], after[at]
    # bytes sent since that round began
    since = after[-1].processed - reading.processed + peak - reading.remaining
    now = max(peak - (1 - ratio) * since, after[-1].remaining)
    return max(now - budget, 0.0) / ((1 - ratio) * transfer)


def _trend(after):
    """Slope of remaining memory per byte sent across the readings
    after the first pass, or None unless it is clear of the sawtooth's
    scatter: a least-squares fit whose slope is at least ``SPREAD``
    standard errors from 0, over at least ``MIN_READINGS`` readings."""
    if len(after) < MIN_READINGS:
        return None
    xs = [s.processed for s in after]
    ys = [s.remaining for s in after]
    count = len(xs)
    mean_x, mean_y = sum(xs) / count, sum(ys) / count
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if not sxx:
        return None
    slope = sum((x - mean_x) * (y - mean_y)
                for x, y in zip(xs, ys, strict=True)) / sxx
    residual = sum((y - mean_y - slope * (x - mean_x)) ** 2
                   for x, y in zip(xs, ys, strict=True))
    error = math.sqrt(residual / (count - 2) / sxx)
    if abs(slope) < SPREAD * error or not slope:
        return None
    return slope


def _eta(after, slope, transfer):
    """Seconds until the dirty set fits the downtime budget: the highest
    reading left (the dirty set's envelope) falls by ``-slope`` per byte
    sent (a round's dirty set shrinks by what it did not find dirty
    again), then the stop-and-copy."""
    envelope = max(s.remaining for s in after[-MIN_READINGS:])
    return envelope / (-slope * 2 * transfer)


#: ``--auto`` without memory counters (a driver that reports none):
#: seconds of ``running`` before it is forced anyway.
AUTO_GRACE = 60.0


@dataclasses.dataclass(frozen=True)
class Policy:
    """When to force a running migration (``--auto``, ``--stalled-after``
    and ``--force-after``); none of them means force at once.

    ``auto`` forces as soon as the readings prove the migration will not
    converge unaided (``Diagnosis.stuck``), and never one they judge
    converging. ``stalled_after`` forces once there has been no progress
    towards completion for that long (``Diagnosis.stalled_for``, on the
    times Nova saved the counters). ``force_after`` forces at an age,
    whatever the readings say.

    Ages count on the caller's clock from the first reading that saw the
    migration ``running``: Nova's API records no time at which a migration
    started running (``created_at`` is when the conductor accepted it,
    queue time included).

    Without memory counters (a driver that reports none, or a reading
    before the monitor's first save) neither ``auto`` nor
    ``stalled_after`` can see any progress, so they act as an age limit
    (:data:`AUTO_GRACE`, or ``stalled_after``): the migration gets that
    grace time and is forced if still running then; it is never forced
    sooner for lack of data, nor left running forever.
    """

    stalled_after: typing.Optional[float] = None
    force_after: typing.Optional[float] = None
    auto: bool = False

    @property
    def forces_at_once(self):
        return (self.stalled_after is None and self.force_after is None
                and not self.auto)

    def decide(self, diagnosis, running_for):
        """(force now?, why) for a migration running ``running_for`` s."""
        if self.forces_at_once:
            return True, 'forced as soon as it was running'
        if self.force_after is not None and running_for >= self.force_after:
            return True, f'running for {running_for:.0f}s (--force-after ' \
                         f'{self.force_after:g})'
        blind = (diagnosis.remaining_bytes is None
                 or diagnosis.stalled_for is None)
        if diagnosis.state == CONVERGING:
            pass
        elif self.auto and diagnosis.stuck:
            return True, (f'the readings prove it will not converge: '
                          f'{diagnosis.summary()} (--auto)')
        elif self.auto and blind and running_for >= AUTO_GRACE:
            return True, (f'no memory counters to judge by after '
                          f'{running_for:.0f}s (--auto grace '
                          f'{AUTO_GRACE:g}s)')
        elif self.stalled_after is not None:
            stalled = diagnosis.stalled_for
            if blind:
                if running_for >= self.stalled_after:
                    return True, (f'no memory counters to judge by after '
                                  f'{running_for:.0f}s (--stalled-after '
                                  f'{self.stalled_after:g})')
            elif stalled >= self.stalled_after:
                return True, (f'no progress towards completion for '
                              f'{stalled:.0f}s (--stalled-after '
                              f'{self.stalled_after:g})')
        return False, f'left alone: {diagnosis.summary()}'
