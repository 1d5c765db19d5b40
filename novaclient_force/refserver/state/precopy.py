"""Closed form of QEMU's pre-copy rounds over one memory image.

QEMU sends all memory, then what the guest dirtied meanwhile, round after
round (``migration/migration.c``, ``migration_iteration_run``); the
simulator (:mod:`.simulator`) asks when a round ends and how much is left,
at any time, without iterating the rounds.
"""

import math

#: Bound on the float-rounding corrections of a closed-form round number.
_SETTLE_STEPS = 64


class PreCopy:
    """Closed form of the pre-copy rounds of one memory image.

    Round 1 sends all memory; round k+1 sends what round k's duration let
    the guest dirty, capped at the memory size. With ``p = min(dirty_rate /
    bandwidth, 1)`` round k sends ``S_k = M p**(k-1)`` bytes, and rounds
    1..k take ``(M / B) G(k)`` seconds with ``G(k) = sum(p**j, j < k)``.
    Everything below is O(downtime steps), however old the migration.
    """

    def __init__(self, memory, dirty_rate, bandwidth):
        self.memory = memory
        self.bandwidth = bandwidth
        self.ratio = min(dirty_rate / bandwidth, 1.0)

    def dirty_after(self, k):
        """Bytes round k+1 must send (``S_{k+1}``)."""
        return self.memory * self.ratio ** k

    def end_of(self, k):
        """Seconds from the start of the copy to the end of round k."""
        p = self.ratio
        if p == 1.0:
            rounds = k
        else:
            rounds = (1 - p ** k) / (1 - p)
        return self.memory / self.bandwidth * rounds

    def first_round_ending_after(self, seconds):
        """Smallest k >= 1 whose round ends strictly after ``seconds``, or
        None when the rounds' total duration never gets there."""
        if seconds < 0:
            return 1
        p = self.ratio
        units = seconds * self.bandwidth / self.memory
        if p == 1.0:
            k = math.floor(units) + 1
        elif p == 0.0:
            k = 1
        else:
            left = 1 - units * (1 - p)
            if left <= 0:
                return None
            k = max(1, math.floor(math.log(left) / math.log(p)) + 1)
        return self._settle(k, lambda n: self.end_of(n) > seconds)

    def first_round_fitting(self, limit):
        """Smallest k >= 1 after which the dirty memory is <= ``limit``
        bytes, or None if that never happens."""
        p = self.ratio
        if p == 1.0:
            return 1 if self.memory <= limit else None
        if p == 0.0 or self.memory * p <= limit:
            return 1
        k = max(1, math.ceil(math.log(limit / self.memory) / math.log(p)))
        return self._settle(k, lambda n: self.dirty_after(n) <= limit)

    @staticmethod
    def _settle(k, holds):
        """Fix the float rounding of a closed-form k: the smallest k >= 1
        for which the monotonic predicate ``holds`` is true (None when
        floats cannot tell it from the limit of the series)."""
        while k > 1 and holds(k - 1):
            k -= 1
        for _ in range(_SETTLE_STEPS):
            if holds(k):
                return k
            k += 1
        return None

    def remaining_at(self, seconds):
        """Dirty bytes left at ``seconds`` into the copy, interpolated
        linearly across the current round from S_k down to S_{k+1}."""
        k = self.first_round_ending_after(seconds)
        if k is None:
            return 0.0
        start = self.end_of(k - 1)
        fraction = (seconds - start) / (self.end_of(k) - start)
        now_dirty = self.dirty_after(k - 1)
        return now_dirty + (self.dirty_after(k) - now_dirty) * fraction
