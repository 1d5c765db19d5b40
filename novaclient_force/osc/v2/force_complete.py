"""``openstack server migration force complete``, a superset of OSC's own.

Upstream python-openstackclient registers a command of the same name in
``openstack.compute.v2``; OSC adds plugin command groups after its core
ones and the later registration of a name wins, so this class is the one
that runs. Its positional arguments are upstream's, so old runbooks keep
working; ``<migration>`` became optional and ``--host``, ``--wait``,
``--timeout``, ``--concurrency``, ``--stalled-after`` and ``--force-after``
are new.

The command holds no HTTP or waiting logic and no checks of its own: it
declares its arguments and hands them to the CLI core it shares with the
nova extension (``novaclient_force.cli``: checks, the SDK call, progress,
signals, the verdict), then draws the outcomes in cliff's columns
(``columns``).

``openstack`` imports this module on every run, whatever the command:
its shell adds every plugin's command group while it initializes
(``OpenStackShell._load_plugins``, openstackclient/shell.py), and cliff's
``CommandManager.load_commands`` loads the group through stevedore, whose
``ExtensionManager`` imports each entry point's module. So this module
holds only what that needs (the command class, its arguments and its
description) and imports nothing ``openstack`` has not loaded already;
what the command does is imported by its methods when it runs.
"""

from osc_lib.command import command

MAX_CONCURRENCY = 64


def _no_collection_at_exit():
    """Let the process end without collecting its garbage one last time.

    Interpreter shutdown spends part of an ``openstack`` run traversing
    the heap for cycles that die with the process anyway
    (``benchmarks/exit_cost.py`` measures it). ``gc.freeze`` as an exit
    handler skips that and changes nothing else: it runs only when the
    interpreter exits (never in a process that runs this command and goes
    on, such as a test); it changes no object, so the exit handlers that
    run after it (``logging.shutdown``, which flushes and closes log files,
    was registered earlier and so runs later) work as before; the exit
    status is already set; stdout and stderr are flushed by the
    interpreter's finalization whatever the collector did; and this command
    writes no file of its own. What it gives up is finalizing objects still
    caught in reference cycles, which Python does not promise at exit
    either (the data model's ``__del__`` note). Registered only when this
    command runs: ``openstack``'s other commands exit as before.
    Unregistered first, so a process registers it once.
    """
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def request_arguments(parsed_args):
    """The parsed options as ``novaclient_force.cli.checks.checked``
    takes them: the core checks them when the command runs."""
    return dict(
        server=parsed_args.server, migration=parsed_args.migration,
        host=parsed_args.host, wait=parsed_args.wait,
        timeout=parsed_args.timeout, concurrency=parsed_args.concurrency,
        max_concurrency=MAX_CONCURRENCY,
        stalled_after=parsed_args.stalled_after,
        force_after=parsed_args.force_after,
        all_projects=parsed_args.all_projects, auto=parsed_args.auto)


