"""Appends the versioned notifications Nova would emit to a JSON-lines file.

Payloads come from :mod:`novaclient_force.refserver.notify.payloads`; this
module decides when they are emitted and writes them, one JSON object per
line, once the transaction that made them true has committed. Without
``--notifications`` nothing is built or written (Nova's default
``notification_format`` is ``unversioned``).

State first, notifications after: a notification is never written for a
change that did not happen, and a notification that cannot be written
(a full disk) is logged and lost while the request that made the change
still succeeds, as in Nova, whose notifier only logs a failure to send
(oslo.messaging ``notify/notifier.py``, ``Notifier._notify``). The target
is checked writable at start (:meth:`Notifier.check`).
"""

import json
import logging
import threading

from novaclient_force.refserver.notify import payloads
from novaclient_force.refserver.state import flavors

LOG = logging.getLogger(__name__)


def _instance(server):
    flavor = flavors.for_memory(server['memory_bytes'])
    return {
        'uuid': server['uuid'], 'name': server['name'],
        'host': server['host'], 'node': server['node'],
        'project_id': server['project_id'], 'user_id': server['user_id'],
        'vm_state': server['vm_state'], 'power_state': server['power_state'],
        'locked': bool(server['locked']),
        'locked_reason': server['locked_reason'],
        'created_at': server['created'], 'launched_at': server['launched_at'],
        'updated_at': server['updated'],
        'flavor': {'name': flavor.name, 'flavorid': flavor.id,
                   'memory_mb': flavor.ram, 'vcpus': flavor.vcpus,
                   'root_gb': flavor.disk},
    }


def _context(context):
    return {'user_id': context.user_id, 'project_id': context.project_id,
            'request_id': context.request_id}


class Notifier:
    def __init__(self, path=None):
        self.path = path
        self._lock = threading.Lock()

    def check(self):
        """Raise OSError now if the target cannot be appended to."""
        if self.path:
            with open(self.path, 'a', encoding='utf-8'):
                pass

    def _emit(self, db, records):
        lines = ''.join(f"{json.dumps(record, sort_keys=True)}\n"
                        for record in records)

        def write():
            try:
                with self._lock, open(self.path, 'a',
                                      encoding='utf-8') as out:
                    out.write(lines)
            except OSError as error:
                LOG.error('notifications %s: %d not written: %s',
                          self.path, len(records), error)

        db.after_commit.append(write)

    def migration_started(self, db, server, dest, context, at):
        """live_migration_pre.start/.end, from the destination."""
        if self.path:
            self._emit(db, payloads.live_migration_pre(
                _instance(server), {'source_compute': server['host'],
                                    'dest_compute': dest},
                _context(context), at))

    def migration_ended(self, db, server, migration, completed, at):
        """post/post_dest or rollback/rollback_dest, for the request that
        started the live migration."""
        if not self.path:
            return
        action = db.one('SELECT * FROM actions WHERE id = ?',
                        migration['action_id'])
        context = {'user_id': action['user_id'],
                   'project_id': action['project_id'],
                   'request_id': action['request_id']} if action else {}
        build = (payloads.live_migration_success if completed
                 else payloads.live_migration_rollback)
        self._emit(db, build(_instance(server), dict(migration), context,
                             at))

    def instance_action(self, db, server, migration, action, context, at,
                        succeeded):
        """force_complete or abort: start, and end if the driver took it."""
        if self.path:
            build = {'live_migration_force_complete':
                     payloads.force_complete,
                     'live_migration_abort': payloads.abort}[action]
            self._emit(db, build(_instance(server), dict(migration),
                                 _context(context), at, succeeded))
