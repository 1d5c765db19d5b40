"""What a command's run comes to: its exit status and its stderr line.

Both commands end the same way for the same outcomes; they only frame the
line differently (``nova`` as ``ERROR (Kind): line``, the way
novaclient/shell.py ``main`` reports any error; ``openstack`` as the line
alone). The line is escaped when drawn (``terminal.printable``).
"""

import dataclasses
import signal
import typing

from novaclient_force import outcome, terminal

#: What to call an outcome that is not a success, in nova's ERROR line.
_KINDS = {
    outcome.FAILED: 'MigrationFailed',
    outcome.CANCELLED: 'MigrationCancelled',
    outcome.TIMED_OUT: 'WaitTimedOut',
    outcome.UNKNOWN: 'OutcomeUnknown',
    outcome.NOT_FORCED: 'NotForced',
}


@dataclasses.dataclass(frozen=True)
class Report:
    """What to draw: the outcomes (as rows when ``shows_rows``), then
    ``message`` on stderr (``kind`` names its cause) and ``exit_code``."""

    outcomes: typing.Sequence = ()
    exit_code: int = 0
    kind: str = ''
    message: str = ''
    shows_rows: bool = False


def of_outcomes(outcomes, request):
    """The exit status is the highest of the outcomes' (outcome.py): a
    script learns the most serious thing that happened, and 0 means every
    migration completed (or, without --wait, was accepted)."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        note = '' if outcomes else getattr(outcomes, 'note', '')
        return Report(outcomes, message=note, shows_rows=request.shows_rows)
    worst = max(failed, key=lambda o: o.exit_code)
    if request.host is None:
        message = _one(failed[0])
    else:
        what = 'did not complete'
        if any(o.status == outcome.NOT_FORCED for o in failed):
            what = 'were not forced or did not complete'
        message = (f'{len(failed)} of {len(outcomes)} live migrations '
                   f'leaving {request.host} {what}: {_counts(failed)}')
    return Report(outcomes, worst.exit_code, _kind(worst), message,
                  request.shows_rows)


def of_error(err):
    """An SDK error (or a refused argument): its exit status and words."""
    return Report(exit_code=err.exit_code, kind=type(err).__name__,
                  message=str(err))


def of_interruption(stop, host=None):
    """SIGINT or SIGTERM once the SDK had started: every outcome known is
    shown, then 128 + the signal."""
    name = stop.signal_name
    if not stop.outcomes:
        return _unsent(stop.exit_code, name)
    if host is None and len(stop.outcomes) == 1:
        detail = stop.outcomes[0].detail
        # The outcome's own reason may already say it was interrupted.
        message = (detail if detail.startswith(f'interrupted ({name})')
                   else f'interrupted ({name}): {detail}')
    else:
        where = f' leaving {host}' if host else ''
        message = (f'interrupted ({name}): of {len(stop.outcomes)} live '
                   f'migrations{where}, {_counts(stop.outcomes)}; accepted '
                   f'ones go on, and each row says how to follow it')
    return Report(stop.outcomes, stop.exit_code, 'Interrupted', message,
                  shows_rows=True)


def of_signal(signum):
    """SIGINT or SIGTERM before the SDK sent anything."""
    return _unsent(128 + signum, signal.Signals(signum).name)


def _unsent(exit_code, name):
    return Report(exit_code=exit_code, kind='Interrupted',
                  message=f'interrupted ({name}) before anything was sent')


def _one(result):
    name = terminal.printable(result.server_name or result.server)
    what = f'server {name}'
    if result.migration is not None:
        what = f'migration {result.migration} of {what}'
    reason = f': {result.detail}' if result.reason else ''
    return f'{what} {result.status}{reason}'


def _counts(outcomes):
    counts = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return ', '.join(f'{n} {status}' for status, n in counts.items())


def _kind(result):
    if result.error is not None:
        return type(result.error).__name__
    return _KINDS.get(result.status, 'ForceCompleteError')
