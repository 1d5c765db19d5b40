"""``openstack server migration force complete``, a superset of OSC's own.

Upstream python-openstackclient registers a command of the same name in
``openstack.compute.v2``; OSC adds plugin command groups after its core
ones and the later registration of a name wins, so this class is the one
that runs. Its positional arguments are upstream's, so old runbooks keep
working; ``<migration>`` became optional and ``--host``, ``--wait``,
``--timeout``, ``--concurrency``, ``--stalled-after`` and ``--force-after``
are new.

This module holds no HTTP or waiting logic: it checks the arguments, calls
the SDK (``novaclient_force``) and formats the outcomes with cliff.
"""

import atexit
import dataclasses
import gc
import logging
import math
import re
import typing

from cliff import columns
from osc_lib.command import command

from novaclient_force import (
    arguments,
    exceptions,
    outcome,
    progress,
    signals,
    terminal,
)

MAX_CONCURRENCY = 64
COLUMNS = ('Server', 'Server Name', 'Migration', 'Status', 'Forced',
           'Diagnosis', 'Estimated Pause', 'Duration', 'Reason')
#: Formats that escape every value themselves and are read by programs:
#: they get the values as the SDK holds them.
MACHINE_FORMATS = ('json', 'yaml')
_INTEGER = re.compile(r'[0-9]+')


@dataclasses.dataclass(frozen=True)
class Request:
    """The validated arguments: what the user asked for."""

    server: typing.Optional[str] = None
    migration: typing.Union[int, str, None] = None
    host: typing.Optional[str] = None
    wait: bool = False
    timeout: typing.Optional[float] = None
    concurrency: typing.Optional[int] = None
    stalled_after: typing.Optional[float] = None
    force_after: typing.Optional[float] = None

    @property
    def policy(self):
        """The SDK keyword arguments of the force policy, if any."""
        return {name: getattr(self, name)
                for name in ('stalled_after', 'force_after')
                if getattr(self, name) is not None}

    @property
    def shows_table(self):
        """Upstream prints nothing; we print outcomes once there are any."""
        return self.wait or self.host is not None


def validated(parsed_args):
    """Check the arguments and return a Request, or raise InvalidArgument.

    This runs before authentication (see ForceCompleteMigration.run), so a
    typo costs no token request and nothing is sent to the cloud.
    """
    if parsed_args.host is not None:
        if parsed_args.server is not None:
            raise _usage('--host cannot be combined with <server>: it acts '
                         'on every live migration leaving the host')
        if not parsed_args.host.strip():
            raise _usage('--host must name a compute host')
        if parsed_args.all_projects:
            raise _usage('--all-projects applies only to <server>: --host '
                         'already covers every project')
    elif parsed_args.server is None:
        raise _usage('give a <server>, or --host <host> to force every '
                     'live migration leaving that host')
    elif not parsed_args.server.strip():
        raise _usage('<server> must be a server name or ID')
    if parsed_args.concurrency is not None and parsed_args.host is None:
        raise _usage('--concurrency applies only with --host')
    arguments.timeout_needs_wait(parsed_args.timeout, parsed_args.wait)
    return Request(
        server=parsed_args.server,
        migration=arguments.migration(parsed_args.migration),
        host=parsed_args.host,
        wait=parsed_args.wait,
        timeout=_timeout(parsed_args.timeout),
        concurrency=_concurrency(parsed_args.concurrency),
        stalled_after=arguments.threshold('--stalled-after',
                                          parsed_args.stalled_after),
        force_after=arguments.threshold('--force-after',
                                        parsed_args.force_after),
    )


def _usage(message):
    return exceptions.InvalidArgument(message)


def _timeout(text):
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _usage(f'--timeout must be a positive number of seconds, '
                     f'not {text!r}')
    return arguments.timeout_in_range(seconds)


