"""Cold migrations (the ``migrate`` server action) and their confirm and
revert, as the conductor and the computes leave them.

Sources (openstack/nova): ``nova/compute/api.py`` (``API.resize`` without
a flavor: the ``migrate`` action, task state ``resize_prep``;
``confirm_resize``, ``revert_resize``), ``nova/conductor/tasks/
migrate.py`` (``MigrationTask``: the migration record, type
``migration``, and the scheduler's choice) and ``nova/compute/
manager.py`` (``prep_resize``, ``resize_instance``, ``finish_resize``:
migration ``pre-migrating``, ``migrating``, ``post-migrating``, then
``finished`` with the server ``resized`` on the destination and its power
state kept; ``confirm_resize``: migration ``confirmed``, the server back
to ``active`` or ``stopped`` as its power state says; ``revert_resize``
and ``finish_revert_resize``: migration ``reverted``, the server back on
its source).

The reference server does the copy at once: a cold migration that the
scheduler can place is ``finished`` (``VERIFY_RESIZE``) by the time the
202 is sent, with every event of the action recorded at that instant; no
disk copy is timed. A client must still wait for ``VERIFY_RESIZE`` as it
would on a real cloud.
"""

from novaclient_force.refserver.state import actions, flavors, live_migrate

#: ``nova/compute/power_state.py`` SHUTDOWN, RUNNING.
SHUTDOWN = 4
#: The events of a cold migration's action, where each happens.
_EVENTS = (('conductor_migrate_server', 'conductor'),
           ('compute_prep_resize', 'dest'),
           ('compute_resize_instance', 'source'),
           ('compute_finish_resize', 'dest'))


def _migration(db, server, dest, status, context, now, action_id):
    flavor_id = flavors.for_memory(server['memory_bytes']).id
    return db.insert(
        'migrations', uuid=live_migrate.new_uuid(),
        instance_uuid=server['uuid'], migration_type='migration',
        source_compute=server['host'], source_node=server['node'],
        dest_compute=dest, dest_node=dest, dest_host=None, status=status,
        final=1, created_at=now, updated_at=now, user_id=context.user_id,
        project_id=context.project_id, old_instance_type_id=flavor_id,
        new_instance_type_id=flavor_id, action_id=action_id)


def migrate(db, server, dest, context, now):
    """Move ``server`` to ``dest``, ending ``finished`` with the server
    ``resized`` there, awaiting confirm or revert."""
    action_id = actions.add_action(db, server['uuid'], 'migrate', context,
                                   now)
    places = {'conductor': live_migrate.CONDUCTOR_HOST, 'dest': dest,
              'source': server['host']}
    for event, place in _EVENTS:
        actions.add_event(db, action_id, event, now, places[place])
    _migration(db, server, dest, 'finished', context, now, action_id)
    db.update('servers', 'uuid', server['uuid'], host=dest, node=dest,
              vm_state='resized', task_state=None, updated=now)


def no_valid_host(db, server, message, context, now):
    """What the conductor leaves when the scheduler finds no host
    (``ComputeTaskManager._cold_migrate``: ``NoValidHost``): the migration
    ``error``, the server as it was, the conductor's event an Error."""
    action_id = actions.add_action(db, server['uuid'], 'migrate', context,
                                   now)
    actions.add_event(db, action_id, 'conductor_migrate_server', now,
                      live_migrate.CONDUCTOR_HOST, result='Error')
    actions.fail_events(
        db, action_id,
        'Traceback (most recent call last):\n'
        '  File "nova/conductor/manager.py", in _cold_migrate\n'
        '  File "nova/conductor/tasks/migrate.py", in _execute\n'
        f'nova.exception.NoValidHost: {message}\n', message)
    _migration(db, server, None, 'error', context, now, action_id)


def awaiting(db, server_uuid):
    """The server's ``finished`` migration, awaiting confirm or revert
    (``Migration.get_by_instance_and_status``), or None."""
    return db.one("SELECT * FROM migrations WHERE instance_uuid = ? AND "
                  "migration_type IN ('migration', 'resize') AND "
                  "status = 'finished' ORDER BY id DESC LIMIT 1",
                  server_uuid)


def _back_to(server):
    """``stopped`` for a server powered off, else ``active``."""
    return 'stopped' if server['power_state'] == SHUTDOWN else 'active'


def confirm(db, server, migration, context, now):
    """``confirm_resize``: the source cleaned up, the migration
    ``confirmed``, the server active or stopped where it is."""
    action_id = actions.add_action(db, server['uuid'], 'confirmResize',
                                   context, now)
    actions.add_event(db, action_id, 'compute_confirm_resize', now,
                      migration['source_compute'])
    db.update('migrations', 'id', migration['id'], status='confirmed',
              updated_at=now)
    db.update('servers', 'uuid', server['uuid'], vm_state=_back_to(server),
              task_state=None, updated=now)


def revert(db, server, migration, context, now):
    """``revert_resize``: the server back on its source, the migration
    ``reverted``."""
    action_id = actions.add_action(db, server['uuid'], 'revertResize',
                                   context, now)
    actions.add_event(db, action_id, 'compute_revert_resize', now,
                      migration['dest_compute'])
    actions.add_event(db, action_id, 'compute_finish_revert_resize', now,
                      migration['source_compute'])
    db.update('migrations', 'id', migration['id'], status='reverted',
              updated_at=now)
    db.update('servers', 'uuid', server['uuid'],
              host=migration['source_compute'],
              node=migration['source_node'], vm_state=_back_to(server),
              task_state=None, updated=now)
