"""A one-line progress display on stderr while ``--wait`` waits.

Both CLIs draw the same line from the SDK's ``waiting.Progress`` events.

Drawn only when stderr is a terminal: in a pipe, a log file or a CI job the
redrawn line would be noise, so nothing at all is written there. The line
is erased before the command prints its table, so stdout stays clean.
"""

import shutil
import threading

from novaclient_force.terminal import plural, printable

_CLEAR_LINE = '\r\x1b[K'
_GIB = 1024 ** 3


def for_stream(stream):
    """A Display on ``stream`` if it is a terminal, otherwise None."""
    isatty = getattr(stream, 'isatty', None)
    if isatty is not None and isatty():
        return Display(stream)
    return None


def describe(events):
    """The text of the progress line, from the latest event per migration.

    One migration: its status, how much memory is left to copy out of the
    guest's total, and how much has been sent (libvirt counts re-sent pages
    too, so "sent" outgrows the total on a guest that does not converge,
    which is exactly what an operator needs to see), and the diagnosis
    once the force policy has judged it. Several (a host drain): the SDK
    reports every migration still in progress once per poll, all with
    that poll's elapsed time, and stops reporting a migration once it has
    finished; so those not in the latest poll are done. The line counts
    them by status (Nova runs few at a time and queues the rest), says
    how many are done and how many were forced so far (finished ones
    included), and shows the diagnosis
    of the one migration still being judged, if there is only one. The
    display draws a drain's poll once all of it has arrived. While the
    cloud cannot be reached, the line says so instead.
    """
    if not events:
        return ''
    newest = max(events, key=lambda e: e.elapsed)
    if newest.unreachable_for is not None:
        # The SDK keeps retrying; say so, and since when.
        return (f'cloud unreachable for {newest.unreachable_for:.0f}s '
                f'({newest.problem}), retrying; {newest.elapsed:.0f}s')
    if len(events) == 1:
        return _describe_one(events[0])
    latest = newest.elapsed
    current = [e for e in events if e.elapsed == latest]
    counts = {}
    for event in current:
        counts[event.status] = counts.get(event.status, 0) + 1
    detail = ', '.join(f'{n} {printable(status)}'
                       for status, n in counts.items())
    judged = [e for e in current if e.diagnosis is not None
              and not e.forced and e.status == 'running']
    if len(judged) == 1:
        detail += (f'; migration {judged[0].migration} '
                   f'{judged[0].diagnosis.summary()}')
    done = len(events) - len(current)
    text = (f'{plural(len(current), "live migration")} in progress '
            f'({detail}), {done} of {len(events)} done')
    # Forced ones that have finished count too: their last event (the
    # poll that forced them, or a later one) says they were forced.
    forced = sum(1 for e in events if e.forced)
    if forced:
        text += f', {forced} forced'
    return f'{text}, {latest:.0f}s'


def _describe_one(event):
    text = f'migration {event.migration}: {printable(event.status)}'
    total = event.memory_total_bytes
    remaining = event.memory_remaining_bytes
    if total and remaining is not None:
        text += (f', {remaining / _GIB:.1f} of {total / _GIB:.1f} GiB '
                 f'left to copy')
    if event.memory_processed_bytes is not None:
        text += f', {event.memory_processed_bytes / _GIB:.1f} GiB sent'
    if event.diagnosis is not None:
        text += f', {event.diagnosis.summary()}'
    return f'{text}, {event.elapsed:.0f}s'


class Display:
    """Redraws one status line; safe to call from several threads."""

    def __init__(self, stream):
        self._stream = stream
        self._latest = {}
        self._lock = threading.Lock()

    def __call__(self, event):
        """Take a progress event from the SDK and redraw the line."""
        with self._lock:
            self._latest[(event.server, event.migration)] = event
            if event.poll_size is not None and event.poll_size > sum(
                    1 for e in self._latest.values()
                    if e.elapsed == event.elapsed):
                return      # the rest of this poll is on its way
            width = shutil.get_terminal_size().columns - 1
            line = describe(list(self._latest.values()))[:width]
            self._stream.write(_CLEAR_LINE + line)
            self._stream.flush()

    def close(self):
        """Erase the line so the table and messages start clean."""
        with self._lock:
            if self._latest:
                self._stream.write(_CLEAR_LINE)
                self._stream.flush()
