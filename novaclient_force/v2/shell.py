"""``nova live-migration-force-complete``, as a python-novaclient extension.

``nova`` imports this module (entry point ``novaclient.extension``, name
``server_migrations``) on every run, even for ``nova list``, so it holds
only what ``nova`` needs before a command runs: the manager class
novaclient finds here, the command's arguments (every subcommand parser is
built on every run) and the hook. It imports nothing ``nova`` has not
loaded already but the manager's module; what the command does is in
``nova_command``, imported when it runs.

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

from novaclient import utils

from novaclient_force.v2.server_migrations import ServerMigrationsManager

__all__ = ['ServerMigrationsManager']

COMMAND_ATTR = 'do_live_migration_force_complete'


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
    '--auto', action='store_true', default=False,
    help=(
        'Force each running migration as soon as its memory counters prove it'
        ' will not converge on its own (its pre-copy rounds find at least '
        '97%% of what they send dirty again); one that converges is left '
        'alone. Where Nova reports no memory counters it is forced after 60 '
        'seconds of running.'))
@utils.arg(
    '--stalled-after', metavar='<seconds>', default=None,
    help=(
        'Force a running migration only once its memory counters have shown '
        'no progress towards completion for this long; one that converges is '
        'left alone. Where Nova reports no memory counters this acts as '
        '--force-after with the same value.'))
@utils.arg(
    '--force-after', metavar='<seconds>', default=None,
    help='Force the migration only once it has run this long (counted '
         'from when this command first saw it running).')
def live_migration_force_complete(cs, args):
    """Force on-going live migration to complete."""
    from novaclient_force.v2 import nova_command

    nova_command.run(cs, args)


def __pre_parse_args__():
    """Put our command in place of upstream's before ``nova`` scans it.

    novaclient runs every extension's hooks once per extension (the hook
    map is shared), so this must be idempotent; it is a plain assignment.
    """
    from novaclient.v2 import shell as nova_v2_shell

    setattr(nova_v2_shell, COMMAND_ATTR, live_migration_force_complete)
