"""Reading live migrations from Nova, wherever the caller may read them:
one migration (MigrationWatch), or those leaving a host (Departures).

While one is in progress the server's migration index lists it, with its
memory counters (a project manager may read the index; ``show`` is
admin-only by default, nova/policies/servers_migrations.py). Once it has
left the index, its final status comes from ``/os-migrations`` where the
caller may list it (Listing), or else from the server and its instance
actions, which any member of the server's project may read
(nova/policies/instance_actions.py).
"""

import concurrent.futures
import datetime

from novaclient_force import (
    errors,
    exceptions,
    failures,
    negotiation,
    outcome,
    resolve,
    statuses,
    terminal,
    waiting,
)


class Listing:
    """``GET /os-migrations`` as the caller may send it.

    Listing every project's migrations is admin-only
    (``os-migrations:index:all_projects``, nova/policies/migrations.py); a
    project manager may list its own project's (the ``project_id``
    filter, 2.80+; nova/api/openstack/compute/migrations.py ``_index``),
    so on that refusal the listing narrows to the caller's project, for
    good.
    """

    def __init__(self, compute):
        self.compute = compute
        self.scope = {}             # {'project_id': ...} once narrowed

    def rows(self, params, context, deadline=None, until=None, narrow=True):
        """The rows for ``params`` (see resolve.os_migrations); refused,
        narrowed and asked again (``narrow`` False: the caller narrows)."""
        try:
            return resolve.os_migrations(
                self.compute, {**params, **self.scope}, context, deadline,
                until)
        except exceptions.PolicyRefused:
            if not narrow or not self.narrow():
                raise
        return self.rows(params, context, deadline, until)

    def narrow(self):
        """Narrow to the caller's project after a refusal; False when that
        cannot help (narrowed already, or the cloud is older than 2.80)."""
        if self.scope or self.compute.version < negotiation.PROJECT_FILTER:
            return False
        self.scope = {'project_id': self.compute.adapter.get_project_id()}
        return True


class Departures:
    """The live migrations leaving one host, as ``/os-migrations`` lists
    them, keyed by UUID (or ID).

    They are filtered on ``source_compute`` (``host`` would also match
    migrations arriving). The first look sends one listing per status
    still leaving the host (Nova's filter takes one status): the first
    alone, which settles the microversion, then the others together on
    ``pool``. A migration that moves on between two of them (queued to
    preparing, say) is in none: asked to, the first look also reads the
    host's listing, until every migration found has been seen. Every
    later look reads one listing of the host, newest first, paged only
    until every migration still followed has been seen (a migration
    started meanwhile is newer, so it shows up too).
    """

    def __init__(self, compute, host, pool):
        self.host = host
        self.pool = pool
        self.listing = Listing(compute)
        self.context = errors.Context(
            'list_all', server=f'host {terminal.printable(host)}')

    def discover(self, deadline=None, again=False):
        """(key, row) of every migration leaving the host now, listing
        after listing (one may show again, moved on, in a later one);
        ``again``: then read the host's listing too (see the class)."""
        first, *rest = statuses.LEAVING
        listings = []
        try:
            found = self._leaving(self._by_status(first, deadline))
            listings = [self.pool.submit(self._by_status, status, deadline)
                        for status in rest]
            found = [*found.items()] + [
                item for listing in listings
                for item in self._leaving(listing.result()).items()]
        except exceptions.PolicyRefused:
            # The rest of the batch ends before the scope changes.
            concurrent.futures.wait(listings)
            if not self.listing.narrow():
                raise
            return self.discover(deadline, again)
        if again:
            found += self.poll({key for key, _ in found}, deadline).items()
        return found

    def poll(self, wanted, deadline=None):
        """{key: row} of the host's listing, read until every key of
        ``wanted`` is seen (or the listing ends)."""
        return self._leaving(self.listing.rows(
            {'source_compute': self.host, 'migration_type': 'live-migration'},
            self.context, deadline=deadline,
            until=lambda rows: wanted <= {_key(row) for row in rows}))

    def _by_status(self, status, deadline):
        return self.listing.rows(
            {'source_compute': self.host, 'status': status,
             'migration_type': 'live-migration'}, self.context,
            deadline=deadline, narrow=False)

    def _leaving(self, rows):
        # Host fields are null for callers without the index:host policy.
        return {_key(row): row for row in rows
                if row.get('source_compute') in (self.host, None)
                and row.get('migration_type', 'live-migration')
                == 'live-migration'}


