"""Wait for the real outcome of a force-complete.

Nova answers force_complete with 202 before anything happens (the compute
host only queues the request), so the outcome has to be read later. While
the migration is in progress the server's migration index is polled (a
project manager may read it; ``show`` is admin-only by default policy) and
each reading is reported as a Progress event. Once the migration has left
the index, its final status comes from ``/os-migrations`` where the caller
may read it, or else from the server and its instance actions (nova-api-
facts §6, §8, §10, §12). The loop itself (``wait_for_outcome``) is pure:
clock and sleep are injected, so it is tested without waiting.

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

from novaclient_force import (
    errors,
    exceptions,
    failures,
    negotiation,
    outcome,
    resolve,
    retrying,
    terminal,
)

# DEBUG: every reading of a wait and every retry of one (shown by
# `openstack --debug` and `nova --debug`).
LOG = logging.getLogger(__name__)

FIRST_DELAY = 0.5       # seconds before the second reading
MAX_DELAY = 5.0         # the interval doubles up to this

FINAL = {
    'completed': outcome.COMPLETED,
    'failed': outcome.FAILED,
    'error': outcome.FAILED,
    'cancelled': outcome.CANCELLED,
}


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


def wait_for_outcome(read, timeout=None, clock=time.monotonic,
                     sleep=time.sleep, progress=None,
                     first_delay=FIRST_DELAY, max_delay=MAX_DELAY,
                     outage_window=retrying.OUTAGE_WINDOW):
    """Call ``read(deadline)`` until its reading is done or time runs out.

    ``progress(reading, elapsed)`` is called for every reading that is not
    done. The interval starts at ``first_delay`` and doubles up to
    ``max_delay``, and starts over whenever the status read changes (a
    migration that just started running is worth a prompt look); the last
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
    while True:
        try:
            with retrying.attempts_once():
                reading = read(deadline)
        except exceptions.ForceCompleteError as exc:
            elapsed = clock() - start
            if not retrying.is_transient(exc):
                return _unreadable(last, _why_unreadable(exc)), elapsed
            if outage is None:
                outage = retrying.Backoff(
                    clock, math.inf if deadline else outage_window,
                    deadline, first=first_delay, cap=max_delay)
            pause = outage.next_delay()
            LOG.debug('Wait reading after %.1fs failed (%s); %s', elapsed,
                      exc.summary, 'giving up' if pause is None else
                      'retrying in %.1fs' % pause)
            if pause is None:
                return _unreadable(last, 'the cloud was unreachable for '
                                   '%.0fs (%s)' % (outage.failing_for,
                                                  exc.summary)), elapsed
            if progress is not None:
                progress(dataclasses.replace(
                    last, unreachable_for=outage.failing_for,
                    problem=exc.summary), elapsed)
            sleep(pause)
            continue
        outage = None
        if reading.status != last.status:
            delay = first_delay
        last = reading
        elapsed = clock() - start
        LOG.debug('Wait reading after %.1fs: %s', elapsed, _describe(reading))
        if reading.done:
            return reading, elapsed
        if progress is not None:
            progress(reading, elapsed)
        if deadline is not None:
            left = deadline - clock()
            if left <= 0:
                return reading, elapsed
            delay = min(delay, left)
        sleep(delay)
        delay = min(delay * 2, max_delay)


def _why_unreadable(error):
    if isinstance(error, exceptions.Unauthorized):
        return 'the credentials expired and could not be renewed (%s)' % (
            error.summary)
    return str(error)


def _unreadable(last, why):
    """The final reading of a wait that could not learn the outcome."""
    return Reading(last.status, done=True, outcome=outcome.UNKNOWN,
                   reason='its outcome could not be read: %s' % why)


def _describe(reading):
    """A reading in one line, for the debug log."""
    text = 'status %s' % (reading.status or 'unknown')
    if reading.memory_total_bytes is not None:
        text += ', %s of %s bytes left to copy' % (
            reading.memory_remaining_bytes, reading.memory_total_bytes)
    if reading.done:
        text += ', outcome %s (%s)' % (reading.outcome, reading.reason)
    return text


def progress_event(server_id, migration_id, reading, elapsed):
    return Progress(server_id, migration_id, reading.status,
                    reading.memory_processed_bytes,
                    reading.memory_remaining_bytes,
                    reading.memory_total_bytes, elapsed,
                    reading.unreachable_for, reading.problem)


def timed_out_reason(reading, timeout):
    """Why a wait ended without an outcome; the Outcome's ``hint`` says
    how to follow the migration from there."""
    return ('still %s after %gs; the migration may still finish' % (
        terminal.printable(reading.status) or 'in progress', timeout))


def unknown_reason(reading, accepted=True):
    """Why an outcome is unknown; the Outcome's ``hint`` says how to
    learn it later."""
    return '%s%s' % ('Nova accepted the force-complete, but '
                     if accepted else '', reading.reason)


