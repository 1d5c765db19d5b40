"""Servers: list, show, and the actions live migration needs.

Sources: ``nova/api/openstack/compute/servers.py``, ``views/servers.py``,
``migrate_server.py``, ``pause_server.py``, ``lock_server.py``,
``nova/api/openstack/common.py`` (``_STATE_MAP``, ``get_instance``) and
``nova/compute/api.py`` (``check_instance_lock``, ``check_instance_state``).
Another project's server is a 404, never a 403 (``project_only=True``).
"""

import hashlib
import urllib.parse

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.state import flavors, lifecycle
from novaclient_force.refserver.state import store as store_mod

MAX_LIMIT = 1000            # [api] max_limit
_STATUS = {'active': 'ACTIVE', 'paused': 'PAUSED', 'stopped': 'SHUTOFF',
           'error': 'ERROR', 'building': 'BUILD', 'suspended': 'SUSPENDED'}
#: nova-api's ``CONF.host``: devstack runs it beside the conductor.
API_HOST = lifecycle.CONDUCTOR_HOST
_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE',
                      'VERIFY_RESIZE', 'MIGRATING')
# schemas/migrate_server.py ``host``: parameter_types.fqdn, keys in
# its order (jsonschema reports the first failing keyword).
_HOST = {'type': ['string', 'null'], 'pattern': '^[a-zA-Z0-9-._]*$',
         'minLength': 1, 'maxLength': 255}


# schemas/lock_server.py ``lock_v273``.
_LOCK_SCHEMA = {'type': 'object', 'properties': {'lock': {
    'type': ['object', 'null'], 'properties': {'locked_reason': {
        'type': 'string', 'minLength': 1, 'maxLength': 255}},
    'additionalProperties': False}},
    'required': ['lock'], 'additionalProperties': False}


def status(server):
    """Nova's ``_STATE_MAP``: migrating shows MIGRATING whatever the
    vm_state (active or paused)."""
    if server['task_state'] == 'migrating':
        return 'MIGRATING'
    return _STATUS.get(server['vm_state'], 'UNKNOWN')


def refresh(services, db, server, now):
    """The server row after settling any migration that has ended."""
    if server['active_migration'] is None:
        return server
    row = db.one('SELECT * FROM migrations WHERE id = ?',
                 server['active_migration'])
    # Only a migration ending now changes the server (host, states).
    if row is None or not lifecycle.observe(
            db, row, now, services.notifier).row['final']:
        return server
    return db.one('SELECT * FROM servers WHERE uuid = ?', server['uuid'])


def get_instance(services, db, context, server_id, now):
    """Nova's ``common.get_instance``: 404 unless visible to the caller."""
    server = db.one('SELECT * FROM servers WHERE uuid = ?', server_id)
    if server is None or (not context.is_admin
                          and server['project_id'] != context.project_id):
        raise faults.not_found('Instance %s could not be found.'
                               % server_id)
    return refresh(services, db, server, now)


def _links(context, server_id):
    return [
        {'rel': 'self',
         'href': '%s/servers/%s' % (context.links_base, server_id)},
        {'rel': 'bookmark',
         'href': '%s/servers/%s' % (context.bookmark_base, server_id)},
    ]


def host_id(project_id, host):
    """Nova's ``utils.generate_hostid``."""
    if not host:
        return ''
    return hashlib.sha224((project_id + host).encode('utf-8')).hexdigest()


def _flavor(context, server):
    flavor = flavors.for_memory(server['memory_bytes'])
    if context.version >= (2, 47):
        return {'vcpus': flavor.vcpus, 'ram': flavor.ram,
                'disk': flavor.disk, 'ephemeral': 0, 'swap': 0,
                'original_name': flavor.name, 'extra_specs': {}}
    return {'id': str(flavor.id), 'links': [{
        'rel': 'bookmark',
        'href': '%s/flavors/%s' % (context.bookmark_base, flavor.id)}]}


