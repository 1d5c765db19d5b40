"""The compute hosts a drain names, and the servers on them.

A drain of a host with nothing leaving it says whether the host exists
(and, when it does not, which known hosts are close to the name typed);
its report names the servers it moved.
"""

import concurrent.futures
import difflib
import threading

from novaclient_force import (
    errors,
    exceptions,
    negotiation,
    resolve,
    terminal,
)

#: How many close host names an unknown-host error suggests.
CLOSE_MATCHES = 3


#: Seconds the name lookup's requests may take at most (a drain's own
#: deadline, when sooner, bounds them too), and seconds a drain that is
#: done waits for names still coming: names are a courtesy, and a hung
#: ``/servers`` must not hold the report.
NAMES_WITHIN = 30.0
NAMES_GRACE = 2.0


def server_names(compute, host, deadline=None):
    """{server UUID: name} for the servers on ``host``, for the report.

    One request per page of servers (``servers_links``); names are a
    courtesy, so a refusal (the ``host`` filter is admin-only) or a
    failure leaves them blank.
    """
    try:
        servers = resolve.pages(
            compute, '/servers', 'servers', negotiation.BASIC,
            {'host': host, 'all_tenants': '1'},
            errors.Context('find', server=f'servers on '
                           f'{terminal.printable(host)}'), deadline)
    except exceptions.ForceCompleteError:
        return {}
    return {s.get('id'): s.get('name', '') for s in servers}


def names_later(compute, host, deadline=None):
    """A Future of server_names(), looked up beside the drain.

    On a daemon thread, not the drain's pool: the pool is joined before
    the drain returns, and so would the process be at exit, while a name
    lookup still under way is abandoned (names_now). Its requests end by
    ``deadline``, or NAMES_WITHIN seconds from now if sooner.
    """
    names = concurrent.futures.Future()
    bound = compute.clock() + NAMES_WITHIN
    deadline = bound if deadline is None else min(deadline, bound)

    def look_up():
        try:
            names.set_result(server_names(compute, host, deadline))
        except Exception as exc:     # a bug: raised by names_now
            names.set_exception(exc)
    threading.Thread(target=look_up, name='server names',
                     daemon=True).start()
    return names


def names_now(names, wait=True):
    """The names a names_later() Future found, waiting NAMES_GRACE
    seconds at most (none when not ``wait``); {} if they are not there."""
    try:
        return names.result(timeout=NAMES_GRACE if wait else 0)
    except concurrent.futures.TimeoutError:
        return {}


def compute_hosts(compute, deadline=None):
    """The names of the cloud's compute hosts, or None if not readable.

    ``GET /os-services?binary=nova-compute``: its policy
    ``os_compute_api:os-services:list`` is admin-only by default
    (nova/policies/services.py), as are ``os-hypervisors``, ``os-hosts``
    and the availability-zone detail (nova/policies/hypervisors.py,
    hosts.py, availability_zone.py); a project manager's ``host`` filter
    on ``/servers`` is dropped (``servers:allow_all_filters`` is admin).
    So only an admin can tell a mistyped host from an idle one; asking
    costs one request, and only when nothing leaves the host.
    """
    if not resolve.is_admin(compute):
        return None
    try:
        body = compute.get_json(
            '/os-services', negotiation.BASIC,
            errors.Context('list compute hosts'),
            params={'binary': 'nova-compute'}, deadline=deadline)
    except exceptions.ForceCompleteError:
        return None
    return sorted({s.get('host') for s in body.get('services', ())
                   if s.get('host')})


def nothing_leaving(compute, host, deadline=None):
    """The one line for a host with nothing leaving it, or UnknownHost."""
    shown = terminal.printable(host)
    known = compute_hosts(compute, deadline)
    if known is None:
        why = ('the compute service list could not be read'
               if resolve.is_admin(compute) else 'only an admin can')
        return (f'No live migration leaving {shown} is visible to you '
                f'(whether the host exists was not checked: {why})')
    if host not in known:
        raise unknown(host, known)
    return f'No live migration is leaving {shown}'


def unknown(host, known):
    """UnknownHost for ``host``, naming the closest of the ``known``
    compute hosts (or some of them when none is close)."""
    close = difflib.get_close_matches(host, known, n=CLOSE_MATCHES)
    if close:
        hint = f'; did you mean {" or ".join(_shown(close))}?'
    else:
        hint = f'; known hosts: {", ".join(_shown(known[:10]))}'
    return exceptions.UnknownHost(
        f'No compute host is named {terminal.printable(host)}{hint}')


def _shown(names):
    return [terminal.printable(name) for name in names]