class ForceCompleteMigration(command.Lister):
    """Force on-going live migrations to complete.

    Forces the live migration of one server, or with --host every live
    migration leaving a host, to finish now: Nova pauses the guest (or
    switches to post-copy where that is allowed) so that the memory copy
    can converge. Nova runs max_concurrent_live_migrations (default 1)
    per host at a time and queues the rest: with --host --wait each is
    forced as it starts running, until nothing leaves the host; without
    --wait the queued ones are listed as not forced (exit status 9).
    --auto, --stalled-after and --force-after force only what will not
    converge.
    Microversion 2.22 or later is negotiated automatically;
    --os-compute-api-version is honoured when given. Without --wait or
    --host nothing is printed (Nova only accepted the request); with them
    one row per migration, and the exit status is 0 only if every
    migration completed.
    """

    # Authentication is deferred to run(), after the arguments are checked:
    # cliff authenticates in prepare_to_run_command(), before parsing, for
    # commands that require it.
    auth_required = False

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'server', metavar='<server>', nargs='?',
            help='Server (name or ID)')
        parser.add_argument(
            'migration', metavar='<migration>', nargs='?',
            help='Migration (ID, or UUID with microversion 2.59 or later); '
                 'default: the live migration in progress on the server')
        parser.add_argument(
            '--all-projects', action='store_true',
            help='Find <server> by name in any project (admin only). '
                 'Name lookups by an admin always span all projects; the '
                 'option is accepted for scripts written for other '
                 'OSC commands')
        parser.add_argument(
            '--host', metavar='<host>',
            help='Force every live migration leaving this compute host, '
                 'each once it is running (admin; a project manager '
                 'acts on those its project started); give no <server>')
        parser.add_argument(
            '--wait', action='store_true',
            help='Wait until each migration has finished and report how '
                 'it ended (progress is shown when stderr is a terminal)')
        parser.add_argument(
            '--timeout', metavar='<seconds>',
            help='With --wait: stop waiting after this many seconds '
                 '(the migration may still finish; exit status 5)')
        parser.add_argument(
            '--auto', action='store_true', default=False,
            help=(
                'Force each running migration as soon as its memory counters '
                'prove it will not converge on its own (its pre-copy rounds '
                'find at least 97%% of what they send dirty again); one that '
                'converges is left alone. Where Nova reports no memory '
                'counters it is forced after 60 seconds of running'))
        parser.add_argument(
            '--stalled-after', metavar='<seconds>',
            help=(
                'Force a running migration only once its memory counters have'
                ' shown no progress towards completion for this long; one '
                'that converges is left alone. Where Nova reports no memory '
                'counters this acts as --force-after with the same value'))
        parser.add_argument(
            '--force-after', metavar='<seconds>',
            help='Force a running migration only once it has run this '
                 'long (counted from when this command first saw it '
                 'running)')
        parser.add_argument(
            '--concurrency', metavar='<n>',
            help=f'With --host: how many force-complete requests to send '
                 f'at once (1 to {MAX_CONCURRENCY}; default 8)')
        return parser

    def run(self, parsed_args):
        """Run the command; return the exit status described above.

        Signals wait until the report is written (running.until_drawn):
        cliff writes the rows in super().run(), after take_action().
        """
        from novaclient_force.cli import running

        with running.until_drawn(self.app.stdout,
                                 self.app.stderr) as self._latch:
            super().run(parsed_args)
            report = self._report
            lines = [report.message] if report.message else []
            if self._drew_table(parsed_args):
                # What the table's cells leave out (-f json and -f value
                # carry it in the rows).
                lines[:0] = report.advice
            running.notes_after_rows(self.app.stdout, self.app.stderr, lines)
        return running.exit_code(report, self._latch)

    def take_action(self, parsed_args):
        """Run on the CLI core; its report is drawn by produce_output()
        (the rows) and run() (the stderr line and the exit status)."""
        from novaclient_force.cli import running
        from novaclient_force.osc.v2 import columns

        _no_collection_at_exit()
        self._report = report = running.run(
            self.app.stderr, self._migrations, self._latch,
            **request_arguments(parsed_args))
        machine = parsed_args.formatter in columns.MACHINE_FORMATS
        return columns.COLUMNS, [columns.row(o, machine)
                                 for o in report.outcomes]

    def produce_output(self, parsed_args, column_names, data):
        """No table where upstream prints nothing (see checks.Request),
        nor an empty one: for no rows cliff's table formatter writes a
        blank line unless --print-empty (``TableFormatter.emit_list``,
        cliff/formatters/table.py); the line on stderr says why."""
        if not self._report.shows_rows:
            return 0
        if (not data and parsed_args.formatter == 'table'
                and not parsed_args.print_empty):
            return 0
        return super().produce_output(parsed_args, column_names, data)

    def _drew_table(self, parsed_args):
        """Whether produce_output() drew rows in a table."""
        return (self._report.shows_rows and bool(self._report.outcomes)
                and parsed_args.formatter == 'table')

    def _migrations(self):
        """Authenticate, then our client's ServerMigrationsManager."""
        self._authenticate()
        return self.app.client_manager.migration_force.server_migrations

    def _authenticate(self):
        """Authenticate now, the way the shell does for other commands.

        An identity endpoint that cannot be reached is reported like a
        compute one (one line, exit 6) rather than as keystoneauth's
        discovery warning followed by its error; ``-v``/``--debug`` still
        show keystoneauth's own account.
        """
        import logging

        from keystoneauth1 import exceptions as ksa_exc

        from novaclient_force import keystoneauth_errors

        self.auth_required = True
        keystoneauth_log = logging.getLogger('keystoneauth')
        quiet = self.app.options.verbose_level <= 1
        level = keystoneauth_log.level
        if quiet:
            keystoneauth_log.setLevel(logging.ERROR)
        try:
            self.app.prepare_to_run_command(self)
        except (ksa_exc.ConnectionError, ksa_exc.DiscoveryFailure) as exc:
            cause = keystoneauth_errors.connection_cause(exc)
            if cause is None:
                raise
            raise keystoneauth_errors.unreachable(cause) from exc
        finally:
            keystoneauth_log.setLevel(level)
