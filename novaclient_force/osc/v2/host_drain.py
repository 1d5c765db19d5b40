"""``openstack compute host drain <host>``: empty a compute host.

Like ``force_complete``, ``openstack`` imports this module on every run
(whatever the command), so it holds only the command class and its
arguments, and imports what the command does when it runs: the CLI core
(``novaclient_force.cli.draining``) and the columns (``drain_columns``).
"""

from osc_lib.command import command


class DrainHost(command.Lister):
    """Empty a compute host: disable it and move every server off it.

    Disables the host's nova-compute service (so the scheduler places
    nothing new there), live-migrates every server on it (all projects;
    ACTIVE and PAUSED, block migration auto) a few at a time as Nova runs
    them, follows servers already migrating, cold-migrates stopped servers
    with --cold-migrate-stopped, forces what the policy says, and lists
    the host again at the end. Admin only. The exit status is 0 only if
    the host holds no server at the end; 9 when servers were left (named
    on stderr), 3 for a failed migration, 4 cancelled, 5 timed out, 8
    accepted but its outcome unknown, 1 refused or an unknown host, 2 for
    bad arguments, 130/143 on SIGINT/SIGTERM (the requested migrations go
    on in Nova; each row says how to follow them). There is no nova
    command for this: the nova CLI is frozen upstream.
    """

    auth_required = False

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('host', metavar='<host>',
                            help='Compute host to drain')
        parser.add_argument(
            '--no-force', action='store_true',
            help='Never force: each migration converges on its own or '
                 "ends as Nova's completion timeout says")
        parser.add_argument(
            '--auto', action='store_true', default=None,
            help='Force each running migration as soon as its memory '
                 'counters prove it will not converge on its own (its '
                 'pre-copy rounds find at least 97%% of what they send '
                 'dirty again); one that converges is left alone. Where '
                 'Nova reports no memory counters it is forced after 60 '
                 'seconds of running. The default without --stalled-after '
                 'or --force-after')
        parser.add_argument(
            '--stalled-after', metavar='<seconds>',
            help='Force a running migration once its memory counters have '
                 'shown no progress towards completion for this long')
        parser.add_argument(
            '--force-after', metavar='<seconds>',
            help='Force a running migration once it has run this long (0: '
                 'as soon as it runs, pausing converging guests too: the '
                 'quickest way to empty the host)')
        parser.add_argument(
            '--deadline', metavar='<seconds>',
            help='The host must be empty this many seconds from now: '
                 'force any migration whose estimated end, counting the '
                 'queue behind it, would overrun it')
        parser.add_argument(
            '--target-host', metavar='<host>',
            help="Destination host (default: the scheduler's choice)")
        parser.add_argument(
            '--cold-migrate-stopped', action='store_true',
            help='Cold-migrate SHUTOFF servers and confirm the resize '
                 '(otherwise they are left and reported)')
        disabling = parser.add_mutually_exclusive_group()
        disabling.add_argument(
            '--keep-enabled', action='store_true',
            help="Do not disable the host's nova-compute service")
        disabling.add_argument(
            '--disable-reason', metavar='<text>',
            help='Why the service is disabled (default: this tool and the '
                 'time)')
        parser.add_argument(
            '--order', choices=('soonest', 'listed'), default='soonest',
            help='Request order: soonest (paused, then smallest first: the '
                 'host empties soonest; default) or listed (as Nova lists '
                 'them)')
        parser.add_argument(
            '--dry-run', action='store_true',
            help='Print what would be done with each server, and why; '
                 'send only reads')
        parser.add_argument(
            '--timeout', metavar='<seconds>',
            help='Stop after this many seconds (exit status 5); requested '
                 'migrations go on in Nova')
        return parser

    def run(self, parsed_args):
        """Run; the exit status described above, after the rows, the
        summary line and how to follow what may still change."""
        from novaclient_force.cli import draining, running

        with running.until_drawn(self.app.stdout,
                                 self.app.stderr) as self._latch:
            super().run(parsed_args)
            report = self._report
            lines = draining.follow_lines(report)
            if report.message:
                lines.append(report.message)
            running.notes_after_rows(self.app.stdout, self.app.stderr, lines)
        return running.exit_code(report, self._latch)

    def take_action(self, parsed_args):
        from novaclient_force.cli import draining
        from novaclient_force.osc.v2 import drain_columns

        self._report = report = draining.run(
            self.app.stderr, self._migrations, self._latch,
            host=parsed_args.host, stalled_after=parsed_args.stalled_after,
            force_after=parsed_args.force_after, auto=parsed_args.auto,
            no_force=parsed_args.no_force, deadline=parsed_args.deadline,
            target_host=parsed_args.target_host,
            cold_migrate_stopped=parsed_args.cold_migrate_stopped,
            keep_enabled=parsed_args.keep_enabled,
            disable_reason=parsed_args.disable_reason,
            order=parsed_args.order, dry_run=parsed_args.dry_run,
            timeout=parsed_args.timeout)
        machine = parsed_args.formatter in drain_columns.MACHINE_FORMATS
        return drain_columns.COLUMNS, [drain_columns.row(o, machine)
                                       for o in report.outcomes]

    def produce_output(self, parsed_args, column_names, data):
        """No empty table (see force_complete): the line on stderr says
        why there are no rows."""
        if (not data and parsed_args.formatter == 'table'
                and not parsed_args.print_empty):
            return 0
        return super().produce_output(parsed_args, column_names, data)

    def _migrations(self):
        """Authenticate (as force_complete does), then our manager."""
        from novaclient_force.osc.v2 import force_complete

        force_complete.ForceCompleteMigration._authenticate(self)
        return self.app.client_manager.migration_force.server_migrations
