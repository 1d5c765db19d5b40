"""``GET /os-services`` and ``PUT /os-services/{service_id}`` (2.53+):
the compute services, one per scenario host, and their enabling and
disabling.

Sources: ``nova/api/openstack/compute/services.py`` (``_get_services``,
``_get_service_detail``: the ``host`` and ``binary`` filters, ``id``
becoming the service UUID at 2.53, ``forced_down`` from 2.11;
``_update_v253``: the UUID check, the policy, the lookup, the
``disabled_reason`` rules), ``schemas/services.py`` (``index_query``;
unknown parameters are a 400 from 2.75, ``index_query_v275``;
``update_v253``) and ``nova/policies/services.py``
(``os_compute_api:os-services:list`` and ``:update`` are admin-only).
Only the ``nova-compute`` services of the scenario's hosts are modelled,
each up, in zone ``nova``, enabled until disabled. Before 2.53 Nova
addresses a service by host and binary on ``PUT /os-services/disable``
and ``enable``; those are not modelled (the route starts at 2.53).
"""

import dataclasses

from oslo_utils import uuidutils

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.state import services as services_state
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-services:list'
UPDATE_POLICY = 'os_compute_api:os-services:update'
#: ``schemas/services.py`` ``update_v253``: no field is required.
_UPDATE = {
    'type': 'object',
    'properties': {
        'status': {'type': 'string', 'enum': ['enabled', 'disabled']},
        'disabled_reason': {'type': 'string', 'minLength': 1,
                            'maxLength': 255},
        'forced_down': validation.BOOLEAN,
    },
    'additionalProperties': False,
}


def _detail(service, context, now):
    """``_get_service_detail``, with ``forced_down`` from 2.11."""
    detail = {
        'id': service.uuid if context.version >= (2, 53)
        else service.number,
        'binary': 'nova-compute', 'host': service.host, 'zone': 'nova',
        'status': 'disabled' if service.disabled else 'enabled',
        'state': 'up', 'updated_at': store_mod.isotime(now),
        'disabled_reason': service.disabled_reason}
    if context.version >= (2, 11):
        detail['forced_down'] = service.forced_down
    return detail


def index(services, req, context, body=None):
    services.policy.authorize(POLICY, context, context.project_id)
    validation.validate_query({
        'type': 'object',
        'properties': {'host': {}, 'binary': {}},
        'additionalProperties': context.version < (2, 75)}, req)
    host = req.GET.get('host', '')
    binary = req.GET.get('binary', '')
    now = services.store.now()
    with services.store.transaction() as db:
        every = services_state.every(db)
    found = [_detail(service, context, now) for service in every
             if not (host and service.host != host
                     or binary and binary != 'nova-compute')]
    return 200, {'services': found}


def update(services, req, context, service_id, body=None):
    """``_update_v253``: the body schema, then a UUID (400), the policy
    (403), the service (404), then the change; 200 with the service."""
    validation.validate(_UPDATE, body)
    if not uuidutils.is_uuid_like(service_id):
        raise faults.bad_request(f'Invalid uuid {service_id}')
    services.policy.authorize(UPDATE_POLICY, context, context.project_id)
    now = services.store.now()
    with services.store.transaction() as db:
        service = services_state.by_uuid(db, service_id.lower())
        if service is None:
            raise faults.not_found(
                f'Service {service_id} could not be found.')
        changed = service
        if 'status' in body:
            if body['status'] == 'enabled':
                if body.get('disabled_reason'):
                    raise faults.bad_request(
                        "Specifying 'disabled_reason' with status "
                        "'enabled' is invalid.")
                changed = dataclasses.replace(
                    changed, disabled=False, disabled_reason=None)
            else:
                changed = dataclasses.replace(
                    changed, disabled=True,
                    disabled_reason=body.get('disabled_reason'))
        if 'forced_down' in body:
            changed = dataclasses.replace(
                changed, forced_down=validation.as_bool(body['forced_down']))
        # ``obj_what_changed``: a field set, even to the value it had,
        # counts as changed in Nova; only an empty update is refused.
        if 'status' not in body and 'forced_down' not in body:
            raise faults.bad_request(
                "No updates were requested. Fields 'status' or "
                "'forced_down' should be specified.")
        services_state.save(db, changed, now)
    return 200, {'service': _detail(changed, context, now)}
