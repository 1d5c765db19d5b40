"""The compute hosts a drain names, and the servers on them.

A drain of a host with nothing leaving it says whether the host exists
(and, when it does not, which known hosts are close to the name typed);
its report names the servers it moved.
"""

import concurrent.futures
import threading

from novaclient_force import (
    errors,
    exceptions,
    negotiation,
    resolve,
    terminal,
)

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
    """UnknownHost for ``host``, naming the one ``known`` compute host it
    looks like a typo of (or some of them when there is none)."""
    close = close_name(host, known)
    if close is not None:
        hint = f'; did you mean {terminal.printable(close)}?'
    else:
        hint = f'; known hosts: {", ".join(_shown(known[:10]))}'
    return exceptions.UnknownHost(
        f'No compute host is named {terminal.printable(host)}{hint}')


def _shown(names):
    return [terminal.printable(name) for name in names]


def close_name(name, known):
    """The one known host name that ``name`` looks like a typo of, or
    None.

    A typo is a few edits away (a character added, dropped, changed, or
    two swapped; one edit per four characters at most). Only a name
    strictly closer than every other one is suggested: ``compute-9`` is
    as close to ``compute-1`` as to ``compute-2``, and naming them all
    (or one at random) would be a guess, not a correction.
    """
    limit = max(1, len(name) // 4)
    distances = sorted((_edits(name, other), other) for other in known)
    if not distances or distances[0][0] > limit:
        return None
    if len(distances) > 1 and distances[1][0] == distances[0][0]:
        return None
    return distances[0][1]


def _edits(a, b):
    """The edits (insert, delete, substitute, swap two neighbours) that
    turn ``a`` into ``b`` (optimal string alignment distance)."""
    previous, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1,
                       row[j - 1] + (x != y))
            if (previous is not None and j > 1 and x == b[j - 2]
                    and a[i - 2] == y):
                cost = min(cost, previous[j - 2] + 1)
            current.append(cost)
        previous, row = row, current
    return row[-1]