def view(context, server, allowed, listed=False):
    """One server, keys per microversion and role (``views/servers.py``,
    ``ViewBuilder.show``); ``listed`` for the entries of servers/detail,
    which never carry ``server_groups``."""
    v = context.version
    shown = status(server)
    body = {
        'id': server['uuid'], 'name': server['name'], 'status': shown,
        'tenant_id': server['project_id'], 'user_id': server['user_id'],
        'metadata': {}, 'hostId': host_id(server['project_id'],
                                          server['host']),
        'image': '', 'flavor': _flavor(context, server),
        'created': store_mod.zulu(server['created']),
        'updated': store_mod.zulu(server['updated']),
        'addresses': {}, 'accessIPv4': '', 'accessIPv6': '',
        'links': _links(context, server['uuid']),
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': 'nova', 'config_drive': '',
        'key_name': None,
        'OS-SRV-USG:launched_at': store_mod.isotime(server['launched_at']),
        'OS-SRV-USG:terminated_at': None,
        'OS-EXT-STS:task_state': server['task_state'],
        'OS-EXT-STS:vm_state': server['vm_state'],
        'OS-EXT-STS:power_state': server['power_state'],
        'os-extended-volumes:volumes_attached': [],
        'security_groups': [{'name': 'default'}],
    }
    if shown in _PROGRESS_STATUSES:
        body['progress'] = 0
    if allowed('os_compute_api:os-extended-server-attributes'):
        body['OS-EXT-SRV-ATTR:host'] = server['host']
        body['OS-EXT-SRV-ATTR:hypervisor_hostname'] = server['node']
        body['OS-EXT-SRV-ATTR:instance_name'] = (
            'instance-%08x' % (int(server['uuid'][:8], 16) % 2 ** 32))
        if v >= (2, 3):
            body.update({
                'OS-EXT-SRV-ATTR:hostname': server['name'],
                'OS-EXT-SRV-ATTR:reservation_id': 'r-' + server['uuid'][:8],
                'OS-EXT-SRV-ATTR:launch_index': 0,
                'OS-EXT-SRV-ATTR:kernel_id': '',
                'OS-EXT-SRV-ATTR:ramdisk_id': '',
                'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
                'OS-EXT-SRV-ATTR:user_data': None})
    elif v >= (2, 90):
        # 2.90 shows everyone the hostname, the one extended attribute
        # that is not admin-only; host and node stay hidden.
        body['OS-EXT-SRV-ATTR:hostname'] = server['name']
    if v >= (2, 9):
        body['locked'] = bool(server['locked'])
    if v >= (2, 16) and allowed('os_compute_api:servers:show:host_status'):
        body['host_status'] = 'UP'
    if v >= (2, 19):
        body['description'] = None
    if v >= (2, 26):
        body['tags'] = []
    if v >= (2, 63):
        body['trusted_image_certificates'] = None
    if v >= (2, 71) and not listed:
        body['server_groups'] = []
    if v >= (2, 73):
        body['locked_reason'] = server['locked_reason']
    if v >= (2, 96):
        body['pinned_availability_zone'] = None
    if v >= (2, 100):
        body['scheduler_hints'] = {}
    return body


def _allowed(services, context, project_id):
    return lambda name: services.policy.allowed(name, context, project_id)


def _true(value):
    """oslo's ``bool_from_string(value, default=True)`` as Nova uses it
    for ``all_tenants``: an empty value means yes."""
    return value == '' or value.lower() in ('1', 't', 'true', 'on', 'y',
                                            'yes')


def _search(services, context, req, detail):
    params = req.GET
    kind = 'detail' if detail else 'index'
    services.policy.authorize('os_compute_api:servers:%s' % kind, context,
                              context.project_id)
    all_tenants = 'all_tenants' in params and _true(params['all_tenants'])
    if all_tenants:
        services.policy.authorize(
            'os_compute_api:servers:%s:get_all_tenants' % kind, context,
            context.project_id)
    where, args = '1 = 1', []
    project = params.get('project_id') or params.get('tenant_id')
    if not all_tenants:
        where += ' AND project_id = ?'
        args.append(context.project_id)
    elif project:
        where += ' AND project_id = ?'
        args.append(project)
    if params.get('name'):
        where += ' AND name REGEXP ?'
        args.append(params['name'])
    try:
        limit = min(int(params.get('limit', MAX_LIMIT)), MAX_LIMIT)
    except ValueError:
        raise faults.bad_request('limit param must be an integer') from None
    if limit < 0:
        raise faults.bad_request('limit param must be positive')
    now = services.store.now()
    found = []
    with services.store.transaction() as db:
        for row in _rows(db, where, args, params.get('marker'), limit):
            if len(found) >= limit:
                break
            row = refresh(services, db, row, now)
            if params.get('status') and status(row) != params[
                    'status'].upper():
                continue
            if (params.get('host') and context.is_admin
                    and row['host'] != params['host']):
                continue
            found.append(row)
    return found, limit


