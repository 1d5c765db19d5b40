"""Servers: list, list with details, show.

Sources: ``nova/api/openstack/compute/servers.py`` (``index``, ``detail``,
``_get_servers``, ``show``) and ``nova/compute/api.py`` (``API.get_all``).
The bodies are :mod:`.views.servers`'; the server actions are in
``pause_server``, ``lock_server`` and ``migrate_server``, as in Nova.
"""

import urllib.parse

from novaclient_force.refserver.edge import faults
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
