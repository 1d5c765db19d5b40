"""What the compute handlers share, as ``nova/api/openstack/common.py``
gives Nova's controllers: the instance lookup, the state and lock checks
of ``nova/compute/api.py``, and :func:`on_server`, the preamble of every
handler of one server's resources written once.

Nova checks a request in one order (``nova/api/openstack/wsgi.py`` up to
the controller, then ``common.get_instance`` and the policy): the query
and body schemas, then the server (404, also for another project's server:
``project_only=True``), then the policy (403), then the handler's own
checks. :func:`on_server` makes that order the only one a handler can have.
"""

import dataclasses
import functools
import hashlib

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.state import servers

MAX_LIMIT = 1000            # [api] max_limit
_STATE_MAP = {'active': 'ACTIVE', 'paused': 'PAUSED', 'stopped': 'SHUTOFF',
              'error': 'ERROR', 'building': 'BUILD',
              'suspended': 'SUSPENDED', 'resized': 'VERIFY_RESIZE'}


def status(server):
    """``common.status_from_state``: migrating shows MIGRATING whatever
    the vm_state (active or paused)."""
    if server['task_state'] == 'migrating':
        return 'MIGRATING'
    return _STATE_MAP.get(server['vm_state'], 'UNKNOWN')


def host_id(project_id, host):
    """Nova's ``utils.generate_hostid``."""
    if not host:
        return ''
    return hashlib.sha224((project_id + host).encode('utf-8')).hexdigest()


def get_instance(services, db, context, server_id, now):
    """``common.get_instance``: 404 unless visible to the caller; the row
    after any migration that has ended is settled."""
    server = servers.get(db, server_id)
    if server is None or (not context.is_admin
                          and server['project_id'] != context.project_id):
        raise faults.not_found(f'Instance {server_id} could not be found.')
    return servers.settled(db, server, now, services.notifier)


def check_lock(context, server):
    """``compute/api.py`` ``check_instance_lock``: admins pass a lock."""
    if server['locked'] and not context.is_admin:
        raise faults.conflict(f"Instance {server['uuid']} is locked")


def invalid_state(server_id, action, attribute, value):
    """``raise_http_conflict_for_instance_invalid_state``: a None value
    gets the generic text."""
    if value is None:
        return faults.conflict(f"Instance {server_id} is in an invalid "
                               f"state for '{action}'")
    return faults.conflict(f"Cannot '{action}' instance {server_id} while "
                           f"it is in {attribute} {value}")


def check_state(server, server_id, action, vm_states, task_states=(None,)):
    """``compute/api.py`` ``check_instance_state``, in its order."""
    if server['vm_state'] not in vm_states:
        raise invalid_state(server_id, action, 'vm_state',
                            server['vm_state'])
    if server['task_state'] not in task_states:
        raise invalid_state(server_id, action, 'task_state',
                            server['task_state'])
    if server['launched_at'] is None:
        raise invalid_state(server_id, action, 'launched_at', None)


def kept_fault(code, message):
    """An error answer that keeps what the request wrote before it (a
    migration found ended is settled, a failed conductor check recorded):
    returned by a handler, where a raised Fault rolls the transaction
    back."""
    return code, faults.fault_body(code, message)


def no_query_from(version):
    """A query check for :func:`on_server`: from microversion ``version``
    on, any query parameter is a 400 (2.102 made every API so)."""
    return lambda asked: validation.NO_QUERY if asked >= version else None


@dataclasses.dataclass(frozen=True)
class ServerCall:
    """A request on one server, past the preamble: the server row is
    settled and the caller allowed; ``db`` is the request's transaction
    and ``now`` its one virtual time."""

    services: object
    req: object
    context: object
    server_id: str
    server: object
    db: object
    now: float
    body: object

    def allowed(self, rule):
        """Whether the caller passes ``rule`` for this server."""
        return self.services.policy.allowed(rule, self.context,
                                            self.server['project_id'])


def on_server(policy, query=None, check_body=None):
    """Declare a handler of one server (``/servers/{server_id}...``).

    The handler is called with a :class:`ServerCall` (and the route's
    other arguments) after, in Nova's order: ``query(version)``, the query
    schema at the request's microversion or None for no check;
    ``check_body(context, body)``, which checks the request body and
    returns what the handler gets as ``call.body``; the server lookup;
    the ``policy`` rule, a name or a function of that checked body. The
    lookup, the handler and whatever it changes share one transaction:
    all or nothing (see :func:`kept_fault`).
    """
    def decorate(func):
        @functools.wraps(func)
        def handler(services, req, context, server_id, body=None, **args):
            if query is not None:
                schema = query(context.version)
                if schema is not None:
                    validation.validate_query(schema, req)
            checked = body if check_body is None else check_body(context,
                                                                 body)
            rule = policy(checked) if callable(policy) else policy
            now = services.store.now()
            with services.store.transaction() as db:
                server = get_instance(services, db, context, server_id, now)
                services.policy.authorize(rule, context,
                                          server['project_id'])
                return func(ServerCall(services, req, context, server_id,
                                       server, db, now, checked), **args)
        return handler
    return decorate
