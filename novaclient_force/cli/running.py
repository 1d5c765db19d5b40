"""A command's run: check, call the SDK under a progress line, report.

Whatever happens (a refused argument, an SDK error, SIGINT or SIGTERM at
any point) the run ends in a verdict.Report for the command to draw; only
what is not ours (a keystoneauth error, a bug) is left to the program's
own handler.
"""

from novaclient_force import exceptions, progress, signals
from novaclient_force.cli import checks, verdict


def run(stream, manager, **arguments):
    """Check ``arguments`` (checks.checked), then force with the
    ServerMigrationsManager that ``manager()`` returns; a verdict.Report.

    ``manager()`` is called once the arguments are good, inside the
    signal handling: ``openstack`` authenticates there. A progress line
    is drawn on ``stream`` (when it is a terminal) while the SDK waits or
    a force policy watches.
    """
    try:
        request = checks.checked(**arguments)
    except exceptions.InvalidArgument as err:
        return verdict.of_error(err)
    display = None
    if request.wait or request.policy:
        display = progress.for_stream(stream)
    try:
        with signals.raised():
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