def _rows(db, where, args, marker, limit):
    """Servers matching ``where``, newest first, after ``marker``, a page
    at a time on the (created, uuid) indexes: status and host are read
    after any migration that ended has been settled, so they are checked
    by the caller."""
    position = None
    if marker is not None:
        position = db.one('SELECT created, uuid FROM servers WHERE %s AND '
                          'uuid = ?' % where, *args, marker)
        if position is None:
            raise faults.bad_request('marker [%s] not found' % marker)
    while limit:
        sql, page_args = 'SELECT * FROM servers WHERE ' + where, args
        if position is not None:
            sql += ' AND (created < ? OR (created = ? AND uuid < ?))'
            page_args = args + [position[0], position[0], position[1]]
        rows = db.all(sql + ' ORDER BY created DESC, uuid DESC LIMIT ?',
                      *page_args, limit)
        yield from rows
        if len(rows) < limit:
            return
        position = rows[-1]['created'], rows[-1]['uuid']


def _page(context, req, key, items, limit, found):
    body = {key: items}
    if found and len(found) == limit:
        query = dict(req.GET)
        query.update(limit=str(limit), marker=found[-1]['uuid'])
        path = 'servers/detail' if key == 'servers' and req.path.endswith(
            '/detail') else 'servers'
        body['servers_links'] = [{
            'rel': 'next',
            'href': '%s/%s?%s' % (context.links_base, path,
                                  urllib.parse.urlencode(
                                      sorted(query.items())))}]
    return body


def index(services, req, context, body=None):
    found, limit = _search(services, context, req, detail=False)
    items = [{'id': row['uuid'], 'name': row['name'],
              'links': _links(context, row['uuid'])} for row in found]
    return 200, _page(context, req, 'servers', items, limit, found)


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

    items = [view(context, row, allowed(row['project_id']), listed=True)
             for row in found]
    return 200, _page(context, req, 'servers', items, limit, found)


def show(services, req, context, server_id, body=None):
    with services.store.transaction() as db:
        server = get_instance(services, db, context, server_id,
                              services.store.now())
    services.policy.authorize('os_compute_api:servers:show', context,
                              server['project_id'])
    return 200, {'server': view(
        context, server, _allowed(services, context, server['project_id']))}


def check_lock(context, server, server_id):
    if server['locked'] and not context.is_admin:
        raise faults.conflict('Instance %s is locked' % server['uuid'])


def invalid_state(server_id, action, attribute, value):
    """``raise_http_conflict_for_instance_invalid_state``: a None value
    gets the generic text."""
    if value is None:
        return faults.conflict("Instance %s is in an invalid state for "
                               "'%s'" % (server_id, action))
    return faults.conflict("Cannot '%s' instance %s while it is in %s %s"
                           % (action, server_id, attribute, value))


def check_state(server, server_id, action, vm_states, task_states=(None,)):
    if server['vm_state'] not in vm_states:
        raise invalid_state(server_id, action, 'vm_state',
                            server['vm_state'])
    if server['task_state'] not in task_states:
        raise invalid_state(server_id, action, 'task_state',
                            server['task_state'])
    if server['launched_at'] is None:
        raise invalid_state(server_id, action, 'launched_at', None)


def _simple_action(services, context, server_id, policy, action,
                   vm_states, change, check_locked=True):
    now = services.store.now()
    with services.store.transaction() as db:
        server = get_instance(services, db, context, server_id, now)
        services.policy.authorize(policy, context, server['project_id'])
        if check_locked:
            check_lock(context, server, server_id)
        check_state(server, server_id, action, vm_states)
        db.update('servers', 'uuid', server['uuid'], updated=now, **change)
        action_id = lifecycle.add_action(db, server['uuid'], action,
                                         context, now)
        lifecycle.add_event(db, action_id, 'compute_%s_instance' % action,
                            now, server['host'])
    return 202, None


