"""What ``nova live-migration-force-complete`` does once it runs.

The extension module (``shell.py``) that ``nova`` imports on every run
holds only the command's arguments; this module, the checks, the SDK call
and the output, is imported when the command itself runs. The command
holds no HTTP or waiting logic: that is the SDK's (``force_complete`` of
the manager).
"""

import sys

import prettytable
from novaclient import api_versions

from novaclient_force import (
    arguments,
    exceptions,
    outcome,
    signals,
    terminal,
)
from novaclient_force import progress as progress_line
from novaclient_force.v2.server_migrations import ServerMigrationsManager


def run(cs, args):
    """Check the arguments, force, print; exit non-zero unless it went
    as asked (see ``shell.live_migration_force_complete`` for them)."""
    migration = _parse_migration(args.migration)
    try:
        arguments.timeout_needs_wait(args.wait_timeout, args.wait)
        if args.wait_timeout is not None:
            arguments.timeout_in_range(args.wait_timeout)
    except exceptions.InvalidArgument as exc:
        _usage_error(str(exc))
    policy = _policy(args)

    manager = cs.server_migrations
    if api_versions.get_api_version(
            args.os_compute_api_version).is_latest():
        # nova picked the version, so the SDK negotiates its own: a cloud
        # below what the command needs is then reported as too old, not as
        # a version the user asked for.
        manager = ServerMigrationsManager(cs, pinned=None)
    manager.cli = 'nova'
    # Progress while a policy watches before forcing, and while waiting.
    progress = None
    if args.wait or policy:
        progress = progress_line.for_stream(sys.stderr)
    try:
        with signals.raised():
            result = manager.force_complete(
                args.server, migration, wait=args.wait,
                timeout=args.wait_timeout, progress=progress, **policy)
    except exceptions.Interrupted as stop:
        # Clear the line, tell what Nova had accepted, exit 128 + signal.
        _close(progress)
        for known in stop.outcomes:
            _print_outcome(known)
        reason = (stop.outcomes[0].detail if stop.outcomes else
                  '%s before anything was sent' % stop.signal_name)
        _fail('Interrupted', reason, stop.exit_code)
    except exceptions.ForceCompleteError as exc:
        _close(progress)
        _fail(type(exc).__name__, exc, exc.exit_code)
    _close(progress)

    if args.wait:
        _print_outcome(result)
    if not result.ok:
        _fail(_outcome_kind(result), result.detail or result.status,
              result.exit_code)


def _close(progress):
    if progress is not None:
        progress.close()


def _parse_migration(value):
    try:
        return arguments.migration(value)
    except exceptions.InvalidArgument as exc:
        _usage_error(str(exc))


def _policy(args):
    """The SDK keyword arguments of --stalled-after/--force-after."""
    policy = {}
    for option, name in (('--stalled-after', 'stalled_after'),
                         ('--force-after', 'force_after')):
        value = getattr(args, name)
        if value is not None:
            try:
                policy[name] = arguments.threshold(option, value)
            except exceptions.InvalidArgument as exc:
                _usage_error(str(exc))
    return policy


def _print_outcome(result):
    """The outcome as ``nova``'s Property/Value table, values escaped.

    When the command fails, the reason is kept to what happened: the
    whole of it, with how to follow the migration, is on the ERROR line.
    novaclient's ``print_dict`` is not used: it splits a value into rows
    wherever it holds a backslash and an ``n``, which an escaped newline
    (or a name) does.
    """
    found = result.diagnosis
    pause = getattr(found, 'estimated_pause', None)
    table = prettytable.PrettyTable(['Property', 'Value'])
    table.align = 'l'
    for key, value in sorted({
            'server': result.server,
            'server_name': result.server_name,
            'migration': result.migration,
            'migration_uuid': result.migration_uuid,
            'status': result.status,
            'migration_status': result.migration_status,
            'forced': 'yes' if result.forced else 'no',
            'diagnosis': '' if found is None else found.summary(),
            'estimated_pause': '' if pause is None else '%.1fs' % pause,
            'duration': terminal.seconds(result.duration),
            'reason': (result.reason if result.ok
                       else terminal.brief(result.reason)),
    }.items()):
        table.add_row([key, terminal.printable(value)])
    print(table.get_string())


def _fail(kind, message, exit_code):
    """Report like ``nova`` does (``ERROR (Kind): message``) and exit."""
    print('ERROR (%s): %s' % (kind, terminal.printable(message)),
          file=sys.stderr)
    sys.exit(exit_code)


def _usage_error(message):
    _fail('InvalidArgument', message, exceptions.EXIT_USAGE)


def _outcome_kind(result):
    """What to call a result that is not success, in the ERROR line."""
    if result.error is not None:
        return type(result.error).__name__
    return {
        outcome.FAILED: 'MigrationFailed',
        outcome.CANCELLED: 'MigrationCancelled',
        outcome.TIMED_OUT: 'WaitTimedOut',
        outcome.UNKNOWN: 'OutcomeUnknown',
        outcome.NOT_FORCED: 'NotForced',
    }.get(result.status, 'ForceCompleteError')
