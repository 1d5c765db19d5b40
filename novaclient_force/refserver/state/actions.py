"""Instance actions and their events, as ``nova/objects/instance_action.py``
records them: an action per request that changes a server, events for each
step the conductor, the computes or the API took for it."""


def add_action(db, server_uuid, action, context, at):
    """A new action of ``server_uuid``, recorded for the caller's request
    (``InstanceAction.action_start``); returns its row ID."""
    return db.insert('actions', instance_uuid=server_uuid, action=action,
                     request_id=context.request_id,
                     user_id=context.user_id,
                     project_id=context.project_id, start_time=at,
                     updated_at=at)


def add_event(db, action_id, event, at, host, result='Success'):
    """A finished compute/conductor event; an Error marks the action."""
    db.insert('events', action_id=action_id, event=event, start_time=at,
              finish_time=at, result=result, host=host)
    db.execute('UPDATE actions SET updated_at = ? WHERE id = ?', at,
               action_id)
    if result == 'Error':
        db.execute("UPDATE actions SET message = 'Error' WHERE id = ?",
                   action_id)


def fail_events(db, action_id, traceback, details):
    """Give every event of ``action_id`` the traceback and details an
    exception leaves (``InstanceActionEvent.pack_action_event_finish``)."""
    db.execute(
        'UPDATE events SET traceback = ?, details = ? WHERE action_id = ?',
        traceback, details, action_id)


def newest_first(db, server_uuid):
    """Every action of a server, newest first (Nova's
    ``actions_get``: ``created_at desc, id desc``)."""
    return db.all('SELECT * FROM actions WHERE instance_uuid = ? '
                  'ORDER BY start_time DESC, id DESC', server_uuid)


def by_request(db, server_uuid, request_id):
    """The action a request made on a server, or None."""
    return db.one('SELECT * FROM actions WHERE instance_uuid = ? AND '
                  'request_id = ?', server_uuid, request_id)


def events_newest_first(db, action_id):
    """The events of an action, newest first."""
    return db.all('SELECT * FROM events WHERE action_id = ? '
                  'ORDER BY start_time DESC, id DESC', action_id)
