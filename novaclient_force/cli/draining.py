"""``openstack compute host drain``: its checks, its run and its verdict.

The command only declares its options; this module checks them (before
anything is sent, before authentication), calls the SDK's drain_host
under a progress line, and says how the drain ended: the exit status
(0 only when the host holds no server at the end) and one line on
stderr (moved, forced, left, total estimated pause). There is no nova
counterpart: the nova CLI is frozen upstream.
"""


from novaclient_force import (
    arguments,
    emptied,
    exceptions,
    outcome,
    progress,
    signals,
    terminal,
)
from novaclient_force.cli import checks, verdict


def checked(host, stalled_after=None, force_after=None, auto=None,
            no_force=False,
            deadline=None, target_host=None, cold_migrate_stopped=False,
            keep_enabled=False, disable_reason=None, order='soonest',
            dry_run=False, timeout=None):
    """The SDK keyword arguments for what was typed, or InvalidArgument
    naming the option at fault."""
    if not host.strip():
        raise exceptions.InvalidArgument('<host> must name a compute host')
    if no_force and (auto or stalled_after is not None
                     or force_after is not None or deadline is not None):
        raise exceptions.InvalidArgument(
            '--no-force cannot be combined with --auto, --stalled-after, '
            '--force-after or --deadline')
    if keep_enabled and disable_reason is not None:
        raise exceptions.InvalidArgument(
            '--disable-reason applies only when the host is disabled: drop '
            '--keep-enabled')
    return dict(
        host=host,
        stalled_after=arguments.threshold('--stalled-after', stalled_after),
        force_after=arguments.threshold('--force-after', force_after),
        auto=auto,
        force=not no_force,
        deadline=checks.positive_seconds('--deadline', deadline),
        target_host=target_host,
        cold_migrate_stopped=cold_migrate_stopped,
        disable=not keep_enabled,
        disable_reason=disable_reason,
        order=order,
        dry_run=dry_run,
        timeout=checks.positive_seconds('--timeout', timeout))


def run(stream, manager, latch, **typed):
    """Check ``typed``, then drain with the ServerMigrationsManager that
    ``manager()`` returns; a verdict.Report."""
    try:
        options = checked(**typed)
    except exceptions.InvalidArgument as err:
        return verdict.of_error(err)
    display = None if options['dry_run'] else progress.for_stream(stream)
    try:
        with latch.raised():
            result = manager().drain_host(progress=display, **options)
    except exceptions.Interrupted as stop:
        return interrupted(stop, options['host'])
    except signals.Signalled as stop:
        return verdict.of_signal(stop.signum)
    except exceptions.ForceCompleteError as err:
        return verdict.of_error(err)
    finally:
        if display is not None:
            display.close()
    return ended(result)


def summary(rows):
    """moved, forced, left and the total estimated pause, in words."""
    moved = sum(1 for row in rows if row.status == outcome.COMPLETED)
    forced = sum(1 for row in rows if row.forced)
    left = [row for row in rows if row.status != outcome.COMPLETED]
    pauses = [row.estimated_pause for row in rows
              if row.estimated_pause is not None]
    words = f'moved {moved}, forced {forced}, left {len(left)}'
    if left:
        names = ', '.join(terminal.printable(row.server_name or row.server)
                          for row in left)
        words += f' ({names})'
    if not pauses:
        # Forced at once, nothing was judged: no counters were read.
        return f'{words}, total estimated pause not measured'
    return f'{words}, total estimated pause {terminal.seconds(sum(pauses))}'


def ended(result):
    """The Report of a drain that ran to its end (or a dry run)."""
    host = terminal.printable(result.host)
    if result.dry_run:
        leave = [row for row in result if row.action == emptied.LEAVE]
        message = (f'dry run: nothing was changed; {len(result)} servers on '
                   f'{host}, {len(result) - len(leave)} would move, '
                   f'{len(leave)} would be left')
        if result.note:
            message = f'{message}; {result.note}'
        return verdict.Report(result, result.exit_code, '', message, True)
    if not result:
        return verdict.Report(result, result.exit_code, '', result.note,
                              True)
    if result.empty:
        message = f'{host} is drained: {summary(result)}'
    else:
        names = ', '.join(terminal.printable(name)
                          for name in result.still_there)
        message = (f'{host} is not drained: still on it: {names}; '
                   f'{summary(result)}')
    kind = '' if result.empty else 'HostNotDrained'
    return verdict.Report(result, result.exit_code, kind, message, True)


def interrupted(stop, host):
    """SIGINT or SIGTERM once the drain had started: every row known,
    then 128 + the signal; requested migrations go on in Nova."""
    rows = stop.outcomes
    going = [row for row in rows if row.hint]
    message = (f'interrupted ({stop.signal_name}): draining '
               f'{terminal.printable(host)} stopped; {len(going)} requested '
               'migrations go on in Nova, each row says how to follow it')
    return verdict.Report(rows, stop.exit_code, 'Interrupted', message,
                          True)


def follow_lines(report):
    """One line per row that may still change: how to follow it."""
    return [f'{terminal.printable(row.server_name or row.server)}: '
            f'`{row.hint}`' for row in report.outcomes
            if getattr(row, 'hint', '') and row.status != outcome.COMPLETED]