def pause(services, req, context, server_id, body=None):
    return _simple_action(
        services, context, server_id, 'os_compute_api:os-pause-server:pause',
        'pause', ('active',), {'vm_state': 'paused', 'power_state': 3})


def unpause(services, req, context, server_id, body=None):
    return _simple_action(
        services, context, server_id,
        'os_compute_api:os-pause-server:unpause', 'unpause', ('paused',),
        {'vm_state': 'active', 'power_state': 1})


def _is_owner(context, server):
    """``compute/api.py``: the owner is anyone of the server's project."""
    return server['project_id'] == context.project_id


def lock(services, req, context, server_id, body=None):
    """Lock is allowed in any state (``lock_server.py``); 2.73 accepts an
    optional ``locked_reason``.

    ``compute/api.py`` ``API.lock``: a lock by the owner of a server that
    is already locked does nothing and records nothing; otherwise the
    ``lock`` action gets one event, ``api_lock``, on the API's host
    (``wrap_instance_event(prefix='api')``), and ``locked_by`` says
    ``owner`` or ``admin`` by project, not by role. A lock without a reason
    keeps the one already stored.
    """
    reason = None
    if context.version >= (2, 73):
        validation.validate(_LOCK_SCHEMA, {'lock': body})
        reason = (body or {}).get('locked_reason')
    now = services.store.now()
    with services.store.transaction() as db:
        server = get_instance(services, db, context, server_id, now)
        services.policy.authorize('os_compute_api:os-lock-server:lock',
                                  context, server['project_id'])
        owner = _is_owner(context, server)
        if server['locked'] and owner:
            return 202, None
        db.update('servers', 'uuid', server['uuid'], locked=1,
                  locked_by='owner' if owner else 'admin',
                  locked_reason=reason or server['locked_reason'],
                  updated=now)
        _api_action(db, server, 'lock', context, now)
    return 202, None


def _api_action(db, server, action, context, at):
    action_id = lifecycle.add_action(db, server['uuid'], action, context,
                                     at)
    lifecycle.add_event(db, action_id, 'api_' + action, at, API_HOST)


def unlock(services, req, context, server_id, body=None):
    """``lock_server.py`` ``_unlock``: ``unlock_override`` is needed when
    the lock was not set by the caller's side (``is_expected_locked_by``);
    the ``unlock`` action gets ``api_unlock``."""
    now = services.store.now()
    with services.store.transaction() as db:
        server = get_instance(services, db, context, server_id, now)
        services.policy.authorize('os_compute_api:os-lock-server:unlock',
                                  context, server['project_id'])
        expected = 'owner' if _is_owner(context, server) else 'admin'
        if server['locked_by'] not in (None, expected):
            services.policy.authorize(
                'os_compute_api:os-lock-server:unlock:unlock_override',
                context, server['project_id'])
        db.update('servers', 'uuid', server['uuid'], locked=0,
                  locked_by=None, locked_reason=None, updated=now)
        _api_action(db, server, 'unlock', context, now)
    return 202, None


def _migrate_live_schema(version):
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


