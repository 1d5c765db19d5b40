"""``GET /servers/{id}/os-instance-actions[/{request_id}]``.

Sources: ``nova/api/openstack/compute/instance_actions.py``, its schemas
and the ``os-instance-actions`` samples. Keys per microversion: 2.51 gives
non-admins events (without ``traceback``), 2.58 adds ``updated_at`` and
paging, 2.62 ``hostId`` (and ``host`` for admins), 2.84 ``details`` for
admins. Lists are newest first.
"""

import math
import urllib.parse

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common, os_migrations
from novaclient_force.refserver.state import actions, lifecycle
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-instance-actions:'


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
        body['hostId'] = common.host_id(project_id, row['host'])
        if allowed('events'):
            body['host'] = row['host']
    if context.version >= (2, 84) and allowed('events:details'):
        body['details'] = row['details']
    return body


def _query_schema(version):
    """``schemas/instance_actions.py`` ``index_query_v258``/``v266``:
    each parameter once, nothing else (before 2.58 anything goes)."""
    if version < (2, 58):
        return None
    props = {
        'limit': validation.single_param(validation.NON_NEGATIVE_INTEGER),
        'marker': validation.single_param({'type': 'string'}),
        'changes-since': validation.single_param(validation.DATE_TIME)}
    if version >= (2, 66):
        props['changes-before'] = validation.single_param(
            validation.DATE_TIME)
    return {'type': 'object', 'properties': props,
            'additionalProperties': False}


@common.on_server(f"{POLICY}list", query=_query_schema)
def index(call):
    params, context = call.req.GET, call.context
    paged = context.version >= (2, 58)
    limit = common.MAX_LIMIT
    if paged and 'limit' in params:
        limit = min(int(params['limit']), common.MAX_LIMIT)
    rows = actions.newest_first(call.db, call.server['uuid'])
    marker = params.get('marker') if paged else None
    if marker is not None:
        ids = [row['request_id'] for row in rows]
        if marker not in ids:
            return common.kept_fault(
                400, f'Marker {marker} could not be found.')
        rows = rows[ids.index(marker) + 1:]
    if paged:
        try:
            low, high = _bounds(params, context.version)
        except faults.Fault as fault:
            return common.kept_fault(fault.code, fault.message)
        if low > high:
            return common.kept_fault(
                400, 'The value of changes-since must be less than or '
                     'equal to changes-before.')
        rows = [row for row in rows
                if low <= (row['updated_at'] or row['start_time']) <= high]
    page = rows[:limit]
    body = {'instanceActions': [_action_view(context, row) for row in page]}
    if paged and page and len(page) == limit and 'limit' in params:
        query = dict(sorted(params.items()))
        query['marker'] = page[-1]['request_id']
        body['links'] = [{'rel': 'next', 'href': (
            f'{context.links_base}/servers/{call.server_id}/'
            f'os-instance-actions?{urllib.parse.urlencode(query)}')}]
    return 200, body


def _bounds(params, version):
    """The changes-since and changes-before times asked (2.58, 2.66)."""
    names = ['changes-since'] + (['changes-before'] if version >= (2, 66)
                                 else [])
    bounds = {name: os_migrations.parse_time(name, params[name])
              for name in names if name in params}
    return (bounds.get('changes-since', float('-inf')),
            bounds.get('changes-before', float('inf')))


@common.on_server(f"{POLICY}show", query=common.no_query_from((2, 102)))
def show(call, request_id):
    """2.102 rejects any query (``schemas/instance_actions.py``
    ``show_query_v2102``)."""
    action = actions.by_request(call.db, call.server['uuid'], request_id)
    if action is None:
        raise faults.not_found(f'Action {request_id} not found')
    # Newest first, as stored (start time, then ID) or still derived.
    events = sorted(
        [dict(row) for row in actions.events_newest_first(
            call.db, action['id'])] + lifecycle.pending_events(
            call.db, call.server['uuid'], action['id'], call.now),
        key=lambda row: (row['start_time'], row.get('id', math.inf)),
        reverse=True)

    def allowed(name):
        return call.allowed(POLICY + name)

    body = _action_view(call.context, action)
    if call.context.version >= (2, 51) or allowed('events'):
        # ``InstanceActionsController.show``: hostId hashes each event's
        # host with the project of whoever started the action (the
        # server's only when that is unknown), so the events of an admin's
        # migration hash differently from the server's own hostId.
        hashed_with = action['project_id'] or call.server['project_id']
        body['events'] = [_event_view(call.context, row, hashed_with,
                                      allowed)
                          for row in events]
    return 200, {'instanceAction': body}
