"""Closed form of QEMU's pre-copy rounds over one memory image.

QEMU sets the whole migration bitmap at setup and sends every page once
(round 1); ``remaining`` (``ram_bytes_remaining``, the pending pages)
falls as pages go out. When it nears the switchover threshold QEMU syncs
the dirty bitmap (``migration_bitmap_sync``, from
``ram_state_pending_exact``) and ``remaining`` jumps back up by the pages
dirtied *for the first time* since they were last sent: a page dirtied
twice counts once, so the jump is bounded by the guest's writable working
set. If the dirty set found at a sync fits the downtime budget (bandwidth
x max downtime) the stop-and-copy starts; otherwise another round drains
it (qemu/qemu ``migration/migration.c`` ``migration_iteration_run``,
``migration/ram.c`` ``ramblock_sync_dirty_bitmap``). So ``remaining`` is
a sawtooth, not a level.

The simulator (:mod:`.simulator`) asks when a round ends and how much is
pending, at any time, without iterating the rounds.

Simplifications, each within what a client can tell from Nova's three
counters: a round drains its dirty set to zero before the sync (QEMU stops
at the threshold, a fraction of a second of link time); the guest dirties
at a steady rate; every page costs its size on the wire (no zero-page or
header discount).
"""

import math

#: Bound on the float-rounding corrections of a closed-form round number.
_SETTLE_STEPS = 64


class PreCopy:
    """Closed form of the pre-copy rounds of one memory image.

    Round 1 sends all memory ``M``; the sync that ends round k finds what
    the round's duration let the guest dirty, capped at its writable
    working set ``W`` (at most ``M``). With ``p = min(dirty_rate /
    bandwidth, 1)`` round k sends ``S_1 = M``, ``S_2 = A = min(W, p M)``
    and then ``S_k = A p**(k-2)`` bytes. A guest with ``p == 1``
    re-dirties its whole working set every round: its dirty set plateaus
    at ``W`` and it converges only if ``W`` fits the downtime budget.
    Everything below is O(1) in the number of rounds, however old the
    migration.
    """

    def __init__(self, memory, dirty_rate, bandwidth, working_set=None):
        self.memory = memory
        self.bandwidth = bandwidth
        self.working_set = (memory if working_set is None
                            else min(working_set, memory))
        self.ratio = min(dirty_rate / bandwidth, 1.0)
        #: The dirty set the first sync finds (``S_2``).
        self.second = min(self.working_set, self.ratio * memory)

    def size(self, k):
        """Bytes round k sends (``S_k``): its dirty set right after the
        sync that started it."""
        if k <= 1:
            return float(self.memory)
        return self.second * self.ratio ** (k - 2)

    def dirty_after(self, k):
        """Dirty bytes the sync ending round k finds (``S_{k+1}``)."""
        return self.size(k + 1)

    def end_of(self, k):
        """Seconds from the start of the copy to the end of round k."""
        if k <= 0:
            return 0.0
        p = self.ratio
        if p == 1.0:
            rounds = k - 1
        else:
            rounds = (1 - p ** (k - 1)) / (1 - p)
        return (self.memory + self.second * rounds) / self.bandwidth

    def first_round_ending_after(self, seconds):
        """Smallest k >= 1 whose round ends strictly after ``seconds``, or
        None when the rounds' total duration never gets there."""
        units = seconds * self.bandwidth
        if units < self.memory:
            return 1
        if self.second <= 0:
            return None
        left = (units - self.memory) / self.second
        p = self.ratio
        if p == 1.0:
            k = math.floor(left) + 2
        else:
            rest = 1 - left * (1 - p)
            if rest <= 0:
                return None
            k = 1 + max(1, math.floor(math.log(rest) / math.log(p)) + 1)
        return self._settle(k, lambda n: self.end_of(n) > seconds)

    def first_round_fitting(self, limit):
        """Smallest k >= 1 after which the dirty memory is <= ``limit``
        bytes, or None if that never happens."""
        p = self.ratio
        if self.second <= limit or p == 0.0:
            return 1
        if p == 1.0:
            return None
        k = 1 + max(1, math.ceil(math.log(limit / self.second)
                                 / math.log(p)))
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

    def round_at(self, seconds):
        """The round in progress at ``seconds`` into the copy (1 during
        the first pass), or None once the rounds' total is past."""
        return self.first_round_ending_after(seconds)

    def remaining_at(self, seconds):
        """Dirty bytes pending at ``seconds`` into the copy: the current
        round's dirty set less what the round has sent so far."""
        k = self.first_round_ending_after(seconds)
        if k is None:
            return 0.0
        sent = (seconds - self.end_of(k - 1)) * self.bandwidth
        return max(self.size(k) - sent, 0.0)
