"""Server migrations: index, show, abort and force_complete.

Sources: ``nova/api/openstack/compute/server_migrations.py``, its schemas,
``nova/compute/api.py`` (``live_migrate_force_complete``,
``live_migrate_abort``) and ``nova/db/main/api.py``
(``migration_get_by_id_and_instance``,
``migration_get_in_progress_by_instance``). The check order of
force_complete is the table in the reference facts (section 5), row by row.
"""

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import servers
from novaclient_force.refserver.state import lifecycle
from novaclient_force.refserver.state import store as store_mod

_FORCE_COMPLETE_SCHEMA = {
    'type': 'object',
    'properties': {'force_complete': {'type': 'null'}},
    'required': ['force_complete'],
    'additionalProperties': False,
}
_HOST_FIELDS = ('dest_compute', 'dest_host', 'dest_node', 'source_compute',
                'source_node')
POLICY = 'os_compute_api:servers:migrations:%s'


def view(context, observed, show_hosts=True):
    """One migration, keys per microversion (2.23, 2.59 uuid, 2.80 ids)."""
    row = observed.row
    body = {
        'created_at': store_mod.isotime(row['created_at']),
        'id': row['id'],
        'server_uuid': row['instance_uuid'],
        'status': observed.status,
        'updated_at': store_mod.isotime(observed.updated_at),
        'memory_total_bytes': observed.memory[0],
        'memory_processed_bytes': observed.memory[1],
        'memory_remaining_bytes': observed.memory[2],
        'disk_total_bytes': observed.disk[0],
        'disk_processed_bytes': observed.disk[1],
        'disk_remaining_bytes': observed.disk[2],
    }
    for field in _HOST_FIELDS:
        body[field] = row[field] if show_hosts else None
    if context.version >= (2, 59):
        body['uuid'] = row['uuid']
    if context.version >= (2, 80):
        body['user_id'] = row['user_id']
        body['project_id'] = row['project_id']
    return body


def _reject_query(req, context):
    """2.102+: every query parameter is unknown here, so a 400
    (``schemas/server_migrations.py``, ``index_query_v2102``)."""
    if context.version >= (2, 102):
        validation.validate_query(validation.NO_QUERY, req)


def _find(db, server, migration_id):
    return db.one('SELECT * FROM migrations WHERE id = ? AND '
                  'instance_uuid = ?', _as_id(migration_id), server['uuid'])


def _as_id(migration_id):
    """The URL id goes straight into a DB filter in Nova, so a
    non-numeric id simply matches nothing."""
    return (int(migration_id)
            if migration_id.isascii() and migration_id.isdigit() else -1)


def index(services, req, context, server_id, body=None):
    _reject_query(req, context)
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        services.policy.authorize(POLICY % 'index', context,
                                  server['project_id'])
        show_hosts = services.policy.allowed(
            POLICY % 'index:host', context, server['project_id'])
        rows = db.all("SELECT * FROM migrations WHERE instance_uuid = ? "
                      "AND migration_type = 'live-migration' AND final = 0 "
                      'ORDER BY id', server['uuid'])
        found = [lifecycle.observe(db, row, now, services.notifier)
                 for row in rows]
    return 200, {'migrations': [view(context, item, show_hosts)
                                for item in found if item.in_progress]}


def show(services, req, context, server_id, migration_id, body=None):
    _reject_query(req, context)
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        services.policy.authorize(POLICY % 'show', context,
                                  server['project_id'])
        row = _find(db, server, migration_id)
        if row is None:
            raise faults.not_found(
                'In-progress live migration %s is not found for server %s.'
                % (migration_id, server_id))
        if row['migration_type'] != 'live-migration':
            raise faults.not_found(
                'Migration %s for server %s is not live-migration.'
                % (migration_id, server_id))
        observed = lifecycle.observe(db, row, now, services.notifier)
    if not observed.in_progress:
        raise faults.not_found(
            'Live migration %s for server %s is not in progress.'
            % (migration_id, server_id))
    return 200, {'migration': view(context, observed)}


def force_complete(services, req, context, server_id, migration_id,
                   body=None):
    """Rows 2-11 of the force_complete table (the router did 0-1)."""
    validation.validate(_FORCE_COMPLETE_SCHEMA, {'force_complete': body})
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        services.policy.authorize(POLICY % 'force_complete', context,
                                  server['project_id'])
        servers.check_lock(context, server, server_id)
        servers.check_state(server, server_id, 'force_complete',
                            ('active',), ('migrating',))
        row = _find(db, server, migration_id)
        if row is None:
            raise faults.bad_request('Migration %s not found for instance %s'
                                     % (migration_id, server['uuid']))
        observed = lifecycle.observe(db, row, now, services.notifier)
        if observed.status != 'running':
            raise faults.bad_request(
                'Migration %s state of instance %s is %s. Cannot force '
                'complete while the migration is in this state.'
                % (migration_id, server['uuid'], observed.status))
        _record_force_complete(services, db, server, row, context, now)
    return 202, None


def _record_force_complete(services, db, server, row, context, now):
    """The action, the compute event and notifications; the simulator
    says whether libvirt found the job to act on (Success) or not
    (Error, NoActiveMigrationForInstance)."""
    action_id = lifecycle.add_action(db, server['uuid'],
                                     'live_migration_force_complete',
                                     context, now)
    row = lifecycle.request(db, row, 'force_complete_at', now)
    applied = (not row['final'] and row['params'] is not None
               and lifecycle.simulate(db, row, now).force_complete_applied)
    lifecycle.add_event(db, action_id,
                        'compute_live_migration_force_complete', now,
                        row['source_compute'],
                        result='Success' if applied else 'Error')
    services.notifier.instance_action(
        db, server, row, 'live_migration_force_complete', context, now,
        succeeded=applied)


def delete(services, req, context, server_id, migration_id, body=None):
    """Abort: 2.24 (running only), 2.65+ also queued and preparing."""
    now = services.store.now()
    with services.store.transaction() as db:
        server = servers.get_instance(services, db, context, server_id, now)
        services.policy.authorize(POLICY % 'delete', context,
                                  server['project_id'])
        if server['locked'] and not context.is_admin:
            raise servers.invalid_state(server_id, 'abort live migration',
                                        'vm_state', None)
        if server['task_state'] != 'migrating':
            raise servers.invalid_state(server_id, 'abort live migration',
                                        'task_state', server['task_state'])
        if server['launched_at'] is None:
            raise servers.invalid_state(server_id, 'abort live migration',
                                        'launched_at', None)
        row = _find(db, server, migration_id)
        if row is None:
            raise faults.not_found('Migration %s not found for instance %s'
                                   % (migration_id, server['uuid']))
        observed = lifecycle.observe(db, row, now, services.notifier)
        allowed = ('running', 'queued', 'preparing') if (
            context.version >= (2, 65)) else ('running',)
        if observed.status not in allowed:
            raise faults.bad_request(
                'Migration %s state of instance %s is %s. Cannot abort live '
                'migration while the migration is in this state.'
                % (migration_id, server['uuid'], observed.status))
        action_id = lifecycle.add_action(db, server['uuid'],
                                         'live_migration_cancel', context,
                                         now)
        lifecycle.request(db, row, 'abort_at', now)
        lifecycle.add_event(db, action_id, 'compute_live_migration_abort',
                            now, row['source_compute'])
        services.notifier.instance_action(
            db, server, row, 'live_migration_abort', context, now,
            succeeded=True)
    return 202, None
