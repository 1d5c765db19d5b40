"""The ``migrate``, ``confirmResize`` and ``revertResize`` server actions.

Sources: ``nova/api/openstack/compute/migrate_server.py`` (``_migrate``:
the ``host`` of 2.56+, the ``migrate`` and ``migrate:host`` policies, the
errors each exception becomes), ``schemas/migrate_server.py``
(``migrate``, ``migrate_v2_56``), ``nova/api/openstack/compute/
servers.py`` (``_confirm_resize``: 204; ``_revert_resize``: 202;
"Instance has not been resized." for a server without a ``finished``
migration), ``nova/compute/api.py`` (``resize``: lock, then vm_state
``active`` or ``stopped``; ``_validate_host_for_cold_migrate``;
``confirm_resize`` and ``revert_resize``: vm_state ``resized``) and
``nova/policies/servers.py``. The state changes are
:mod:`novaclient_force.refserver.state.cold_migrate`'s.
"""

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import cold_migrate, hosts, services

POLICY = 'os_compute_api:os-migrate-server:migrate'
_HOST = {'type': ['string', 'null'], 'pattern': '^[a-zA-Z0-9-._]*$',
         'minLength': 1, 'maxLength': 255}
_NO_VALID_HOST = ('No valid host was found. There are not enough hosts '
                  'available.')


#: ``schemas/migrate_server.py`` ``migrate``, checked from 2.56 (before
#: it the body is not checked and a host is ignored).
_SCHEMA = {'type': 'object', 'properties': {'migrate': {
    'type': ['object', 'null'], 'properties': {'host': _HOST},
    'additionalProperties': False}},
    'required': ['migrate'], 'additionalProperties': False}


def _asked(context, body):
    """The host asked for (2.56+), or None."""
    if context.version < (2, 56):
        return None
    validation.validate(_SCHEMA, {'migrate': body})
    return (body or {}).get('host')


def _policy(host):
    return POLICY + (':host' if host else '')


@common.on_server(_policy, check_body=_asked)
def migrate(call):
    """Cold-migrate: 202. Lock and state first (``check_instance_lock``,
    ``check_instance_state``), then a named host is checked (400), then
    the scheduler picks among enabled hosts; when none fits, the
    conductor's ``NoValidHost`` comes after the 202."""
    db, server, host = call.db, call.server, call.body
    common.check_lock(call.context, server)
    common.check_state(server, call.server_id, 'migrate',
                       ('active', 'stopped'))
    if host == server['host']:
        raise faults.bad_request(
            'Cannot migrate to the host where the server exists.')
    if host and not hosts.exists(db, host):
        raise faults.bad_request(f'Compute host {host} could not be found.')
    dest = services.schedule(db, server['host'], host)
    if dest is None:
        cold_migrate.no_valid_host(db, server, _NO_VALID_HOST, call.context,
                                   call.now)
    else:
        cold_migrate.migrate(db, server, dest, call.context, call.now)
    return 202, None


def _resized(call, action):
    """The server's ``finished`` migration; 409 unless it is ``resized``
    (checked first, by the decorator), 400 without one."""
    common.check_lock(call.context, call.server)
    common.check_state(call.server, call.server_id, action, ('resized',))
    migration = cold_migrate.awaiting(call.db, call.server['uuid'])
    if migration is None:
        raise faults.bad_request('Instance has not been resized.')
    return migration


# ``schemas/servers.py`` ``confirm_resize`` and ``revert_resize``: the
# action's value may be anything.
@common.on_server('os_compute_api:servers:confirm_resize')
def confirm_resize(call):
    migration = _resized(call, 'confirmResize')
    cold_migrate.confirm(call.db, call.server, migration, call.context,
                         call.now)
    return 204, None


@common.on_server('os_compute_api:servers:revert_resize')
def revert_resize(call):
    migration = _resized(call, 'revertResize')
    cold_migrate.revert(call.db, call.server, migration, call.context,
                        call.now)
    return 202, None
