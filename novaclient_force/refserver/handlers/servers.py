"""Servers: list, list with details, show, rename.

Sources: ``nova/api/openstack/compute/servers.py`` (``index``, ``detail``,
``_get_servers``, ``show``, ``update``) and ``nova/compute/api.py``
(``API.get_all``, ``API.update_instance``).
The bodies are :mod:`.views.servers`'; the server actions are in
``pause_server``, ``lock_server`` and ``migrate_server``, as in Nova.
"""

import urllib.parse

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.handlers.views import servers as views
from novaclient_force.refserver.state import servers as servers_state


def _true(value):
    """oslo's ``bool_from_string(value, default=True)`` as Nova uses it
    for ``all_tenants``: an empty value means yes."""
    return value == '' or value.lower() in ('1', 't', 'true', 'on', 'y',
                                            'yes')


def _search(services, context, req, detail):
    params = req.GET
    kind = 'detail' if detail else 'index'
    services.policy.authorize(f'os_compute_api:servers:{kind}', context,
                              context.project_id)
    all_tenants = 'all_tenants' in params and _true(params['all_tenants'])
    if all_tenants:
        services.policy.authorize(
            f'os_compute_api:servers:{kind}:get_all_tenants', context,
            context.project_id)
        project = params.get('project_id') or params.get('tenant_id')
    else:
        project = context.project_id
    name = params.get('name')
    try:
        limit = min(int(params.get('limit', common.MAX_LIMIT)),
                    common.MAX_LIMIT)
    except ValueError:
        raise faults.bad_request('limit param must be an integer') from None
    if limit < 0:
        raise faults.bad_request('limit param must be positive')
    now = services.store.now()
    found = []
    with services.store.transaction() as db:
        after = None
        marker = params.get('marker')
        if marker is not None:
            after = servers_state.position(db, project, name, marker)
            if after is None:
                raise faults.bad_request(f'marker [{marker}] not found')
        for row in servers_state.newest_first(db, project, name, after,
                                              limit):
            if len(found) >= limit:
                break
            row = servers_state.settled(db, row, now, services.notifier)
            if params.get('status') and common.status(row) != params[
                    'status'].upper():
                continue
            if (params.get('host') and context.is_admin
                    and row['host'] != params['host']):
                continue
            found.append(row)
    return found, limit


def _page(context, req, items, limit, found):
    body = {'servers': items}
    if found and len(found) == limit:
        query = dict(req.GET)
        query.update(limit=str(limit), marker=found[-1]['uuid'])
        path = 'servers/detail' if req.path.endswith('/detail') else (
            'servers')
        body['servers_links'] = [{
            'rel': 'next',
            'href': f'{context.links_base}/{path}?'
                    f'{urllib.parse.urlencode(sorted(query.items()))}'}]
    return body


def index(services, req, context, body=None):
    found, limit = _search(services, context, req, detail=False)
    items = [views.basic(context, row) for row in found]
    return 200, _page(context, req, items, limit, found)


def detail(services, req, context, body=None):
    found, limit = _search(services, context, req, detail=True)
    # A rule's answer depends on the caller and the server's project
    # only: asked once per project, not once per server of the page.
    answers = {}

    def allowed(project_id):
        def check(name):
            if (name, project_id) not in answers:
                answers[name, project_id] = services.policy.allowed(
                    name, context, project_id)
            return answers[name, project_id]
        return check

    items = [views.show(context, row, allowed(row['project_id']),
                        listed=True)
             for row in found]
    return 200, _page(context, req, items, limit, found)


@common.on_server('os_compute_api:servers:show')
def show(call):
    return 200, {'server': views.show(call.context, call.server,
                                      call.allowed)}


# parameter_types.py ``name``.
_NAME = {'type': 'string', 'format': 'name', 'minLength': 1,
         'maxLength': 255}
#: What else Nova's ``update`` schemas accept, from the microversion
#: that added it; the reference server holds none of it, so asking for
#: it is refused rather than ignored.
_NOT_EMULATED = (('OS-DCF:diskConfig', (2, 1)), ('accessIPv4', (2, 1)),
                 ('accessIPv6', (2, 1)), ('description', (2, 19)),
                 ('hostname', (2, 90)),
                 ('pinned_availability_zone', (2, 104)))
#: Keys ``ViewBuilder.show`` leaves out of the answer to PUT before 2.75
#: (``update`` passes ``show_AZ=False`` and the like until then).
_BEFORE_275 = ('OS-EXT-AZ:', 'config_drive', 'key_name', 'OS-SRV-USG:',
               'security_groups', 'OS-EXT-SRV-ATTR:', 'OS-EXT-STS:',
               'os-extended-volumes:', 'host_status')


def _update_body(context, body):
    """Nova's ``update`` schema at the request's microversion (``update``,
    ``update_v219``, ``update_v290``, ``update_v294``, ``update_v2104``
    in ``schemas/servers.py``), then the refusal of what it accepts and
    this server does not hold."""
    known = [key for key, since in _NOT_EMULATED if context.version >= since]
    validation.validate({
        'type': 'object',
        'properties': {'server': {
            'type': 'object',
            'properties': {'name': _NAME, **dict.fromkeys(known, {})},
            'additionalProperties': False}},
        'required': ['server'], 'additionalProperties': False}, body)
    asked = [key for key in known if key in body['server']]
    if asked:
        raise faults.bad_request(
            "The reference server changes only a server's name; it does "
            f"not emulate {', '.join(asked)}")
    return body['server']


@common.on_server('os_compute_api:servers:update', check_body=_update_body)
def update(call):
    """``ServersController.update``: the new name, with no lock or state
    check and no instance action (``API.update_instance`` saves it); the
    hostname stays the one the server was created with."""
    server = call.server
    if 'name' in call.body:
        server = servers_state.rename(call.db, server, call.body['name'],
                                      call.now)
    body = views.show(call.context, server, call.allowed)
    if call.context.version < (2, 75):
        body = {key: value for key, value in body.items()
                if not key.startswith(_BEFORE_275)}
    return 200, {'server': body}
