"""The ``lock`` and ``unlock`` server actions.

Sources: ``nova/api/openstack/compute/lock_server.py``, its schema
``schemas/lock_server.py`` and ``nova/compute/api.py`` (``API.lock``,
``API.unlock``, ``is_expected_locked_by``).
"""

from novaclient_force.refserver.edge import validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import actions, live_migrate
from novaclient_force.refserver.state import servers as servers_state

POLICY = 'os_compute_api:os-lock-server:'
#: nova-api's ``CONF.host``: devstack runs it beside the conductor.
API_HOST = live_migrate.CONDUCTOR_HOST
# schemas/lock_server.py ``lock_v273``.
_LOCK_SCHEMA = {'type': 'object', 'properties': {'lock': {
    'type': ['object', 'null'], 'properties': {'locked_reason': {
        'type': 'string', 'minLength': 1, 'maxLength': 255}},
    'additionalProperties': False}},
    'required': ['lock'], 'additionalProperties': False}


def _reason(context, body):
    """2.73 accepts an optional ``locked_reason``; before, the body is
    not looked at."""
    if context.version < (2, 73):
        return None
    validation.validate(_LOCK_SCHEMA, {'lock': body})
    return (body or {}).get('locked_reason')


def _is_owner(context, server):
    """``compute/api.py``: the owner is anyone of the server's project."""
    return server['project_id'] == context.project_id


def _api_action(call, action):
    """The action gets one event, ``api_<action>``, on the API's host
    (``wrap_instance_event(prefix='api')``)."""
    action_id = actions.add_action(call.db, call.server['uuid'], action,
                                   call.context, call.now)
    actions.add_event(call.db, action_id, f'api_{action}', call.now,
                      API_HOST)


@common.on_server(POLICY + 'lock', check_body=_reason)
def lock(call):
    """Lock is allowed in any state (``lock_server.py``).

    ``compute/api.py`` ``API.lock``: a lock by the owner of a server that
    is already locked does nothing and records nothing; otherwise
    ``locked_by`` says ``owner`` or ``admin`` by project, not by role.
    """
    owner = _is_owner(call.context, call.server)
    if call.server['locked'] and owner:
        return 202, None
    servers_state.lock(call.db, call.server,
                       'owner' if owner else 'admin', call.body, call.now)
    _api_action(call, 'lock')
    return 202, None


@common.on_server(POLICY + 'unlock')
def unlock(call):
    """``lock_server.py`` ``_unlock``: ``unlock_override`` is needed when
    the lock was not set by the caller's side (``is_expected_locked_by``)."""
    expected = 'owner' if _is_owner(call.context, call.server) else 'admin'
    if call.server['locked_by'] not in (None, expected):
        call.services.policy.authorize(
            POLICY + 'unlock:unlock_override', call.context,
            call.server['project_id'])
    servers_state.unlock(call.db, call.server, call.now)
    _api_action(call, 'unlock')
    return 202, None
