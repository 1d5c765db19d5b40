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
    ``advice`` (lines, under a table: what its cells leave out), then
    ``message`` on stderr (``kind`` names its cause) and ``exit_code``."""

    outcomes: typing.Sequence = ()
    exit_code: int = 0
    kind: str = ''
    message: str = ''
    shows_rows: bool = False
    advice: typing.Sequence = ()


def of_outcomes(outcomes, request):
    """The exit status is the highest of the outcomes' (outcome.py): a
    script learns the most serious thing that happened, and 0 means every
    migration completed (or, without --wait, was accepted).

    One server: a line only when it did not go as asked, with the whole
    reason. A host: its rows' advice (advice()) and a summary line
    (summary()), which says first how many did not go as asked.
    """
    failed = [o for o in outcomes if not o.ok]
    if request.host is None:
        if not failed:
            return Report(outcomes, shows_rows=request.shows_rows)
        return Report(outcomes, failed[0].exit_code, _kind(failed[0]),
                      _one(failed[0]), request.shows_rows)
    if not outcomes:
        return Report(outcomes, message=getattr(outcomes, 'note', ''),
                      shows_rows=request.shows_rows)
    message = summary(outcomes, request.host)
    if not failed:
        return Report(outcomes, message=message,
                      shows_rows=request.shows_rows,
                      advice=advice(outcomes))
    worst = max(failed, key=lambda o: o.exit_code)
    return Report(outcomes, worst.exit_code, _kind(worst), message,
                  request.shows_rows, advice(outcomes))


def summary(outcomes, host):
    """A drain's outcomes in one line: how many did not go as asked, if
    any; how many ended how; how many were forced and left alone; and
    how long the forced guests are estimated to pause in all (where a
    force policy estimated it)."""
    host = terminal.printable(host)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        what = 'did not complete'
        if any(o.status == outcome.NOT_FORCED for o in failed):
            what = 'were not forced or did not complete'
        head = (f'{len(failed)} of {len(outcomes)} live migrations '
                f'leaving {host} {what}')
    else:
        head = (f'{terminal.plural(len(outcomes), "live migration")} '
                f'leaving {host}')
    return f'{head}: {_counts(outcomes)}; {_forced(outcomes)}'


def _forced(outcomes):
    """``2 forced, 4 left alone; estimated pause 3.1s in all``."""
    forced = [o for o in outcomes if o.forced]
    text = f'{len(forced)} forced, {len(outcomes) - len(forced)} left alone'
    if not forced:
        return text
    pauses = [getattr(o.diagnosis, 'estimated_pause', None) for o in forced]
    known = [p for p in pauses if p is not None]
    if not known:
        return f'{text}; pause not estimated'
    text += f'; estimated pause {terminal.seconds(sum(known))} in all'
    if len(known) < len(forced):
        text += f' ({len(forced) - len(known)} forced without an estimate)'
    return text


def advice(outcomes):
    """What a table row's Reason cell leaves out, once: each reason cut
    short, with the migrations it is about, then the command that
    follows each migration that may still change."""
    groups = {}
    for o in outcomes:
        whole = terminal.printable(o.reason)
        if whole and whole != terminal.brief(o.reason):
            groups.setdefault(whole, []).append(o)
    lines = [f'{_which(group)}: {reason}'
             for reason, group in groups.items()]
    lines += [f'follow {_which([o])} with: {o.hint}'
              for o in outcomes if o.hint]
    return tuple(lines)


def _which(group):
    """``migration 7 (busy-vm)``, or ``migrations 7, 8`` for several."""
    if len(group) == 1:
        o = group[0]
        name = terminal.printable(o.server_name or o.server)
        return f'migration {o.migration} ({name})'
    return 'migrations ' + ', '.join(str(o.migration) for o in group)


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
