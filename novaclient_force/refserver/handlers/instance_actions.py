"""``GET /servers/{id}/os-instance-actions[/{request_id}]``.

Sources: ``nova/api/openstack/compute/instance_actions.py``, its schemas
and the ``os-instance-actions`` samples. Keys per microversion: 2.51 gives
non-admins events (without ``traceback``), 2.58 adds ``updated_at`` and
paging, 2.62 ``hostId`` (and ``host`` for admins), 2.84 ``details`` for
admins. Lists are newest first.
"""

import urllib.parse

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import os_migrations, servers
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-instance-actions:%s'
MAX_LIMIT = 1000


def _action_view(context, row):
    body = {
        'action': row['action'], 'instance_uuid': row['instance_uuid'],
        'message': row['message'], 'project_id': row['project_id'],
        'request_id': row['request_id'],
        'start_time': store_mod.isotime(row['start_time']),
        'user_id': row['user_id'],
    }
    if context.version >= (2, 58):
        body['updated_at'] = store_mod.isotime(row['updated_at'])
    return body


def _event_view(context, row, project_id, allowed):
    body = {
        'event': row['event'],
        'start_time': store_mod.isotime(row['start_time']),
        'finish_time': store_mod.isotime(row['finish_time']),
        'result': row['result'],
    }
    if allowed('events'):
        body['traceback'] = row['traceback']
    if context.version >= (2, 62):
        body['hostId'] = servers.host_id(project_id, row['host'])
        if allowed('events'):
            body['host'] = row['host']
    if context.version >= (2, 84) and allowed('events:details'):
        body['details'] = row['details']
    return body


def _query_schema(version):
    """``schemas/instance_actions.py`` ``index_query_v258``/``v266``:
    each parameter once, nothing else (before 2.58 anything goes)."""
    props = {
        'limit': validation.single_param(validation.NON_NEGATIVE_INTEGER),
        'marker': validation.single_param({'type': 'string'}),
        'changes-since': validation.single_param(validation.DATE_TIME)}
    if version >= (2, 66):
        props['changes-before'] = validation.single_param(
            validation.DATE_TIME)
    return {'type': 'object', 'properties': props,
            'additionalProperties': False}


def index(services, req, context, server_id, body=None):
    params = req.GET
    limit = MAX_LIMIT
    if context.version >= (2, 58):
        validation.validate_query(_query_schema(context.version), req)
        if 'limit' in params:
            limit = min(int(params['limit']), MAX_LIMIT)
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        services.policy.authorize(POLICY % 'list', context,
                                  server['project_id'])
        rows = db.all('SELECT * FROM actions WHERE instance_uuid = ? '
                      'ORDER BY start_time DESC, id DESC', server['uuid'])
    marker = params.get('marker') if context.version >= (2, 58) else None
    if marker is not None:
        ids = [row['request_id'] for row in rows]
        if marker not in ids:
            raise faults.bad_request('Marker %s could not be found.'
                                     % marker)
        rows = rows[ids.index(marker) + 1:]
    if context.version >= (2, 58):
        rows = _changed(params, rows, context.version)
    page = rows[:limit]
    body = {'instanceActions': [_action_view(context, row) for row in page]}
    if context.version >= (2, 58) and page and len(page) == limit and (
            'limit' in params):
        query = dict(sorted(params.items()))
        query['marker'] = page[-1]['request_id']
        body['links'] = [{'rel': 'next', 'href': '%s/servers/%s/'
                          'os-instance-actions?%s' % (
                              context.links_base, server_id,
                              urllib.parse.urlencode(query))}]
    return 200, body


def _changed(params, rows, version):
    names = ['changes-since'] + (['changes-before'] if version >= (2, 66)
                                 else [])
    bounds = {name: os_migrations.parse_time(name, params[name])
              for name in names if name in params}
    low = bounds.get('changes-since', float('-inf'))
    high = bounds.get('changes-before', float('inf'))
    if low > high:
        raise faults.bad_request('The value of changes-since must be less '
                                 'than or equal to changes-before.')
    return [row for row in rows
            if low <= (row['updated_at'] or row['start_time']) <= high]


def show(services, req, context, server_id, request_id, body=None):
    if context.version >= (2, 102):
        # schemas/instance_actions.py ``show_query_v2102``.
        validation.validate_query(validation.NO_QUERY, req)
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        project_id = server['project_id']
        services.policy.authorize(POLICY % 'show', context, project_id)
        action = db.one('SELECT * FROM actions WHERE instance_uuid = ? AND '
                        'request_id = ?', server['uuid'], request_id)
        if action is None:
            raise faults.not_found('Action %s not found' % request_id)
        events = db.all('SELECT * FROM events WHERE action_id = ? '
                        'ORDER BY start_time DESC, id DESC', action['id'])

    def allowed(name):
        return services.policy.allowed(POLICY % name, context, project_id)

    body = _action_view(context, action)
    if context.version >= (2, 51) or allowed('events'):
        # ``InstanceActionsController.show``: hostId hashes each event's
        # host with the project of whoever started the action (the
        # server's only when that is unknown), so the events of an admin's
        # migration hash differently from the server's own hostId.
        hashed_with = action['project_id'] or project_id
        body['events'] = [_event_view(context, row, hashed_with, allowed)
                          for row in events]
    return 200, {'instanceAction': body}
