"""``GET /os-migrations``: every migration, with filters and paging.

Sources: ``nova/api/openstack/compute/migrations.py``,
``schemas/migrations.py``, ``nova/db/main/api.py``
(``migration_get_all_by_filters``) and the ``os-migrations`` samples.
"""

import datetime
import urllib.parse

from oslo_utils import timeutils

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.state import lifecycle
from novaclient_force.refserver.state import store as store_mod

POLICY = 'os_compute_api:os-migrations:%s'
MAX_LIMIT = 1000
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
            "Invalid input for query parameters %s. Value: %s. %r is not a "
            "'date-time'" % (name, value, value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _params(req, version):
    schema = query_schema(version)
    validation.validate_query(schema, req)
    params = {name: req.GET[name] for name in schema['properties']
              if name in req.GET}
    if 'limit' in params:
        params['limit'] = min(int(params['limit']), MAX_LIMIT)
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
            path = '/servers/%s/migrations/%s' % (row['instance_uuid'],
                                                  row['id'])
            body['links'] = [
                {'rel': 'self', 'href': context.links_base + path},
                {'rel': 'bookmark', 'href': context.bookmark_base + path}]
    if version >= (2, 59):
        body['uuid'] = row['uuid']
    if version >= (2, 80):
        body['user_id'] = row['user_id']
        body['project_id'] = row['project_id']
    return body


#: A migration whose status is derived on read (a live migration still
#: running in the simulator: stored ``accepted``); every other row shows
#: what is stored, so SQL can filter it.
_DERIVED = '(m.final = 0 AND m.params IS NOT NULL)'


def _where(params):
    """The filters as SQL; what is derived on read (status, the update
    time of a running live migration) is only narrowed here, to rows that
    store it or derive it, and decided by :func:`_wanted`."""
    sql, args = 'm.hidden = 0', []
    if params.get('host'):
        sql += ' AND (m.source_compute = ? OR m.dest_compute = ?)'
        args += [params['host'], params['host']]
    elif params.get('source_compute'):
        sql += ' AND m.source_compute = ?'
        args.append(params['source_compute'])
    for name in ('migration_type', 'instance_uuid', 'user_id',
                 'project_id'):
        if params.get(name):
            sql += ' AND m.%s = ?' % name
            args.append(params[name])
    if params.get('status'):
        sql += ' AND (%s OR m.status = ?)' % _DERIVED
        args.append(params['status'])
    for name, compare in (('changes-since', '>='),
                          ('changes-before', '<=')):
        if name in params:
            sql += (' AND (%s OR COALESCE(m.updated_at, m.created_at) %s ?)'
                    % (_DERIVED, compare))
            args.append(params[name])
    return sql, args


def _rows(db, params, version, limit):
    """The filtered rows in Nova's order, after the marker, fetched a page
    at a time (keyset paging on the ordering's own index) until the
    caller has what it needs: a page costs the same in any cloud size."""
    where, args = _where(params)
    if version < (2, 59):
        yield from db.all('SELECT m.* FROM migrations m WHERE %s '
                          'ORDER BY m.id' % where, *args)
        return
    position = None
    if params.get('marker') is not None:
        position = db.one('SELECT m.created_at, m.id FROM migrations m '
                          'WHERE %s AND m.uuid = ?' % where, *args,
                          params['marker'])
        if position is None:
            raise faults.bad_request('Marker %s could not be found.'
                                     % params['marker'])
    while limit:
        sql, page_args = 'SELECT m.* FROM migrations m WHERE ' + where, args
        if position is not None:
            sql += (' AND (m.created_at < ? OR (m.created_at = ? AND '
                    'm.id < ?))')
            page_args = args + [position[0], position[0], position[1]]
        rows = db.all(sql + ' ORDER BY m.created_at DESC, m.id DESC '
                      'LIMIT ?', *page_args, limit)
        yield from rows
        if len(rows) < limit:
            return
        position = rows[-1]['created_at'], rows[-1]['id']


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
    services.policy.authorize(POLICY % 'index', context, context.project_id)
    if params.get('project_id') != context.project_id:
        services.policy.authorize(POLICY % 'index:all_projects', context,
                                  context.project_id)
    show_hosts = services.policy.allowed(POLICY % 'index:host', context,
                                         context.project_id)
    limit = params.get('limit', MAX_LIMIT if context.version >= (2, 59)
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
            'rel': 'next', 'href': '%s/os-migrations?%s' % (
                context.links_base, urllib.parse.urlencode(query))}]
    return 200, result
