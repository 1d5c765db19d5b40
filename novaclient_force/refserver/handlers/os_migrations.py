"""``GET /os-migrations``: every migration, with filters and paging.

Sources: ``nova/api/openstack/compute/migrations.py``,
``schemas/migrations.py``, ``nova/db/main/api.py``
(``migration_get_all_by_filters``) and the ``os-migrations`` samples.
"""

import datetime
import urllib.parse

from oslo_utils import timeutils

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import lifecycle, migrations
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-migrations:'
_BASE_PARAMS = ('hidden', 'host', 'instance_uuid', 'source_compute',
                'status', 'migration_type')
_DATE_TIME = validation.single_param(validation.DATE_TIME)
_STRING = validation.single_param({'type': 'string'})


def query_schema(version):
    """``schemas/migrations.py`` ``index_query_v20`` .. ``v280``.

    The filters of 2.1 may repeat (``common_query_param``; the last value
    is used, as ``search_opts.update(req.GET)`` keeps it); what 2.59 and
    later added may be given once (``single_param``), so a repeated
    ``limit`` is a 400. Before 2.59 unknown names are allowed (and
    dropped), from 2.59 they are a 400.
    """
    props = {name: validation.multi_params({'type': 'string'})
             for name in _BASE_PARAMS}
    if version >= (2, 59):
        props.update({
            'limit': validation.single_param(
                validation.NON_NEGATIVE_INTEGER),
            'marker': _STRING, 'changes-since': _DATE_TIME})
    if version >= (2, 66):
        props['changes-before'] = _DATE_TIME
    if version >= (2, 80):
        props.update({'user_id': _STRING, 'project_id': _STRING})
    return {'type': 'object', 'properties': props,
            'additionalProperties': version < (2, 59)}


def parse_time(name, value):
    try:
        moment = timeutils.parse_isotime(value)
    except ValueError:
        raise faults.bad_request(
            f'Invalid input for query parameters {name}. Value: {value}. '
            f"{value!r} is not a 'date-time'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _params(req, version):
    schema = query_schema(version)
    validation.validate_query(schema, req)
    params = {name: req.GET[name] for name in schema['properties']
              if name in req.GET}
    if 'limit' in params:
        params['limit'] = min(int(params['limit']), common.MAX_LIMIT)
    for name in ('changes-since', 'changes-before'):
        if name in params:
            params[name] = parse_time(name, params[name])
    if params.get('changes-since', 0) > params.get('changes-before',
                                                   float('inf')):
        raise faults.bad_request('The value of changes-since must be less '
                                 'than or equal to changes-before.')
    return params


def view(context, observed, show_hosts):
    row, version = observed.row, context.version
    body = {
        'created_at': store_mod.isotime(row['created_at']),
        'id': row['id'], 'instance_uuid': row['instance_uuid'],
        'new_instance_type_id': row['new_instance_type_id'],
        'old_instance_type_id': row['old_instance_type_id'],
        'status': observed.status,
        'updated_at': store_mod.isotime(observed.updated_at),
    }
    for field in ('dest_compute', 'dest_host', 'dest_node',
                  'source_compute', 'source_node'):
        body[field] = row[field] if show_hosts else None
    if version >= (2, 23):
        body['migration_type'] = row['migration_type']
        if (row['migration_type'] == 'live-migration'
                and observed.in_progress):
            path = f"/servers/{row['instance_uuid']}/migrations/{row['id']}"
            body['links'] = [
                {'rel': 'self', 'href': context.links_base + path},
                {'rel': 'bookmark', 'href': context.bookmark_base + path}]
    if version >= (2, 59):
        body['uuid'] = row['uuid']
    if version >= (2, 80):
        body['user_id'] = row['user_id']
        body['project_id'] = row['project_id']
    return body


def _rows(db, params, version, limit):
    """The filtered rows in Nova's order, after the marker: by ID before
    2.59, newest first and a page at a time from 2.59."""
    if version < (2, 59):
        yield from migrations.filtered_by_id(db, params)
        return
    after = None
    if params.get('marker') is not None:
        after = migrations.position(db, params, params['marker'])
        if after is None:
            raise faults.bad_request(
                f"Marker {params['marker']} could not be found.")
    yield from migrations.filtered_newest_first(db, params, after, limit)


def _wanted(params, observed):
    if params.get('status') and observed.status != params['status']:
        return False
    updated = observed.updated_at or observed.row['created_at']
    if updated < params.get('changes-since', float('-inf')):
        return False
    return updated <= params.get('changes-before', float('inf'))


def index(services, req, context, body=None):
    """Nova's ``MigrationsController._index``: ``index:all_projects`` is
    required (a 403, not a narrower list) unless the query names the
    caller's own project (``project_id``, 2.80+); that filter matches the
    project of whoever started each migration (``migration_get_all_by_
    filters``), so a manager does not see the admin's migrations of its
    servers."""
    params = _params(req, context.version)
    services.policy.authorize(POLICY + 'index', context, context.project_id)
    if params.get('project_id') != context.project_id:
        services.policy.authorize(POLICY + 'index:all_projects', context,
                                  context.project_id)
    show_hosts = services.policy.allowed(POLICY + 'index:host', context,
                                         context.project_id)
    limit = params.get('limit', common.MAX_LIMIT if context.version >= (2, 59)
                       else None)
    now = services.store.now()
    found = []
    with services.store.transaction() as db:
        for row in _rows(db, params, context.version, limit):
            if limit is not None and len(found) >= limit:
                break
            observed = lifecycle.observe(db, row, now, services.notifier)
            if _wanted(params, observed):
                found.append(observed)
    result = {'migrations': [view(context, item, show_hosts)
                             for item in found]}
    if context.version >= (2, 59) and found and len(found) == limit:
        query = {k: v for k, v in sorted(req.GET.items())}
        query['marker'] = found[-1].row['uuid']
        result['migrations_links'] = [{
            'rel': 'next', 'href': f'{context.links_base}/os-migrations?'
                                   f'{urllib.parse.urlencode(query)}'}]
    return 200, result
