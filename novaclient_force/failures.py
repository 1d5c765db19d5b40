"""Why a live migration failed, and where it left the server.

Nova ends a failed live migration two ways (nova/compute/manager.py):

* ``failed``: ``_rollback_live_migration`` puts the server back, ACTIVE,
  on its source host (the libvirt job failed, or pre_live_migration did
  on the destination);
* ``error``: ``driver.live_migration`` raised, and ``_do_live_migration``
  sets the migration ``error`` and the server's vm_state ERROR
  (``_set_instance_obj_error_state``), still on the source, with no
  rollback: it needs an operator.

So the reason says where the server is and in what state (one read of the
server, only on this failure path), then what failed, in Nova's words:
the ``details`` of each Error event of the live-migration and
force-complete actions (``EventReporter`` stores the exception's message
there; microversion 2.84+, and admin-only under the default policy
``os_compute_api:os-instance-actions:events:details``,
nova/policies/instance_actions.py). When the caller's role cannot see
them the reason says so; below 2.84 the exception line of the traceback
(itself admin-only, ``...:events``) stands in.
"""

import re

from novaclient_force import errors, exceptions, negotiation, terminal

DETAILS_POLICY = 'os_compute_api:os-instance-actions:events:details'
# The "module.Error: message" line of a Python traceback.
_EXCEPTION_LINE = re.compile(r'^[A-Za-z_][\w.]*(Error|Exception|Failure|'
                             r'Timeout|Fault)\w*: ')


def actions(compute, server_ref, deadline=None):
    body = compute.get_json(
        f'/servers/{server_ref.id}/os-instance-actions', negotiation.BASIC,
        errors.Context('instance actions', server=server_ref.label),
        deadline=deadline)
    return body.get('instanceActions', [])


def events(compute, server_ref, request_id, deadline=None):
    """(events of one action, whether ``details`` could have been sent).

    Asked at 2.84 where the cloud has it, so Nova may include each
    event's error message; an older cloud (or a pin below 2.84) is asked
    at the basic version instead.
    """
    path = f'/servers/{server_ref.id}/os-instance-actions/{request_id}'
    context = errors.Context('instance action', server=server_ref.label)
    try:
        body = compute.get_json(path, negotiation.EVENT_DETAILS, context,
                                deadline=deadline)
        with_details = True
    except (exceptions.CloudTooOld, exceptions.VersionPinnedTooLow):
        body = compute.get_json(path, negotiation.BASIC, context,
                                deadline=deadline)
        with_details = False
    return body.get('instanceAction', {}).get('events') or [], with_details


def latest(action_list, name):
    return next((a for a in action_list if a.get('action') == name), None)


def whereabouts(server, source=None):
    """Where the server is after a failed migration, and in what state.

    ``server`` is the server's body; its host is shown only to admins
    (OS-EXT-SRV-ATTR:host), ``source`` is the migration's source host.
    """
    state = (server.get('status') or '').upper()
    host = server.get('OS-EXT-SRV-ATTR:host')
    place = ''
    if host:
        place = f' on {terminal.printable(host)}'
        if host == source:
            place += ', its source host'
    if state == 'ERROR':
        joint = ', and' if host == source else ' and'
        return (f'the server is in ERROR{place}{joint} needs an operator '
                '(Nova leaves it so when the hypervisor driver fails)')
    shown = state or 'in an unknown state'
    if host and host == source:
        return (f'the server is back on its source host '
                f'{terminal.printable(host)}, {shown}')
    if not host:
        return (f'the server is {shown} (Nova rolls a failed live '
                'migration back to the source host)')
    return f'the server is {shown}{place}'


def error_events(compute, server_ref, deadline=None):
    """What each Error event of the latest live migration and
    force-complete says (empty when Nova recorded none)."""
    found = []
    action_list = actions(compute, server_ref, deadline)
    for name in ('live-migration', 'live_migration_force_complete'):
        action = latest(action_list, name)
        if action is None:
            continue
        listed, with_details = events(compute, server_ref,
                                      action['request_id'], deadline)
        found.extend(describe(event, with_details) for event in listed
                     if event.get('result') == 'Error')
    return found


def describe(event, with_details=True):
    """One Error event in a few words, with Nova's message where shown."""
    name = terminal.printable(str(event.get('event')))
    details = event.get('details')
    if details:
        return f'{name} failed: {_one_line(details)}'
    if with_details and 'details' not in event:
        return (f'{name} failed (Nova\'s error message is not shown to your '
                f'role: policy {DETAILS_POLICY}, admin-only by default)')
    lines = [line.strip() for line in (event.get('traceback') or '')
             .splitlines() if _EXCEPTION_LINE.match(line.strip())]
    if lines:
        return f'{name} failed: {_one_line(lines[-1])}'
    return f'{name} failed'


def reason(compute, server_ref, source=None, deadline=None, server=None):
    """Where the failed migration left the server, then what failed.

    ``server``: the server's body if already read. A transient failure is
    raised (the wait loop retries the whole reading); any other leaves
    the reason short and says why.
    """
    parts = []
    try:
        if server is None:
            server = _read_server(compute, server_ref, deadline)
        if server:
            parts.append(whereabouts(server, source))
        parts.extend(error_events(compute, server_ref, deadline)
                     or ['Nova recorded no error event'])
    except exceptions.ForceCompleteError as exc:
        if exc.transient:
            raise
        parts.append(f'the reason could not be read ({exc})')
    return '; '.join(parts)


def _read_server(compute, server_ref, deadline):
    return compute.get_json(
        f'/servers/{server_ref.id}', negotiation.BASIC,
        errors.Context('show server', server=server_ref.label),
        deadline=deadline).get('server', {})


def server_body(compute, server_ref, deadline=None):
    """The server's body, or {} when it cannot be read (a transient
    failure is raised, for the wait loop to retry)."""
    try:
        return _read_server(compute, server_ref, deadline)
    except exceptions.ForceCompleteError as exc:
        if exc.transient:
            raise
        return {}


def _one_line(text):
    return terminal.printable(' '.join(str(text).split()))
