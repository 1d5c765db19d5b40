"""The commands our messages suggest, each one working as pasted.

Every argument is quoted with ``shlex.quote``, and a server is named by its
UUID, never by its name: a name may hold spaces or shell syntax, may be
shared by several servers, and upstream clients do not look names up in
other projects, so the admin who forced another project's server could not
follow it by name.

Each command is one that works for whoever got it (an admin, or a project
manager under Nova's default policy), in the words of the CLI in use
(``cli`` is ``'openstack'`` or ``'nova'``); tests/functional/test_hints.py
runs every kind against the reference server with the real programs:

* an admin follows a migration in ``GET /os-migrations`` filtered on the
  server, which keeps finished migrations, so the final status shows;
* anyone else reads the server: ``os-migrations`` without the caller's
  own ``project_id`` needs ``os-migrations:index:all_projects``, admin-only
  by default (nova/api/openstack/compute/migrations.py ``_index``,
  nova/policies/migrations.py), and with it lists only migrations that
  the caller's project started, so a manager following an admin's
  migration would see nothing. The server's status stays ``MIGRATING``
  until the migration ends, and any project member may read it;
* never ``server migration show`` nor ``server-migration-show``: the show
  policy is admin-only by default (nova/policies/servers_migrations.py),
  it answers 404 once the migration has finished, and
  python-openstackclient 10.5's ``server migration show`` passes its two
  arguments the wrong way round;
* unlocking a server: a lock stops only non-admins, and Nova lets its
  locker (or an admin) lift it (nova/policies/lock_server.py).
"""

import shlex

_FOLLOW = {
    'openstack': ('openstack', 'server', 'migration', 'list', '--server'),
    'nova': ('nova', 'migration-list', '--instance-uuid'),
}
_FOLLOW_SERVER = {
    'openstack': ('openstack', 'server', 'show'),
    'nova': ('nova', 'show'),
}
_UNLOCK = {
    'openstack': ('openstack', 'server', 'unlock'),
    'nova': ('nova', 'unlock'),
}


def command(*argv):
    """A shell command line for ``argv``, every word quoted as needed."""
    return ' '.join(shlex.quote(str(word)) for word in argv)


def follow(server_id, cli='openstack', admin=True):
    """How to follow a server's live migration after we stop watching;
    ``admin``: whether the caller has the admin role."""
    return command(*(_FOLLOW if admin else _FOLLOW_SERVER)[cli], server_id)


def unlock(server_id, cli='openstack'):
    """How to unlock a server."""
    return command(*_UNLOCK[cli], server_id)
