"""Migration rows: found by ID, by server, or by the filters of
``GET /os-migrations`` (``nova/db/main/api.py``,
``migration_get_all_by_filters``).

A live migration still running stores ``accepted``: its status is derived
on read (:mod:`.lifecycle`), so SQL can only narrow a status or update
time filter to the rows that might match; the caller decides on what the
API would show.
"""

#: A migration whose status is derived on read (a live migration still
#: running in the simulator); every other row shows what is stored.
_DERIVED = '(m.final = 0 AND m.params IS NOT NULL)'


def get(db, migration_id):
    """The row of migration ``migration_id`` (an integer), or None."""
    return db.one('SELECT * FROM migrations WHERE id = ?', migration_id)


def by_uuid(db, migration_uuid):
    return db.one('SELECT * FROM migrations WHERE uuid = ?', migration_uuid)


def by_id(db):
    """Every migration, oldest ID first."""
    return db.all('SELECT * FROM migrations ORDER BY id')


def of_server(db, server_uuid, migration_id):
    """Migration ``migration_id`` if it belongs to the server, or None
    (``migration_get_by_id_and_instance``)."""
    return db.one('SELECT * FROM migrations WHERE id = ? AND '
                  'instance_uuid = ?', migration_id, server_uuid)


def unended_live(db, server_uuid):
    """The server's live migrations not yet ended, by ID: those
    ``migration_get_in_progress_by_instance`` may return, once their
    derived status is known."""
    return db.all("SELECT * FROM migrations WHERE instance_uuid = ? "
                  "AND migration_type = 'live-migration' AND final = 0 "
                  'ORDER BY id', server_uuid)


def _where(filters):
    """The filters as SQL; what is derived on read (status, the update
    time of a running live migration) is only narrowed here, to rows that
    store it or derive it."""
    sql, args = 'm.hidden = 0', []
    if filters.get('host'):
        sql += ' AND (m.source_compute = ? OR m.dest_compute = ?)'
        args += [filters['host'], filters['host']]
    elif filters.get('source_compute'):
        sql += ' AND m.source_compute = ?'
        args.append(filters['source_compute'])
    for name in ('migration_type', 'instance_uuid', 'user_id',
                 'project_id'):
        if filters.get(name):
            sql += f' AND m.{name} = ?'
            args.append(filters[name])
    if filters.get('status'):
        sql += f' AND ({_DERIVED} OR m.status = ?)'
        args.append(filters['status'])
    for name, compare in (('changes-since', '>='),
                          ('changes-before', '<=')):
        if name in filters:
            sql += (f' AND ({_DERIVED} OR COALESCE(m.updated_at, '
                    f'm.created_at) {compare} ?)')
            args.append(filters[name])
    return sql, args


def filtered_by_id(db, filters):
    """Every migration the filters may match, oldest ID first (the
    listing before paging, 2.59)."""
    where, args = _where(filters)
    return db.all(f'SELECT m.* FROM migrations m WHERE {where} '
                  'ORDER BY m.id', *args)


def position(db, filters, marker):
    """Where a paged listing resumes after the migration whose UUID is
    ``marker``: its ``(created_at, id)``, or None when the filters do not
    list it."""
    where, args = _where(filters)
    return db.one('SELECT m.created_at, m.id FROM migrations m '
                  f'WHERE {where} AND m.uuid = ?', *args, marker)


def filtered_newest_first(db, filters, after, limit):
    """The migrations the filters may match, newest first, after the
    ``after`` position (None: from the start), fetched ``limit`` at a time
    (keyset paging on the ordering's own index) for as long as the caller
    reads: a page costs the same in any cloud size."""
    where, args = _where(filters)
    while limit:
        sql, page_args = f'SELECT m.* FROM migrations m WHERE {where}', args
        if after is not None:
            sql += (' AND (m.created_at < ? OR (m.created_at = ? AND '
                    'm.id < ?))')
            page_args = args + [after[0], after[0], after[1]]
        rows = db.all(f'{sql} ORDER BY m.created_at DESC, m.id DESC '
                      'LIMIT ?', *page_args, limit)
        yield from rows
        if len(rows) < limit:
            return
        after = rows[-1]['created_at'], rows[-1]['id']


def set_force_fault(db, row, message):
    """Make the next force-complete of ``row`` fail in the driver, with
    ``message`` (the test harness's control)."""
    db.execute('UPDATE migrations SET force_fault = ? WHERE id = ?',
               message, row['id'])


def take_force_fault(db, row):
    """The message of a force-complete failure set for ``row``, or None;
    it applies to one force-complete, so it is cleared."""
    if row['force_fault'] is None:
        return None
    set_force_fault(db, row, None)
    return row['force_fault']
