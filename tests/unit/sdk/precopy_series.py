"""Readings of pre-copy live migrations as a libvirt cloud gives them,
generated round by round from QEMU's rules (not from the reference
server's closed form): a first pass over all memory; then rounds, each
ending in a bitmap sync that finds what the guest newly dirtied meanwhile,
at most its writable working set; completion at the first sync whose
dirty set fits the downtime budget (Nova's steps, 50 ms up to 500 ms);
Nova saving the counters every ``interval`` seconds (``updated_at``) at
``phase`` seconds after the copy began.
"""

import dataclasses

from novaclient_force import diagnosis

GIB = 1024 ** 3
LINK = 1.25e9


@dataclasses.dataclass(frozen=True)
class Guest:
    memory: float = 4 * GIB
    dirty_rate: float = 2e9
    working_set: float | None = None
    link: float = LINK

    def budget(self, seconds):
        """Bytes the downtime in force at ``seconds`` lets through (Nova's
        ``downtime_steps``: 10 steps, 75 s per GiB of data, 500 ms)."""
        data_gb = max(self.memory / GIB, 2)
        step = min(int(seconds // (75 * data_gb)), 10)
        return self.link * (50 + 45 * step) / 1000.0


def rounds(guest, horizon=600.0):
    """[(start, size)] of the rounds, and when the copy completes (None:
    not within ``horizon`` seconds)."""
    working_set = guest.working_set or guest.memory
    out, start, size = [], 0.0, float(guest.memory)
    while start < horizon:
        out.append((start, size))
        end = start + size / guest.link
        found = min(working_set, guest.dirty_rate * size / guest.link)
        if found <= guest.budget(end):
            return out, end + found / guest.link
        start, size = end, found
    return out, None


def readings(guest, phase=0.0, interval=5.0, horizon=600.0,
             started=1000.0):
    """The Samples a client reads until completion or ``horizon``, and
    when the copy completes (None if it does not)."""
    plan, done = rounds(guest, horizon)
    samples = []
    at = phase if phase > 0 else interval
    while at < min(done or horizon, horizon):
        index = max(i for i, (start, _) in enumerate(plan) if start <= at)
        start, size = plan[index]
        sent_before = sum(s for _, s in plan[:index])
        in_round = (at - start) * guest.link
        samples.append(diagnosis.Sample(
            started + at, round(max(size - in_round, 0.0)),
            round(sent_before + in_round), round(guest.memory)))
        at += interval
    return samples, done
