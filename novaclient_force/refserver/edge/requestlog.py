"""The requests the server received, kept for the test harness.

Benchmarks and tests read them from the control API instead of parsing
the server's log. Each entry is recorded before its response is written,
so a client that has its answer finds its request here. The log keeps the
latest :data:`MAX_ENTRIES`; ``seq`` numbers keep counting, so a reader
asking for what came after the last ``seq`` it saw never misses or
repeats one unless it fell that far behind.
"""

import collections
import dataclasses
import threading

MAX_ENTRIES = 100000


@dataclasses.dataclass(frozen=True)
class Entry:
    seq: int
    method: str
    path: str             # path and query string, as sent
    status: int | None    # None: the connection was dropped unanswered
    microversion: str | None   # compute: the version the answer used
    started_at: float     # wall clock, seconds since the Unix epoch
    duration: float       # seconds until the answer was ready
    fault: str | None     # the injected fault that applied, if any


class RequestLog:
    def __init__(self, max_entries=MAX_ENTRIES):
        self._entries = collections.deque(maxlen=max_entries)
        self._lock = threading.Lock()
        self._next = 1

    def record(self, **values):
        with self._lock:
            self._entries.append(Entry(seq=self._next, **values))
            self._next += 1

    def since(self, seq=0):
        """Entries with a ``seq`` greater than ``seq``, oldest first."""
        with self._lock:
            return [entry for entry in self._entries if entry.seq > seq]

    def clear(self):
        with self._lock:
            self._entries.clear()
