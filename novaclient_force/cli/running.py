"""A command's run: check, call the SDK under a progress line, report.

Whatever happens (a refused argument, an SDK error, SIGINT or SIGTERM at
any point) the run ends in a verdict.Report for the command to draw; only
what is not ours (a keystoneauth error, a bug) is left to the program's
own handler.
"""

import contextlib

from novaclient_force import exceptions, progress, signals, terminal
from novaclient_force.cli import checks, verdict


@contextlib.contextmanager
def until_drawn(*streams):
    """Hold SIGINT and SIGTERM until the report is drawn on ``streams``;
    the signals.Latch yielded is for run() and exit_code().

    The first signal interrupts the SDK call (run()); any other signal,
    and the first too when it comes before or after that call, waits
    until the report is written: a second SIGTERM (GNU timeout sends
    one to the command and one to its process group) must not kill the
    process while it writes its rows, which cliff does after take_action
    returns (``DisplayCommandBase.run``, cliff/display.py). The streams
    are flushed before the previous handlers come back: output buffered
    for a pipe would otherwise be written at exit, when a signal may
    kill the process first. After a signal, later ones are dropped until
    the process has exited (signals.latched's ``ending``).
    """
    with signals.latched(ending=True) as latch:
        yield latch
        for stream in streams:
            stream.flush()


def notes_after_rows(stdout, stderr, lines):
    """Write ``lines`` on stderr once the rows on stdout are out.

    On a terminal both streams are line-buffered and the rows come first;
    into one pipe or file (``2>&1``, a CI log) Python buffers stdout but
    not stderr, so without the flush the notes would come before the rows
    they are about.
    """
    stdout.flush()
    for line in lines:
        stderr.write(f'{terminal.printable(line)}\n')


def exit_code(report, latch):
    """128 + the first signal if one came (the report says so if it came
    during the SDK call), else the report's exit status."""
    if latch.signum is None:
        return report.exit_code
    return 128 + latch.signum


def run(stream, manager, latch, **arguments):
    """Check ``arguments`` (checks.checked), then force with the
    ServerMigrationsManager that ``manager()`` returns; a verdict.Report.

    ``manager()`` is called once the arguments are good, while the first
    signal ``latch`` (until_drawn) holds raises: ``openstack``
    authenticates there. A progress line is drawn on ``stream`` (when it
    is a terminal) while the SDK waits or a force policy watches.
    """
    try:
        request = checks.checked(**arguments)
    except exceptions.InvalidArgument as err:
        return verdict.of_error(err)
    display = None
    if request.wait or request.policy:
        display = progress.for_stream(stream)
    try:
        with latch.raised():
            outcomes = _force(manager(), request, display)
    except exceptions.Interrupted as stop:
        return verdict.of_interruption(stop, request.host)
    except signals.Signalled as stop:
        return verdict.of_signal(stop.signum)
    except exceptions.ForceCompleteError as err:
        return verdict.of_error(err)
    finally:
        if display is not None:
            display.close()
    return verdict.of_outcomes(outcomes, request)


def _force(migrations, request, display):
    """The Outcomes: one server's, or those of every live migration
    leaving a host (the SDK's own concurrency unless one was given)."""
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
