"""What ``nova live-migration-force-complete`` does once it runs.

The extension module (``shell.py``) that ``nova`` imports on every run
holds only the command's arguments; this module is imported when the
command itself runs. It holds what is ``nova``'s own: which manager to
use and how a report is drawn (a Property/Value table per outcome, then
``ERROR (Kind): ...`` as novaclient/shell.py ``main`` reports errors).
The checks, the SDK call, progress, signals and the verdict are the CLI
core's (``novaclient_force.cli``), shared with the ``openstack`` command.
"""

import sys

import prettytable
from novaclient import api_versions

from novaclient_force import terminal
from novaclient_force.cli import cells, running
from novaclient_force.v2.server_migrations import ServerMigrationsManager


def run(cs, args):
    """Force, print, and exit non-zero unless it went as asked (see
    ``shell.live_migration_force_complete`` for the arguments)."""
    with running.until_drawn(sys.stdout, sys.stderr) as latch:
        report = running.run(
            sys.stderr, lambda: _manager(cs, args), latch,
            server=args.server, migration=args.migration, wait=args.wait,
            timeout=args.wait_timeout, stalled_after=args.stalled_after,
            force_after=args.force_after, auto=args.auto)
        lines = []
        if report.shows_rows:
            for result in report.outcomes:
                _print_outcome(result)
            lines = list(report.advice)
        if report.exit_code:
            lines.append(f'ERROR ({report.kind}): {report.message}')
        running.notes_after_rows(sys.stdout, sys.stderr, lines)
    code = running.exit_code(report, latch)
    if code:
        sys.exit(code)


def _manager(cs, args):
    """``cs.server_migrations``, naming ``nova`` commands in its hints."""
    manager = cs.server_migrations
    if api_versions.get_api_version(
            args.os_compute_api_version).is_latest():
        # nova picked the version, so the SDK negotiates its own: a cloud
        # below what the command needs is then reported as too old, not as
        # a version the user asked for.
        manager = ServerMigrationsManager(cs, pinned=None)
    manager.cli = 'nova'
    return manager


def _print_outcome(result):
    """The outcome as ``nova``'s Property/Value table, values escaped.

    A successful outcome's reason is whole (nothing else tells it); when
    the command fails, the cell keeps to what happened and the ERROR line
    has the rest. novaclient's ``print_dict`` is not used: it splits a
    value into rows wherever it holds a backslash and an ``n``, which an
    escaped newline (or a name) does.
    """
    table = prettytable.PrettyTable(['Property', 'Value'])
    table.align = 'l'
    for key, value in sorted({
            'server': result.server,
            'server_name': result.server_name,
            'migration': result.migration,
            'migration_uuid': result.migration_uuid,
            'status': result.status,
            'migration_status': result.migration_status,
            'forced': cells.forced(result.forced),
            'diagnosis': cells.diagnosis(result.diagnosis),
            'estimated_pause': cells.seconds(cells.estimated_pause(result)),
            'force_to_end': cells.seconds(result.force_to_end),
            'migration_time': cells.seconds(result.migration_time),
            'reason': cells.reason(result, whole=result.ok),
    }.items()):
        table.add_row([key, terminal.printable(value)])
    print(table.get_string())
