"""Server migrations: index, show, abort and force_complete.

Sources: ``nova/api/openstack/compute/server_migrations.py``, its schemas,
``nova/compute/api.py`` (``live_migrate_force_complete``,
``live_migrate_abort``) and ``nova/db/main/api.py``
(``migration_get_by_id_and_instance``,
``migration_get_in_progress_by_instance``). The checks of force_complete
come in Nova's order: version and body at the edge, then the server, the
policy, the lock, the instance's states, the migration and its status.
"""

from novaclient_force.refserver.edge import faults, validation
from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import actions, lifecycle, migrations
from novaclient_force.refserver.state import store as store_mod

_FORCE_COMPLETE_SCHEMA = {
    'type': 'object',
    'properties': {'force_complete': {'type': 'null'}},
    'required': ['force_complete'],
    'additionalProperties': False,
}
_HOST_FIELDS = ('dest_compute', 'dest_host', 'dest_node', 'source_compute',
                'source_node')
POLICY = 'os_compute_api:servers:migrations:'
#: 2.102+: every query parameter is unknown here, so a 400
#: (``schemas/server_migrations.py``, ``index_query_v2102``).
_QUERY = common.no_query_from((2, 102))


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


def _find(call, migration_id):
    """The URL id goes straight into a DB filter in Nova, so a
    non-numeric id simply matches nothing."""
    as_id = (int(migration_id)
             if migration_id.isascii() and migration_id.isdigit() else -1)
    return migrations.of_server(call.db, call.server['uuid'], as_id)


def _observe(call, row):
    return lifecycle.observe(call.db, row, call.now,
                             call.services.notifier)


@common.on_server(POLICY + 'index', query=_QUERY)
def index(call):
    show_hosts = call.allowed(POLICY + 'index:host')
    found = [_observe(call, row)
             for row in migrations.unended_live(call.db, call.server['uuid'])]
    return 200, {'migrations': [view(call.context, item, show_hosts)
                                for item in found if item.in_progress]}


@common.on_server(POLICY + 'show', query=_QUERY)
def show(call, migration_id):
    server_id = call.server_id
    row = _find(call, migration_id)
    if row is None:
        raise faults.not_found(
            f'In-progress live migration {migration_id} is not found for '
            f'server {server_id}.')
    if row['migration_type'] != 'live-migration':
        raise faults.not_found(
            f'Migration {migration_id} for server {server_id} is not '
            'live-migration.')
    observed = _observe(call, row)
    if not observed.in_progress:
        # The end just observed is kept.
        return common.kept_fault(
            404, f'Live migration {migration_id} for server {server_id} is '
                 'not in progress.')
    return 200, {'migration': view(call.context, observed)}


def _null_body(context, body):
    validation.validate(_FORCE_COMPLETE_SCHEMA, {'force_complete': body})


@common.on_server(POLICY + 'force_complete', check_body=_null_body)
def force_complete(call, migration_id):
    server = call.server
    common.check_lock(call.context, server)
    common.check_state(server, call.server_id, 'force_complete',
                       ('active',), ('migrating',))
    row = _find(call, migration_id)
    if row is None:
        raise faults.bad_request(f'Migration {migration_id} not found for '
                                 f"instance {server['uuid']}")
    observed = _observe(call, row)
    if observed.status != 'running':
        raise faults.bad_request(
            f"Migration {migration_id} state of instance {server['uuid']} "
            f'is {observed.status}. Cannot force complete while the '
            'migration is in this state.')
    _record_force_complete(call, row)
    return 202, None


def _record_force_complete(call, row):
    """The action, the compute event and notifications; the simulator
    says whether libvirt found the job to act on (Success) or not
    (Error, NoActiveMigrationForInstance)."""
    db, server, now = call.db, call.server, call.now
    action_id = actions.add_action(db, server['uuid'],
                                   'live_migration_force_complete',
                                   call.context, now)
    fault = migrations.take_force_fault(db, row)
    if fault is not None:
        _driver_refused_force(call, row, action_id, fault)
        return
    row = lifecycle.request(db, row, 'force_complete_at', now)
    applied = (not row['final'] and row['params'] is not None
               and lifecycle.simulate(db, row, now).force_complete_applied)
    actions.add_event(db, action_id,
                      'compute_live_migration_force_complete', now,
                      row['source_compute'],
                      result='Success' if applied else 'Error')
    call.services.notifier.instance_action(
        db, server, row, 'live_migration_force_complete', call.context, now,
        succeeded=applied)


def no_active_migration(server_uuid):
    """The text of the one exception the libvirt driver raises there,
    ``NoActiveMigrationForInstance``: the job was gone."""
    return f'Active live migration for instance {server_uuid} not found'


def _exception_name(server, message):
    if message == no_active_migration(server['uuid']):
        return 'nova.exception.NoActiveMigrationForInstance'
    return 'nova.exception.NovaException'


def _driver_refused_force(call, row, action_id, message):
    """The driver raised from ``live_migration_force_complete`` (the test
    harness asked for it): ``ComputeManager.live_migration_force_complete``
    is wrapped in ``wrap_instance_event``, so its event ends in Error with
    the traceback and (2.84) the message as details; the ``.start``
    notification went out, the ``.end`` one never does. Nothing reached
    the migration: it runs on unforced, and one that does not converge
    meets its completion timeout as if never forced (the libvirt driver
    only queues a force for the job's monitor,
    ``LibvirtDriver.live_migration_force_complete``)."""
    db, server, now = call.db, call.server, call.now
    actions.add_event(db, action_id,
                      'compute_live_migration_force_complete', now,
                      row['source_compute'], result='Error')
    actions.fail_events(
        db, action_id,
        'Traceback (most recent call last):\n'
        '  File "nova/compute/utils.py", in decorated_function\n'
        '  File "nova/compute/manager.py", in '
        'live_migration_force_complete\n'
        '  File "nova/virt/libvirt/driver.py", in '
        'live_migration_force_complete\n'
        f'{_exception_name(server, message)}: {message}\n', message)
    call.services.notifier.instance_action(
        db, server, row, 'live_migration_force_complete', call.context, now,
        succeeded=False)


@common.on_server(POLICY + 'delete')
def delete(call, migration_id):
    """Abort: 2.24 (running only), 2.65+ also queued and preparing."""
    server, server_id, context = call.server, call.server_id, call.context
    action = 'abort live migration'
    if server['locked'] and not context.is_admin:
        raise common.invalid_state(server_id, action, 'vm_state', None)
    if server['task_state'] != 'migrating':
        raise common.invalid_state(server_id, action, 'task_state',
                                   server['task_state'])
    if server['launched_at'] is None:
        raise common.invalid_state(server_id, action, 'launched_at', None)
    row = _find(call, migration_id)
    if row is None:
        raise faults.not_found(f'Migration {migration_id} not found for '
                               f"instance {server['uuid']}")
    observed = _observe(call, row)
    allowed = ('running', 'queued', 'preparing') if (
        context.version >= (2, 65)) else ('running',)
    if observed.status not in allowed:
        raise faults.bad_request(
            f"Migration {migration_id} state of instance {server['uuid']} "
            f'is {observed.status}. Cannot abort live migration while the '
            'migration is in this state.')
    action_id = actions.add_action(call.db, server['uuid'],
                                   'live_migration_cancel', context,
                                   call.now)
    lifecycle.request(call.db, row, 'abort_at', call.now)
    actions.add_event(call.db, action_id, 'compute_live_migration_abort',
                      call.now, row['source_compute'])
    call.services.notifier.instance_action(
        call.db, server, row, 'live_migration_abort', context, call.now,
        succeeded=True)
    return 202, None