def _concurrency(text):
    if text is None:
        return None
    value = int(text) if _INTEGER.fullmatch(text.strip()) else 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise _usage(f'--concurrency must be a whole number from 1 to '
                     f'{MAX_CONCURRENCY}, not {text!r}')
    return value


class ForcedColumn(columns.FormattableColumn):
    """yes/no in a table, a boolean in -f json/yaml."""

    def human_readable(self):
        return 'yes' if self._value else 'no'

    def machine_readable(self):
        return bool(self._value)


class DiagnosisColumn(columns.FormattableColumn):
    """The diagnosis in words in a table, its numbers in -f json/yaml."""

    def human_readable(self):
        return '' if self._value is None else self._value.summary()

    def machine_readable(self):
        return None if self._value is None else self._value.as_dict()


class Seconds(columns.FormattableColumn):
    """A duration: ``31.0s`` in a table, the number of seconds in
    ``-f value`` or ``csv``; empty when not known."""

    def human_readable(self):
        return '' if self._value is None else terminal.seconds(self._value)

    def machine_readable(self):
        return None if self._value is None else round(self._value, 1)


class Reason(columns.FormattableColumn):
    """A table shows what happened in a few words; ``-f value`` and
    ``csv`` give the whole reason and hint, escaped."""

    def human_readable(self):
        return terminal.brief(self._value)

    def machine_readable(self):
        return terminal.printable(self._value)


def row(result, machine=False):
    """One row for an SDK Outcome (see COLUMNS).

    ``machine`` (a MACHINE_FORMATS format): the values as they are, the
    reason with its hint. Otherwise what comes from the cloud is escaped
    and the reason is kept brief (the whole of it is on stderr).
    """
    migration = result.migration
    if migration is None:
        migration = result.migration_uuid or None
    found = result.diagnosis
    pause = None if found is None else found.estimated_pause
    if machine:
        return (result.server, result.server_name, migration, result.status,
                ForcedColumn(result.forced), DiagnosisColumn(found),
                None if pause is None else round(pause, 1),
                round(result.duration, 1), result.detail)
    return (terminal.printable(result.server),
            terminal.printable(result.server_name), migration,
            result.status, ForcedColumn(result.forced),
            DiagnosisColumn(found), Seconds(pause),
            Seconds(result.duration), Reason(result.detail))


def verdict(outcomes, host=None):
    """The exit status and, if it is not 0, a one-line explanation.

    The exit status is the highest of the outcomes' (outcome.py): a script
    learns the most serious thing that happened, and 0 means every
    migration completed (or, without --wait, was accepted).
    """
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return 0, ''
    exit_code = max(o.exit_code for o in failed)
    if host is None:
        only = failed[0]
        name = terminal.printable(only.server_name or only.server)
        what = f'migration {only.migration} of server {name}'
        if only.migration is None:
            what = f'server {name}'
        reason = f': {only.detail}' if only.reason else ''
        return exit_code, f'{what} {only.status}{reason}'
    counts = {}
    for o in failed:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ', '.join(f'{n} {status}' for status, n in counts.items())
    what = 'did not complete'
    if outcome.NOT_FORCED in counts:
        what = 'were not forced or did not complete'
    return exit_code, (f'{len(failed)} of {len(outcomes)} live migrations '
                       f'leaving {host} {what}: {summary}')


def interrupted(stop, host=None):
    """The one line for a command stopped by SIGINT or SIGTERM."""
    if not stop.outcomes:
        return f'interrupted ({stop.signal_name}) before anything was sent'
    if host is None and len(stop.outcomes) == 1:
        return f'interrupted ({stop.signal_name}): {stop.outcomes[0].detail}'
    counts = {}
    for o in stop.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ', '.join(f'{n} {status}' for status, n in counts.items())
    where = f' leaving {host}' if host else ''
    return (f'interrupted ({stop.signal_name}): of {len(stop.outcomes)} '
            f'live migrations{where}, {summary}; accepted ones go on, and '
            f'each row says how to follow it')


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
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


