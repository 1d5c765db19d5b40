"""``nova live-migration-force-complete``, as a python-novaclient extension.

``nova`` imports this module (entry point ``novaclient.extension``, name
``server_migrations``) on every run, even for ``nova list``, so at module
level it imports only what ``nova`` has loaded already, plus the manager
class novaclient needs to find here; the rest is imported by the command.

What novaclient does with the module (``novaclient/extension.py``,
``novaclient/shell.py``):

* the ``base.Manager`` subclass found here becomes ``cs.server_migrations``
  (the entry point's name), so the built-in ``server-migration-list``,
  ``server-migration-show`` and ``live-migration-abort`` go through ours;
* ``__pre_parse_args__`` runs after version discovery and before the
  subcommand parser is built from ``novaclient.v2.shell`` and then from
  each extension module's ``do_*`` functions.

novaclient 18 has its own ``live-migration-force-complete``, and since
Python 3.11 argparse refuses a second subcommand of the same name
("conflicting subparser"): a ``do_live_migration_force_complete`` here would
break every ``nova`` run. So this module has no ``do_*`` function; the hook
puts our command in upstream's place in ``novaclient.v2.shell``, where
``nova`` finds exactly one command of that name (ours) at the same position
in ``nova help``. Had the hook not run, upstream's command would still be
there and nothing would crash.
"""

import sys

from novaclient import api_versions, utils

from novaclient_force.v2.server_migrations import ServerMigrationsManager

__all__ = ['ServerMigrationsManager']

COMMAND_ATTR = 'do_live_migration_force_complete'


def _parse_migration(value):
    from novaclient_force import arguments, exceptions

    try:
        return arguments.migration(value)
    except exceptions.InvalidArgument as exc:
        _usage_error(str(exc))


def _policy(args):
    """The SDK keyword arguments of --stalled-after/--force-after."""
    from novaclient_force import arguments, exceptions

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
    import prettytable

    from novaclient_force import terminal

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
    from novaclient_force import terminal

    print('ERROR (%s): %s' % (kind, terminal.printable(message)),
          file=sys.stderr)
    sys.exit(exit_code)


def _usage_error(message):
    from novaclient_force import exceptions

    _fail('InvalidArgument', message, exceptions.EXIT_USAGE)


def _outcome_kind(result):
    """What to call a result that is not success, in the ERROR line."""
    from novaclient_force import outcome

    if result.error is not None:
        return type(result.error).__name__
    return {
        outcome.FAILED: 'MigrationFailed',
        outcome.CANCELLED: 'MigrationCancelled',
        outcome.TIMED_OUT: 'WaitTimedOut',
        outcome.UNKNOWN: 'OutcomeUnknown',
        outcome.NOT_FORCED: 'NotForced',
    }.get(result.status, 'ForceCompleteError')


@utils.arg('server', metavar='<server>', help='Name or ID of server.')
@utils.arg(
    'migration', metavar='<migration>', nargs='?', default=None,
    help='ID of migration, or its UUID (microversion 2.59 or later). '
         'Default: the live migration in progress on the server.')
@utils.arg(
    '--wait', action='store_true', default=False,
    help='Wait until the migration has finished, then print the outcome; '
         'exit non-zero unless it completed.')
# nova's first pass over the command line reads --timeout anywhere in it
# as its own HTTP timeout (keystoneauth's session option, a number above 0),
# before it authenticates: "-1" or "soon" are refused there, and what gets
# here is a valid number. The same value bounds each HTTP request.
@utils.arg(
    '--timeout', metavar='<seconds>', dest='wait_timeout', type=float,
    default=None,
    help='With --wait: stop waiting after this many seconds (the migration '
         'goes on). nova also applies it to each HTTP request, as its '
         'global --timeout. Default: wait until the migration ends.')
@utils.arg(
    '--stalled-after', metavar='<seconds>', default=None,
    help='Force the migration only once its remaining memory has not '
         'shrunk for this long; one that converges is left alone. Where '
         'Nova reports no memory counters this acts as --force-after with '
         'the same value.')
@utils.arg(
    '--force-after', metavar='<seconds>', default=None,
    help='Force the migration only once it has run this long (counted '
         'from when this command first saw it running).')
def live_migration_force_complete(cs, args):
    """Force on-going live migration to complete."""
    from novaclient_force import arguments, exceptions, signals
    from novaclient_force import progress as progress_line

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


def __pre_parse_args__():
    """Put our command in place of upstream's before ``nova`` scans it.

    novaclient runs every extension's hooks once per extension (the hook
    map is shared), so this must be idempotent; it is a plain assignment.
    """
    from novaclient.v2 import shell as nova_v2_shell

    setattr(nova_v2_shell, COMMAND_ATTR, live_migration_force_complete)
