"""Nova's live-migration statuses, as its API shows them.

nova/compute/manager.py moves a live migration through them:
``ComputeManager.live_migration`` sets ``queued`` and hands
``_do_live_migration`` to an executor of ``max_concurrent_live_migrations``
workers, which sets ``preparing``, then ``running``; the libvirt driver
switches a running copy to ``running (post-copy)`` when post-copy is
permitted (nova/virt/libvirt/driver.py ``_live_migration_monitor``). The
conductor creates the migration ``accepted`` while it schedules it
(nova/conductor/tasks/live_migrate.py). Nova forces only ``running``
(``InvalidMigrationState`` otherwise).
"""

from novaclient_force import outcome

#: Accepted by the API but not running yet: a force-complete is refused.
NOT_STARTED = ('accepted', 'queued', 'preparing')
RUNNING = 'running'
POST_COPY = 'running (post-copy)'
#: Still leaving its source host.
LEAVING = NOT_STARTED + (RUNNING, POST_COPY)
#: How each final status reads as an outcome: ``completed`` by
#: ``_post_live_migration``, ``failed`` or ``cancelled`` by
#: ``_rollback_live_migration``, ``error`` by ``_do_live_migration``
#: (nova/compute/manager.py).
FINAL = {
    'completed': outcome.COMPLETED,
    'failed': outcome.FAILED,
    'error': outcome.FAILED,
    'cancelled': outcome.CANCELLED,
}