def _key(row):
    return row.get('uuid') or row.get('id')


def index_row(compute, server_ref, migration_id, deadline=None):
    """The migration's row in the server's migration index, or None once
    it has left it (Nova lists only migrations in progress there)."""
    for row in resolve.in_progress(compute, server_ref, deadline=deadline):
        if str(row.get('id')) == str(migration_id):
            return row
    return None


class MigrationWatch:
    """Reads one live migration of one server, as often as asked."""

    def __init__(self, compute, server_ref, migration_id):
        self.compute = compute
        self.server = server_ref
        self.migration = migration_id
        self._in_index = True               # still listed as in progress?
        self._listing = Listing(compute)    # None: /os-migrations unread

    def read(self, deadline=None):
        if self._in_index:
            row = index_row(self.compute, self.server, self.migration,
                            deadline)
            if row is not None:
                return waiting.Reading(
                    row.get('status') or '',
                    memory_processed_bytes=row.get('memory_processed_bytes'),
                    memory_remaining_bytes=row.get('memory_remaining_bytes'),
                    memory_total_bytes=row.get('memory_total_bytes'),
                    saved_at=saved_at(row.get('updated_at')))
            self._in_index = False
        if self._listing is not None:
            row = self._os_migration_row(deadline)
            if row is not None:
                return final_reading(self.compute, self.server, row,
                                     deadline)
        return self._from_server(deadline)

    def _os_migration_row(self, deadline):
        """This migration's row in /os-migrations, or None if unreadable."""
        params = {'instance_uuid': self.server.id,
                  'migration_type': 'live-migration'}
        context = errors.Context('list_all', server=self.server.label)
        try:
            rows = self._listing.rows(params, context, deadline)
        except exceptions.PolicyRefused:
            self._listing = None
            return None
        for row in rows:
            if str(row.get('id')) == str(self.migration):
                return row
        if self._listing.scope:
            # Rows carry the project of whoever started the migration: an
            # admin's migration of our server is not in our project's.
            self._listing = None
            return None
        raise exceptions.MigrationNotFound(
            f'Server {self.server.label} has no migration {self.migration}')

    def _from_server(self, deadline):
        """The outcome from the server and its actions (no admin rights)."""
        body = self.compute.get_json(
            f'/servers/{self.server.id}', negotiation.BASIC,
            errors.Context('show server', server=self.server.label),
            deadline=deadline)
        server = body.get('server', {})
        if server.get('OS-EXT-STS:task_state') == 'migrating':
            # Out of the index yet migrating: post-copy, or the moment
            # between the guest landing and the status turning completed.
            return waiting.Reading('migrating')
        result, reason = _result_from_actions(self.compute, self.server,
                                              server, deadline)
        return waiting.Reading(result, done=True,
                               outcome=statuses.FINAL[result], reason=reason)


def final_reading(compute, server_ref, row, deadline=None):
    """The Reading for a migration's /os-migrations row."""
    status = row.get('status') or ''
    if status not in statuses.FINAL:
        return waiting.Reading(status)
    result = statuses.FINAL[status]
    if result == outcome.COMPLETED:
        reason = _completed_on(row.get('dest_compute'))
    elif result == outcome.CANCELLED:
        reason = ("cancelled: the migration was aborted, or Nova's "
                  'live_migration_completion_timeout ran out')
    else:
        server = failures.server_body(compute, server_ref, deadline)
        if status == 'error' and server.get(
                'OS-EXT-STS:task_state') == 'migrating':
            # Nova marks the migration error while it cleans up after a
            # failed pre_live_migration, then failed once rolled back
            # (nova/compute/manager.py _cleanup_pre_live_migration).
            return waiting.Reading(status)
        why = failures.reason(compute, server_ref, row.get('source_compute'),
                              deadline, server)
        reason = f'{status}: {why}'
    return waiting.Reading(status, done=True, outcome=result, reason=reason,
                           migration_time=_migration_time(row))


