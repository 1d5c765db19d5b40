"""Find the server and the migration a caller means, in as few requests
as possible.

A server ID (UUID-like) is used as is: the action itself answers 404 when
no such server is visible, so a lookup would only cost a round trip. A
name costs one list request. Nova's ``name`` filter is a regular
expression (nova/api/openstack/compute/servers.py; python-novaclient's
``find`` pays for that with extra requests), so the name is escaped and
anchored, and the answer is still matched exactly. A migration ID is used
as is; a UUID (2.59+) and "the one in progress" cost one read of the
server's in-progress migrations.
"""

import dataclasses
import re

from oslo_utils import uuidutils

from novaclient_force import (
    arguments,
    errors,
    exceptions,
    negotiation,
    terminal,
)


@dataclasses.dataclass(frozen=True)
class ServerRef:
    id: str
    name: str = ''

    @property
    def label(self):
        """How messages name it: as the caller did, name or ID."""
        return terminal.printable(self.name or self.id)


@dataclasses.dataclass(frozen=True)
class MigrationRef:
    id: int
    uuid: str = ''
    status: str = ''


def server(compute, value, deadline=None):
    """The ServerRef for a name, an ID or an object with ``.id``."""
    if hasattr(value, 'id'):
        return ServerRef(str(value.id), getattr(value, 'name', '') or '')
    if not isinstance(value, str) or not value.strip():
        raise exceptions.InvalidArgument(
            f'A server name or ID is required, got {value!r}')
    if uuidutils.is_uuid_like(value):
        return ServerRef(value)
    return _by_name(compute, value, deadline)


def _by_name(compute, name, deadline):
    params = {'name': f'^{re.escape(name)}$'}
    if is_admin(compute):
        params['all_tenants'] = '1'
    context = errors.Context('find', server=terminal.printable(name))
    body = compute.get_json('/servers', negotiation.BASIC, context,
                            params=params, deadline=deadline)
    found = [s for s in body.get('servers', []) if s.get('name') == name]
    if not found:
        raise exceptions.ServerNotFound(
            f'No server named {terminal.printable(name)} is visible to you')
    if len(found) > 1:
        ids = ', '.join(terminal.printable(s['id']) for s in found)
        raise exceptions.AmbiguousServer(
            f'{len(found):d} servers are named {terminal.printable(name)}; '
            f'use an ID: {ids}')
    return ServerRef(found[0]['id'], name)


def is_admin(compute):
    """Whether the caller's token carries the admin role; it decides
    whether a name lookup may look across projects."""
    return 'admin' in compute.role_names()


def migration(compute, server_ref, value, deadline=None):
    """The MigrationRef for an ID, a UUID, or None (the one in progress)."""
    if hasattr(value, 'id'):
        value = value.id
    if isinstance(value, bool):
        raise arguments.bad_migration(value)
    if isinstance(value, int):
        if value < 0:
            raise arguments.bad_migration(value)
        return MigrationRef(value)
    if value is None:
        return _the_one_in_progress(compute, server_ref, deadline)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return MigrationRef(int(text))
        if uuidutils.is_uuid_like(text):
            return _by_uuid(compute, server_ref, text, deadline)
    raise arguments.bad_migration(value)


def in_progress(compute, server_ref, need=negotiation.MIGRATIONS,
                deadline=None):
    """The server's in-progress live migrations (index; manager-readable).

    Nova lists only live migrations that are queued, preparing, running or
    post-migrating here; ``running (post-copy)`` is not included.
    """
    body = compute.get_json(
        f'/servers/{server_ref.id}/migrations', need,
        errors.Context('list', server=server_ref.label), deadline=deadline)
    return body.get('migrations', [])


def _ref(row):
    return MigrationRef(int(row['id']), row.get('uuid') or '',
                        row.get('status') or '')


def _the_one_in_progress(compute, server_ref, deadline):
    rows = in_progress(compute, server_ref, deadline=deadline)
    if not rows:
        why = _why_none(compute, server_ref, deadline)
        raise exceptions.NoMigrationInProgress(
            f'Server {server_ref.label} has no live migration in progress'
            f'{why}')
    if len(rows) > 1:
        listed = ', '.join(
            f"{r['id']} ({terminal.printable(r.get('status'))})" for r in rows)
        raise exceptions.AmbiguousMigration(
            f'Server {server_ref.label} has {len(rows):d} live migrations '
            f'in progress; name one: {listed}')
    return _ref(rows[0])


def _why_none(compute, server_ref, deadline):
    """Why a server shows no migration in progress, when it is migrating.

    Only on this error path: one read of the server. Nova lists neither a
    migration the conductor is still scheduling (``accepted``) nor one
    already switched to post-copy, yet the server is MIGRATING in both.
    """
    try:
        body = compute.get_json(
            f'/servers/{server_ref.id}', negotiation.BASIC,
            errors.Context('find', server=server_ref.label),
            deadline=deadline)
    except exceptions.ForceCompleteError:
        return ''
    if body.get('server', {}).get('OS-EXT-STS:task_state') != 'migrating':
        return ''
    return (' yet, although it is migrating: Nova may still be scheduling '
            'it (try again in a moment), or it has switched to post-copy '
            'and will complete without help')


def _by_uuid(compute, server_ref, uuid, deadline):
    rows = in_progress(compute, server_ref, need=negotiation.MIGRATION_UUID,
                       deadline=deadline)
    for row in rows:
        if row.get('uuid') == uuid:
            return _ref(row)
    raise exceptions.MigrationNotFound(
        f'Server {server_ref.label} has no live migration {uuid} in progress')


def os_migrations(compute, params, context, deadline=None, until=None):
    """Rows of ``GET /os-migrations`` with ``params``, across pages.

    From 2.59 Nova pages the list (``limit``, default and cap 1000) and
    adds a ``migrations_links`` "next" link only when a page is full; the
    link is followed until exhausted, or until ``until(rows so far)`` says
    enough was read (rows come newest first).
    """
    return pages(compute, '/os-migrations', 'migrations',
                 negotiation.MIGRATIONS, params, context, deadline, until)


def pages(compute, path, key, version, params, context, deadline=None,
          until=None):
    """The ``key`` items of a Nova listing, following its ``<key>_links``
    "next" links (Nova adds one when a page is full, ``[api] max_limit``
    items, 1000 by default) until none is left or ``until(items so far)``
    is true."""
    items = []
    url = path
    seen = set()
    while url and url not in seen:
        seen.add(url)
        body = compute.get_json(url, version, context, params=params,
                                deadline=deadline)
        items.extend(body.get(key, []))
        if until is not None and until(items):
            break
        url = next((link.get('href') for link in
                    body.get(key + '_links', ())
                    if link.get('rel') == 'next'), None)
        params = None       # the next link carries the whole query
    return items
