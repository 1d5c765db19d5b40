"""The ``os-migrateLive`` server action.

Sources: ``nova/api/openstack/compute/migrate_server.py``
(``_migrate_live``), its schemas ``schemas/migrate_server.py`` and
``nova/compute/api.py`` (``API.live_migrate``); the conductor's part is
:mod:`novaclient_force.refserver.state.live_migrate`.
"""

import dataclasses

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import hosts, live_migrate

POLICY = 'os_compute_api:os-migrate-server:migrate_live'
# schemas/migrate_server.py ``host``: parameter_types.fqdn, keys in
# its order (jsonschema reports the first failing keyword).
_HOST = {'type': ['string', 'null'], 'pattern': '^[a-zA-Z0-9-._]*$',
         'minLength': 1, 'maxLength': 255}


def _schema(version):
    """``schemas/migrate_server.py`` per microversion, properties and
    required names in Nova's order."""
    if version < (2, 25):
        props = {'block_migration': validation.BOOLEAN,
                 'disk_over_commit': validation.BOOLEAN, 'host': _HOST}
        required = ['block_migration', 'disk_over_commit', 'host']
    else:
        props = {'block_migration': {
            'type': ['boolean', 'string'],
            'enum': validation.BOOLEAN['enum'] + ['auto']}, 'host': _HOST}
        required = ['block_migration', 'host']
    if (2, 30) <= version < (2, 68):
        props['force'] = validation.BOOLEAN
    return {'type': 'object', 'properties': {'os-migrateLive': {
        'type': 'object', 'properties': props, 'required': required,
        'additionalProperties': False}},
        'required': ['os-migrateLive'], 'additionalProperties': False}


@dataclasses.dataclass(frozen=True)
class _Asked:
    host: str | None
    force: bool | None
    block: object


def _asked(context, body):
    """The checked body. ``force`` is None before 2.30, then False unless
    given (2.30-2.67); from 2.68 it is gone, so always False."""
    validation.validate(_schema(context.version), {'os-migrateLive': body})
    host = body.get('host')
    force = None
    if context.version >= (2, 30):
        force = validation.as_bool(body.get('force', False))
    if force and not host:
        raise faults.bad_request("Can't force to a non-provided destination")
    return _Asked(host, force, body.get('block_migration'))


def _policy(asked):
    """``_migrate_live``: one rule, ``:host`` when a host is named, the
    plain one otherwise."""
    return POLICY + (':host' if asked.host else '')


@common.on_server(_policy, check_body=_asked)
def migrate_live(call):
    """os-migrateLive: 202, then the migration runs on its own.

    A host that is no compute host is a 400 at every microversion, before
    anything is recorded (``compute/api.py`` ``live_migrate`` looks it up
    first: ``ComputeHostNotFound``). Any other refusal comes from the
    conductor's checks (``live_migrate.destination``), after the API has
    recorded the ``live-migration`` action and the conductor has created
    the migration: the migration ends ``error`` and the server stays as it
    was. Before 2.34 the API waited for the conductor and answers 400 with
    its message; from 2.34 the checks are asynchronous and the API has
    already answered 202.
    """
    db, server, context, asked = call.db, call.server, call.context, call.body
    common.check_lock(context, server)
    common.check_state(server, call.server_id, 'os-migrateLive',
                       ('active', 'paused'))
    if asked.host and not hosts.exists(db, asked.host):
        raise faults.bad_request(
            f'Compute host {asked.host} could not be found.')
    # compute/api.py: without ``force`` a named host is only a hint
    # for the scheduler; the conductor gets no host at all.
    forced_host = asked.host if asked.force is not False else None
    dest, problem = live_migrate.destination(db, server, asked.host,
                                             forced_host)
    # The conductor is cast to from 2.34 and called before.
    synchronous = context.version < (2, 34)
    conductor_event = (live_migrate.CONDUCTOR_EVENT_BEFORE_2_34
                       if synchronous else live_migrate.CONDUCTOR_EVENT)
    if not problem:
        block = asked.block == 'auto' or validation.as_bool(asked.block)
        params = live_migrate.build_params(db, server, dest, block)
        live_migrate.start(db, server, dest, params, context, call.now,
                           conductor_event)
        call.services.notifier.migration_started(db, server, dest, context,
                                                 call.now)
        return 202, None
    live_migrate.fail_prechecks(db, server, forced_host, problem,
                                conductor_event, context, call.now)
    if synchronous:
        return common.kept_fault(400, problem)
    return 202, None
