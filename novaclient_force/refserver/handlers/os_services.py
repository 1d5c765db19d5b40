"""``GET /os-services``: the compute services, one per scenario host.

Sources: ``nova/api/openstack/compute/services.py`` (``_get_services``,
``_get_service_detail``: the ``host`` and ``binary`` filters, ``id``
becoming the service UUID at 2.53, ``forced_down`` from 2.11),
``schemas/services.py`` (``index_query``; unknown parameters are a 400
from 2.75, ``index_query_v275``) and
``nova/policies/services.py`` (``os_compute_api:os-services:list`` is
admin-only). Only the ``nova-compute`` services of the scenario's hosts
are modelled: every one enabled, up, in zone ``nova``; that is what a
client needs to tell a compute host from a mistyped name.
"""

from novaclient_force.refserver.edge import validation
from novaclient_force.refserver.state import hosts, ids
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-services:list'
_NAMESPACE = ids.namespace('0b3c8d27-52f4-5c4e-9d59-6a3f4fb1b8a7')


def index(services, req, context, body=None):
    services.policy.authorize(POLICY, context, context.project_id)
    validation.validate_query({
        'type': 'object',
        'properties': {'host': {}, 'binary': {}},
        'additionalProperties': context.version < (2, 75)}, req)
    host = req.GET.get('host', '')
    binary = req.GET.get('binary', '')
    now = store_mod.isotime(services.store.now())
    found = []
    with services.store.transaction() as db:
        names = hosts.names(db)
    for number, name in enumerate(names, start=1):
        if host and name != host or binary and binary != 'nova-compute':
            continue
        service = {
            'id': number, 'binary': 'nova-compute', 'host': name,
            'zone': 'nova', 'status': 'enabled', 'state': 'up',
            'updated_at': now, 'disabled_reason': None}
        if context.version >= (2, 11):
            service['forced_down'] = False
        if context.version >= (2, 53):
            service['id'] = ids.name_uuid(_NAMESPACE, name)
        found.append(service)
    return 200, {'services': found}
