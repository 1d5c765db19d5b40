"""Wait for the real outcome of a force-complete: the polling loop.

Nova answers force_complete with 202 before anything happens (the compute
host only queues the request), so the outcome has to be read later, by
polling (observe.py reads one migration, drain.py a whole host). The loop
(``wait_for_outcome``) is pure: the reading, the clock and the sleep are
the caller's, so it is tested without waiting.

Once Nova has accepted the request, nothing the wait meets may turn it into
a refusal: an outage is ridden out under retrying.py's policy (and shown),
and a wait that must give up (outage too long, credentials expired, a read
refused) ends with the outcome ``unknown`` and says why.
"""

import dataclasses
import logging
import math
import time
import typing

from novaclient_force import exceptions, outcome, retrying

# DEBUG: every reading of a wait and every retry of one (shown by
# `openstack --debug` and `nova --debug`).
LOG = logging.getLogger(__name__)

FIRST_DELAY = 0.5       # seconds before the second reading
MAX_DELAY = 5.0         # the interval doubles up to this
#: The interval at most after a reading marked ``prompt`` (a forced
#: migration is still in progress: its end comes within seconds, and a
#: result that says how long it took must see it within about a second).
PROMPT_DELAY = 1.0

@dataclasses.dataclass(frozen=True)
class Progress:
    """One reading of a migration still in progress, for a callback."""

    server: str
    migration: int
    status: str
    memory_processed_bytes: typing.Optional[int]
    memory_remaining_bytes: typing.Optional[int]
    memory_total_bytes: typing.Optional[int]
    elapsed: float
    #: Seconds the cloud has been unreachable, while it is; with the cause.
    unreachable_for: typing.Optional[float] = None
    problem: str = ''
    diagnosis: typing.Any = None    # diagnosis.Diagnosis, when judged
    forced: bool = False
    #: A host drain reports each poll as this many events in a row (one
    #: per migration still in progress): a display draws once it has all.
    poll_size: typing.Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Reading:
    """What one look at a migration told: still going, or how it ended."""

    status: str                       # Nova's migration status ('' unknown)
    done: bool = False
    outcome: str = ''                 # an outcome constant, once done
    reason: str = ''
    memory_processed_bytes: typing.Optional[int] = None
    memory_remaining_bytes: typing.Optional[int] = None
    memory_total_bytes: typing.Optional[int] = None
    unreachable_for: typing.Optional[float] = None
    problem: str = ''
    #: Look again within PROMPT_DELAY (see there).
    prompt: bool = False
    #: Nova's own seconds from the migration's creation to its final
    #: status (outcome.Outcome.migration_time), once done, if read.
    migration_time: typing.Optional[float] = None
    #: When Nova saved those counters (``updated_at``, Unix time).
    saved_at: typing.Optional[float] = None
    #: Look again by then at the latest (on the loop's clock): a reading
    #: may tell something new then (a stats save, saves.py).
    look_at: typing.Optional[float] = None


def wait_for_outcome(read, timeout=None, clock=time.monotonic,
                     sleep=time.sleep, progress=None,
                     first_delay=FIRST_DELAY, max_delay=MAX_DELAY,
                     outage_window=retrying.OUTAGE_WINDOW):
    """Call ``read(deadline)`` until its reading is done or time runs out.

    ``progress(reading, elapsed)`` is called for every reading that is not
    done. The interval starts at ``first_delay`` and doubles up to
    ``max_delay``, and starts over whenever the status read changes (a
    migration that just started running is worth a prompt look), and is
    PROMPT_DELAY at most after a reading marked ``prompt``, and comes by
    a reading's ``look_at`` (the back-off goes on meanwhile); the last
    reading is taken at the deadline itself.
    Returns ``(reading, elapsed)``; ``reading.done`` is False on time-out.

    A transient failure of ``read`` (retrying.py) is retried until the
    deadline, or without one for ``outage_window`` seconds; meanwhile
    ``progress`` gets the last reading with ``unreachable_for`` set. When
    the wait gives up, or ``read`` fails otherwise, the reading is done
    with the outcome ``unknown`` and the reason says why.
    """
    start = clock()
    deadline = None if timeout is None else start + timeout
    delay = first_delay
    last = Reading('')
    outage = None
    failures = 0            # readings failed in a row
    while True:
        try:
            with retrying.attempts_once():
                reading = read(deadline)
        except exceptions.ForceCompleteError as exc:
            elapsed = clock() - start
            if not retrying.is_transient(exc):
                return _unreadable(last, _why_unreadable(exc)), elapsed
            failures += 1
            if outage is None:
                outage = retrying.Backoff(
                    clock, math.inf if deadline else outage_window,
                    deadline, first=first_delay, cap=max_delay)
            # A 429 or 503 may say when to try again (Retry-After).
            pause = outage.next_delay(exc.retry_after or 0.0)
            LOG.debug('Wait reading after %.1fs failed (%s); %s', elapsed,
                      exc.summary, 'giving up' if pause is None else
                      f'retrying in {pause:.1f}s')
            if pause is None:
                return _unreadable(last, _gave_up(outage, failures,
                                                  exc)), elapsed
            if progress is not None:
                progress(dataclasses.replace(
                    last, unreachable_for=outage.failing_for,
                    problem=exc.summary), elapsed)
            sleep(pause)
            continue
        outage = None
        failures = 0
        if reading.status != last.status:
            delay = first_delay
        last = reading
        elapsed = clock() - start
        LOG.debug('Wait reading after %.1fs: %s', elapsed, _describe(reading))
        if reading.done:
            return reading, elapsed
        if progress is not None:
            progress(reading, elapsed)
        if reading.prompt:
            delay = min(delay, PROMPT_DELAY)
        pause = delay
        if reading.look_at is not None:
            pause = min(pause, max(reading.look_at - clock(), 0.0))
        if deadline is not None:
            left = deadline - clock()
            if left <= 0:
                return reading, elapsed
            pause = min(pause, left)
        sleep(pause)
        delay = min(delay * 2, max_delay)


def _gave_up(outage, failures, error):
    """Why a wait gave up on failing readings, as it happened: one that
    failed with no time left to try again is no outage."""
    if failures == 1:
        return (f'the last reading failed ({error.summary}) and no time '
                'was left to try again')
    return (f'the cloud was unreachable for {outage.failing_for:.0f}s '
            f'({error.summary})')


def _why_unreadable(error):
    if isinstance(error, exceptions.Unauthorized):
        return ('the credentials expired and could not be renewed '
                f'({error.summary})')
    return str(error)


def _unreadable(last, why):
    """The final reading of a wait that could not learn the outcome."""
    return Reading(last.status, done=True, outcome=outcome.UNKNOWN,
                   reason=f'its outcome could not be read: {why}')


def _describe(reading):
    """A reading in one line, for the debug log."""
    text = f'status {reading.status or "unknown"}'
    if reading.memory_total_bytes is not None:
        text += (f', {reading.memory_remaining_bytes} of '
                 f'{reading.memory_total_bytes} bytes left to copy')
    if reading.done:
        text += f', outcome {reading.outcome} ({reading.reason})'
    return text


def progress_event(server_id, migration_id, reading, elapsed):
    """The Progress event for a reading of one migration."""
    return Progress(server_id, migration_id, reading.status,
                    reading.memory_processed_bytes,
                    reading.memory_remaining_bytes,
                    reading.memory_total_bytes, elapsed,
                    reading.unreachable_for, reading.problem)
