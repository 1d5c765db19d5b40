"""The arguments of both commands, checked before anything is sent.

``openstack`` runs these before it authenticates, so a typo costs no token
request; ``nova`` authenticates before any command runs
(novaclient/shell.py ``OpenStackComputeShell.main``) and, after a refusal
here, sends nothing more.
"""

import dataclasses
import math
import re
import typing

from novaclient_force import arguments, exceptions

_INTEGER = re.compile(r'[0-9]+')


@dataclasses.dataclass(frozen=True)
class Request:
    """The checked arguments: what the operator asked for."""

    server: typing.Optional[str] = None
    migration: typing.Union[int, str, None] = None
    host: typing.Optional[str] = None
    wait: bool = False
    timeout: typing.Optional[float] = None
    concurrency: typing.Optional[int] = None
    stalled_after: typing.Optional[float] = None
    force_after: typing.Optional[float] = None
    auto: bool = False

    @property
    def policy(self):
        """The SDK keyword arguments of the force policy, if any."""
        found = {name: getattr(self, name)
                 for name in ('stalled_after', 'force_after')
                 if getattr(self, name) is not None}
        if self.auto:
            found['auto'] = True
        return found

    @property
    def shows_rows(self):
        """Upstream prints nothing; with --wait or --host there are
        outcomes worth a row each."""
        return self.wait or self.host is not None


def checked(server=None, migration=None, host=None, wait=False,
            timeout=None, concurrency=None, max_concurrency=None,
            stalled_after=None, force_after=None, all_projects=False,
            auto=False):
    """A Request, or InvalidArgument naming the option at fault.

    Values are as typed (text), except a ``timeout`` that the program has
    already read as a number (``nova``'s own first pass does).
    ``max_concurrency`` is the command's limit on ``--concurrency``.
    """
    if host is not None:
        if server is not None:
            raise _usage('--host cannot be combined with <server>: it acts '
                          'on every live migration leaving the host')
        if not host.strip():
            raise _usage('--host must name a compute host')
        if all_projects:
            raise _usage('--all-projects applies only to <server>: --host '
                         'already covers every project')
    elif server is None:
        raise _usage('give a <server>, or --host <host> to force every '
                     'live migration leaving that host')
    elif not server.strip():
        raise _usage('<server> must be a server name or ID')
    if concurrency is not None and host is None:
        raise _usage('--concurrency applies only with --host')
    arguments.timeout_needs_wait(timeout, wait)
    return Request(
        server=server,
        migration=arguments.migration(migration),
        host=host,
        wait=wait,
        timeout=positive_seconds('--timeout', timeout),
        concurrency=_concurrency(concurrency, max_concurrency),
        stalled_after=arguments.threshold('--stalled-after', stalled_after),
        force_after=arguments.threshold('--force-after', force_after),
        auto=bool(auto),
    )


def _usage(message):
    return exceptions.InvalidArgument(message)


def positive_seconds(option, value):
    """``value`` typed for ``option`` as seconds (None if not given), or
    InvalidArgument naming the option."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _usage(f'{option} must be a positive number of seconds, '
                     f'not {value!r}')
    return arguments.timeout_in_range(seconds, option)


def _concurrency(text, maximum):
    if text is None:
        return None
    value = int(text) if _INTEGER.fullmatch(text.strip()) else 0
    if not 1 <= value <= maximum:
        raise _usage(f'--concurrency must be a whole number from 1 to '
                     f'{maximum}, not {text!r}')
    return value