def _completed_on(host):
    """``completed on compute-2``; Nova shows hosts to admins only by
    default (``os_compute_api:os-migrations:index:host``,
    ``os_compute_api:os-extended-server-attributes``), so a project
    manager is told why the host is missing rather than left to wonder
    why an admin's result names one."""
    if host:
        return f'completed on {terminal.printable(host)}'
    return 'completed (the destination host is not shown to you)'


def _migration_time(row):
    """Seconds from ``created_at`` to ``updated_at`` of a final row (Nova
    saves the record at its final status, so ``updated_at`` is its end),
    or None without both."""
    try:
        created = datetime.datetime.fromisoformat(row['created_at'])
        updated = datetime.datetime.fromisoformat(row['updated_at'])
    except (KeyError, TypeError, ValueError):
        return None
    seconds = (updated - created).total_seconds()
    return seconds if seconds >= 0 else None


def _result_from_actions(compute, server_ref, server, deadline):
    """(status, reason) of the latest live migration, from its actions
    and the server's body."""
    action_list = failures.actions(compute, server_ref, deadline)
    migration = failures.latest(action_list, 'live-migration')
    cancel = failures.latest(action_list, 'live_migration_cancel')
    if migration is None:
        return 'error', 'Nova recorded no live-migration action'
    listed, _ = failures.events(compute, server_ref,
                                migration['request_id'], deadline)
    events = {e.get('event'): e for e in listed}
    landed = events.get('compute_post_live_migration_at_destination', {})
    if landed.get('result') == 'Success':
        # The words a /os-migrations row gives (final_reading), when the
        # caller may see the host (admin-only by default,
        # os_compute_api:os-extended-server-attributes).
        return 'completed', _completed_on(
            server.get('OS-EXT-SRV-ATTR:host'))
    if cancel is not None and (cancel.get('start_time') or '') >= (
            migration.get('start_time') or ''):
        return 'cancelled', 'cancelled: the migration was aborted'
    why = failures.reason(compute, server_ref, deadline=deadline,
                          server=server)
    return 'failed', f'failed: {why}'


def running_ahead(compute, server_ref, migration_id, deadline=None):
    """What a migration not running yet waits behind: (source host, [(a
    server's UUID, its migration's ID), ...]) for the live migrations
    running from its source host; the host is None, or the list empty,
    where the caller may not read them.

    Nova runs ``max_concurrent_live_migrations`` live migrations per
    source host and queues the rest (nova/compute/manager.py
    ``ComputeManager.live_migration``). Only on the path of a refusal: a
    read of the server's migration index, then one listing of the host.
    """
    row = index_row(compute, server_ref, migration_id, deadline)
    host = (row or {}).get('source_compute')
    if not host:
        return None, []
    try:
        rows = Listing(compute).rows(
            {'source_compute': host, 'status': statuses.RUNNING,
             'migration_type': 'live-migration'},
            errors.Context('list_all', server=f'host '
                           f'{terminal.printable(host)}'), deadline)
    except exceptions.ForceCompleteError:
        return host, []
    return host, [(r.get('instance_uuid'), r.get('id')) for r in rows
                  if r.get('status') == statuses.RUNNING]


def saved_at(text):
    """Unix time of a migration's ``updated_at`` (Nova's format, UTC
    without a zone: ``2016-01-29T13:42:02.000000``), or None.

    Nova's libvirt driver saves the memory counters every
    ``live_migration_monitor_interval`` and the save sets ``updated_at``
    (``migration.save_stats`` -> ``Migration.save()``, oslo.db's
    ``TimestampMixin``), so this dates the counters, not the request.
    """
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(
            text.strip().replace('Z', '+00:00'))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()
