"""Servers: their rows, the pages the servers API lists, and the changes
the server actions make.

A server's host and states change when its live migration ends, which is
only written when a read finds it ended (:mod:`.lifecycle`): every server
shown goes through :func:`settled` first.
"""

from novaclient_force.refserver.state import lifecycle, migrations


def get(db, server_uuid):
    """The server's row as stored, or None."""
    return db.one('SELECT * FROM servers WHERE uuid = ?', server_uuid)


def settled(db, server, now, notifier):
    """The server row after settling any migration that has ended."""
    if server['active_migration'] is None:
        return server
    row = migrations.get(db, server['active_migration'])
    # Only a migration ending now changes the server (host, states).
    if row is None or not lifecycle.observe(
            db, row, now, notifier).row['final']:
        return server
    return get(db, server['uuid'])


def _where(project_id, name):
    """The SQL filter of a listing: a project (None for all) and a name
    pattern (``REGEXP``, as Nova's ``name`` filter)."""
    where, args = '1 = 1', []
    if project_id:
        where += ' AND project_id = ?'
        args.append(project_id)
    if name:
        where += ' AND name REGEXP ?'
        args.append(name)
    return where, args


def position(db, project_id, name, marker):
    """Where the listing resumes after the server ``marker``: its
    ``(created, uuid)``, or None when no such server is listed."""
    where, args = _where(project_id, name)
    return db.one(f'SELECT created, uuid FROM servers WHERE {where} AND '
                  'uuid = ?', *args, marker)


def newest_first(db, project_id, name, after, limit):
    """Servers of the listing, newest first, after the ``after``
    position (None: from the start), fetched ``limit`` at a time on the
    (created, uuid) indexes for as long as the caller reads: status and
    host are read after any migration that ended has been settled, so the
    caller checks them."""
    where, args = _where(project_id, name)
    while limit:
        sql, page_args = f'SELECT * FROM servers WHERE {where}', args
        if after is not None:
            sql += ' AND (created < ? OR (created = ? AND uuid < ?))'
            page_args = args + [after[0], after[0], after[1]]
        rows = db.all(f'{sql} ORDER BY created DESC, uuid DESC LIMIT ?',
                      *page_args, limit)
        yield from rows
        if len(rows) < limit:
            return
        after = rows[-1]['created'], rows[-1]['uuid']


def set_vm_state(db, server, vm_state, power_state, now):
    """What pause and unpause leave (``ComputeManager.pause_instance``,
    ``unpause_instance``)."""
    db.update('servers', 'uuid', server['uuid'], updated=now,
              vm_state=vm_state, power_state=power_state)


def lock(db, server, locked_by, reason, now):
    """``Instance.locked``, ``locked_by`` and the reason (a lock without
    one keeps the reason already stored)."""
    db.update('servers', 'uuid', server['uuid'], locked=1,
              locked_by=locked_by,
              locked_reason=reason or server['locked_reason'], updated=now)


def unlock(db, server, now):
    db.update('servers', 'uuid', server['uuid'], locked=0, locked_by=None,
              locked_reason=None, updated=now)


def rename(db, server, name, now):
    """``Instance.display_name``; ``hostname`` keeps the name the server
    had until then (Nova sets it at creation, and changes it only when
    asked, at 2.90+). The row as it is now."""
    db.update('servers', 'uuid', server['uuid'], name=name,
              hostname=server['hostname'] or server['name'], updated=now)
    return get(db, server['uuid'])