class ForceCompleteMigration(command.Lister):
    """Force on-going live migrations to complete.

    Forces the live migration of one server, or with --host every live
    migration leaving a host, to finish now: Nova pauses the guest (or
    switches to post-copy where that is allowed) so that the memory copy
    can converge. Nova runs max_concurrent_live_migrations (default 1)
    per host at a time and queues the rest: with --host --wait each is
    forced as it starts running, until nothing leaves the host; without
    --wait the queued ones are listed as not forced (exit status 9).
    --stalled-after and --force-after force only what will not converge.
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
            '--stalled-after', metavar='<seconds>',
            help='Force a running migration only once its remaining '
                 'memory has not shrunk for this long; one that converges '
                 'is left alone. Where Nova reports no memory counters '
                 'this acts as --force-after with the same value')
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
        """Run the command; return the exit status described above."""
        self._verdict = (0, '')
        try:
            super().run(parsed_args)
        except exceptions.ForceCompleteError as err:
            self._verdict = (err.exit_code, str(err))
        exit_code, message = self._verdict
        if message:
            self.app.stderr.write(f'{terminal.printable(message)}\n')
        return exit_code

    def take_action(self, parsed_args):
        _no_collection_at_exit()
        self._request = request = validated(parsed_args)
        self._show_table = request.shows_table
        display = None
        if request.wait or request.policy:
            display = progress.for_stream(self.app.stderr)
        try:
            with signals.raised():
                self._authenticate()
                outcomes = self._force(request, display)
            self._verdict = verdict(outcomes, request.host)
            if not outcomes and getattr(outcomes, 'note', ''):
                self.app.stderr.write(
                    f'{terminal.printable(outcomes.note)}\n')
        except exceptions.Interrupted as stop:
            # What Nova accepted is told, rows and all, then 128 + signal.
            outcomes = stop.outcomes
            self._show_table = bool(outcomes)
            self._verdict = (stop.exit_code, interrupted(stop, request.host))
        except signals.Signalled as stop:
            outcomes = []
            self._verdict = (128 + stop.signum, f'interrupted ({stop}) '
                             f'before anything was sent')
        finally:
            if display is not None:
                display.close()
        machine = parsed_args.formatter in MACHINE_FORMATS
        return COLUMNS, [row(o, machine) for o in outcomes]

    def _force(self, request, display):
        migrations = self.app.client_manager.migration_force.server_migrations
        if request.host is not None:
            options = {}
            if request.concurrency is not None:
                options['concurrency'] = request.concurrency
            return migrations.force_complete_host(
                request.host, wait=request.wait, timeout=request.timeout,
                progress=display, **options, **request.policy)
        return [migrations.force_complete(
            request.server, request.migration, wait=request.wait,
            timeout=request.timeout, progress=display, **request.policy)]

    def produce_output(self, parsed_args, column_names, data):
        if not self._show_table:
            return 0
        return super().produce_output(parsed_args, column_names, data)

    def _authenticate(self):
        """Authenticate now, the way the shell does for other commands.

        An identity endpoint that cannot be reached is reported like a
        compute one (one line, exit 6) rather than as keystoneauth's
        discovery warning followed by its error; ``-v``/``--debug`` still
        show keystoneauth's own account.
        """
        from keystoneauth1 import exceptions as ksa_exc

        from novaclient_force import negotiation

        self.auth_required = True
        keystoneauth_log = logging.getLogger('keystoneauth')
        quiet = self.app.options.verbose_level <= 1
        level = keystoneauth_log.level
        if quiet:
            keystoneauth_log.setLevel(logging.ERROR)
        try:
            self.app.prepare_to_run_command(self)
        except (ksa_exc.ConnectionError, ksa_exc.DiscoveryFailure) as exc:
            cause = negotiation.connection_cause(exc)
            if cause is None:
                raise
            raise negotiation.unreachable(cause) from exc
        finally:
            keystoneauth_log.setLevel(level)