def migrate_live(services, req, context, server_id, body=None):
    """os-migrateLive: 202, then the migration runs on its own.

    A host that is no compute host is a 400 at every microversion, before
    anything is recorded (``compute/api.py`` ``live_migrate`` looks it up
    first: ``ComputeHostNotFound``). Any other refusal comes from the
    conductor's checks (:func:`_precheck_failure`), after the API has
    recorded the ``live-migration`` action and the conductor has created
    the migration: the migration ends ``error`` and the server stays as it
    was. Before 2.34 the API waited for the conductor and answers 400 with
    its message; from 2.34 the checks are asynchronous and the API has
    already answered 202.
    """
    validation.validate(_migrate_live_schema(context.version),
                        {'os-migrateLive': body})
    host = body.get('host')
    # migrate_server.py: ``force`` is None before 2.30, then False unless
    # given (2.30-2.67); from 2.68 it is gone, so always False.
    force = None
    if context.version >= (2, 30):
        force = validation.as_bool(body.get('force', False))
    if force and not host:
        raise faults.bad_request("Can't force to a non-provided destination")
    block = body.get('block_migration')
    now = services.store.now()
    with services.store.transaction() as db:
        server = get_instance(services, db, context, server_id, now)
        # migrate_server.py ``_migrate_live``: one rule, ``:host`` when a
        # host is named, the plain one otherwise.
        services.policy.authorize(
            'os_compute_api:os-migrate-server:migrate_live'
            + (':host' if host else ''), context, server['project_id'])
        check_lock(context, server, server_id)
        check_state(server, server_id, 'os-migrateLive',
                    ('active', 'paused'))
        if host and db.one('SELECT 1 FROM hosts WHERE name = ?',
                           host) is None:
            raise faults.bad_request('Compute host %s could not be found.'
                                     % host)
        # compute/api.py: without ``force`` a named host is only a hint
        # for the scheduler; the conductor gets no host at all.
        forced_host = host if force is not False else None
        dest, problem = _destination(db, server, host, forced_host)
        if problem:
            _precheck_failure(db, server, forced_host, problem, context,
                              now)
        else:
            block_migration = block == 'auto' or validation.as_bool(block)
            params = lifecycle.build_params(db, server, dest,
                                            block_migration)
            lifecycle.start(db, server, dest, params, context, now)
            services.notifier.migration_started(db, server, dest, context,
                                                now)
    if problem and context.version < (2, 34):
        raise faults.bad_request(problem)
    return 202, None


def _destination(db, server, host, forced_host):
    """(destination, None) or (None, the conductor's failure message).

    A forced host only has to differ from the source
    (``LiveMigrationTask._check_destination_is_not_source``); otherwise the
    scheduler picks among the other hosts, or checks the named one, never
    the source (``_find_destination`` ignores it): no host is
    ``NoValidHost``.
    """
    if forced_host == server['host']:
        return None, ('Unable to migrate instance (%s) to current host '
                      '(%s).' % (server['uuid'], forced_host))
    if host and host != server['host']:
        return host, None
    row = None if host else db.one(
        'SELECT name FROM hosts WHERE name != ? ORDER BY '
        '(SELECT COUNT(*) FROM servers s WHERE s.host = hosts.name),'
        ' name LIMIT 1', server['host'] or '')
    if row is None:
        return None, ('No valid host was found. There are not enough hosts '
                      'available.')
    return row['name'], None


def _precheck_failure(db, server, forced_host, message, context, now):
    """What a failed conductor check leaves (``conductor/manager.py``,
    ``ComputeTaskManager._live_migrate``): the migration it created
    (``dest_compute`` = the host it was given, no nodes yet) set to
    ``error``; the server's task state back to None, vm_state unchanged;
    the conductor's event an ``Error``, with the exception's message as
    its details (``InstanceActionEvent.pack_action_event_finish``). The
    event is ``conductor_live_migrate_instance`` from 2.34 (a cast) and
    ``conductor_migrate_server`` before (a call)."""
    action_id = lifecycle.add_action(db, server['uuid'], 'live-migration',
                                     context, now)
    event = ('conductor_live_migrate_instance' if context.version >= (2, 34)
             else 'conductor_migrate_server')
    lifecycle.add_event(db, action_id, event, now, lifecycle.CONDUCTOR_HOST,
                        result='Error')
    exception = ('UnableToMigrateToSelf' if message.startswith('Unable')
                 else 'NoValidHost')
    db.execute(
        'UPDATE events SET traceback = ?, details = ? WHERE action_id = ?',
        'Traceback (most recent call last):\n'
        '  File "nova/conductor/manager.py", in _live_migrate\n'
        '  File "nova/conductor/tasks/live_migrate.py", in _execute\n'
        'nova.exception.%s: %s\n' % (exception, message), message,
        action_id)
    flavor_id = flavors.for_memory(server['memory_bytes']).id
    db.insert('migrations', uuid=lifecycle.new_uuid(),
              instance_uuid=server['uuid'], migration_type='live-migration',
              source_compute=server['host'], source_node=None,
              dest_compute=forced_host, dest_node=None, dest_host=None,
              old_instance_type_id=flavor_id, new_instance_type_id=flavor_id,
              status='error', final=1, created_at=now, updated_at=now,
              user_id=context.user_id, project_id=context.project_id,
              action_id=action_id)