class MigrationWatch:
    """Reads one live migration of one server, as often as asked."""

    def __init__(self, compute, server_ref, migration_id):
        self.compute = compute
        self.server = server_ref
        self.migration = migration_id
        self._in_index = True         # still listed as in progress?
        self._os_migrations = True    # may we read /os-migrations?
        self._project_filter = False  # ... only for our own project?

    def read(self, deadline=None):
        if self._in_index:
            for row in resolve.in_progress(self.compute, self.server,
                                           deadline=deadline):
                if str(row.get('id')) == str(self.migration):
                    return Reading(
                        row.get('status') or '',
                        memory_processed_bytes=row.get(
                            'memory_processed_bytes'),
                        memory_remaining_bytes=row.get(
                            'memory_remaining_bytes'),
                        memory_total_bytes=row.get('memory_total_bytes'))
            self._in_index = False
        if self._os_migrations:
            row = self._os_migration_row(deadline)
            if row is not None:
                return final_reading(self.compute, self.server, row,
                                     deadline)
        return self._from_server(deadline)

    def _os_migration_row(self, deadline):
        """This migration's row in /os-migrations, or None if unreadable.

        A project manager may list only its own project's migrations (the
        ``project_id`` filter, 2.80+); rows are tagged with the project of
        whoever started the migration, so a miss falls back to the server.
        """
        params = {'instance_uuid': self.server.id,
                  'migration_type': 'live-migration'}
        if self._project_filter:
            params['project_id'] = self.compute.adapter.get_project_id()
        context = errors.Context('list_all', server=self.server.label)
        try:
            rows = resolve.os_migrations(self.compute, params, context,
                                         deadline=deadline)
        except exceptions.PolicyRefused:
            if (not self._project_filter
                    and self.compute.version >= negotiation.PROJECT_FILTER):
                self._project_filter = True
                return self._os_migration_row(deadline)
            self._os_migrations = False
            return None
        for row in rows:
            if str(row.get('id')) == str(self.migration):
                return row
        self._os_migrations = not self._project_filter
        if self._os_migrations:
            raise exceptions.MigrationNotFound(
                'Server %s has no migration %s' % (self.server.label,
                                                   self.migration))
        return None

    def _from_server(self, deadline):
        """The outcome from the server and its actions (no admin rights)."""
        body = self.compute.get_json(
            '/servers/%s' % self.server.id, negotiation.BASIC,
            errors.Context('show server', server=self.server.label),
            deadline=deadline)
        server = body.get('server', {})
        if server.get('OS-EXT-STS:task_state') == 'migrating':
            # Out of the index yet migrating: post-copy, or the moment
            # between the guest landing and the status turning completed.
            return Reading('migrating')
        result, reason = _result_from_actions(self.compute, self.server,
                                              server, deadline)
        return Reading(result, done=True, outcome=FINAL[result],
                       reason=reason)


def final_reading(compute, server_ref, row, deadline=None):
    """The Reading for a migration's /os-migrations row."""
    status = row.get('status') or ''
    if status not in FINAL:
        return Reading(status)
    result = FINAL[status]
    if result == outcome.COMPLETED:
        dest = row.get('dest_compute')
        reason = 'completed' + (
            ' on %s' % terminal.printable(dest) if dest else '')
    elif result == outcome.CANCELLED:
        reason = ('cancelled: the migration was aborted, or Nova\'s '
                  'live_migration_completion_timeout ran out')
    else:
        server = failures.server_body(compute, server_ref, deadline)
        if status == 'error' and server.get(
                'OS-EXT-STS:task_state') == 'migrating':
            # Nova marks the migration error while it cleans up after a
            # failed pre_live_migration, then failed once rolled back
            # (nova/compute/manager.py _cleanup_pre_live_migration).
            return Reading(status)
        reason = '%s: %s' % (status, failures.reason(
            compute, server_ref, row.get('source_compute'), deadline,
            server))
    return Reading(status, done=True, outcome=result, reason=reason)


def _result_from_actions(compute, server_ref, server, deadline):
    """(status, reason) of the latest live migration, from its actions
    and the server's body."""
    action_list = failures.actions(compute, server_ref, deadline)
    migration = failures.latest(action_list, 'live-migration')
    cancel = failures.latest(action_list, 'live_migration_cancel')
    if migration is None:
        return 'error', 'Nova recorded no live-migration action'
    listed, _ = failures.events(compute, server_ref,
                                migration['request_id'], deadline)
    events = {e.get('event'): e for e in listed}
    landed = events.get('compute_post_live_migration_at_destination', {})
    if landed.get('result') == 'Success':
        return 'completed', 'completed'
    if cancel is not None and (cancel.get('start_time') or '') >= (
            migration.get('start_time') or ''):
        return 'cancelled', 'cancelled: the migration was aborted'
    return 'failed', 'failed: %s' % failures.reason(
        compute, server_ref, deadline=deadline, server=server)
