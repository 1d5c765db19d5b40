"""The arguments of ``openstack server migration force complete``, checked.

Imported when the command runs, not when ``openstack`` loads the command
module (which it does on every run, for every command): see
``force_complete``.
"""

import dataclasses
import math
import re
import typing

from novaclient_force import arguments, exceptions
from novaclient_force.osc.v2.force_complete import MAX_CONCURRENCY

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
