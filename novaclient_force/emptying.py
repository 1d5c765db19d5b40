"""Empty a host: disable it, move every server off it, verify it is
empty (``openstack compute host drain``; ``drain_host`` in the SDK).

drain.py forces live migrations someone else started; this module starts
them, and hands each one it finds leaving the host to drain.py's watch
(one Follower per migration, follower.py), which forces them as the
policy says. Between two looks it requests more: Nova runs
``max_concurrent_live_migrations`` per source host (default 1) and
queues the rest, a number the API does not show, so a drain keeps
``lookahead`` requests waiting in Nova's queue and no more. An
interrupted drain then leaves little queued in Nova, and the scheduler
places each server with the capacity of the moment.

The end is verified, never assumed: the host's servers are listed again
(all projects), and each server's own host is checked against its
migration. A migration ``completed`` whose server still shows the host
is reported as such, not counted as moved, and not waited on.
"""

import collections
import concurrent.futures
import signal

from novaclient_force import (
    arguments,
    compute_services,
    diagnosis,
    drain,
    drain_plan,
    emptied,
    errors,
    exceptions,
    failures,
    forcing,
    hints,
    negotiation,
    outcome,
    resolve,
    signals,
    statuses,
    terminal,
    waiting,
)
from novaclient_force.connection_pool import ensure_pool_size

#: Orders a drain may send its requests in (drain_plan.ordered).
ORDERS = ('soonest', 'listed')
#: The most requests left waiting in Nova's queue beyond what it runs.
MAX_LOOKAHEAD = 8
#: Requests and reads a drain sends at once.
WORKERS = 4
#: ``block_migration: auto`` (2.25).
LIVE_MIGRATE = (negotiation.APIVersion('2.25'), "block_migration 'auto'")
#: The rules an admin passes under Nova's default policy and a drain
#: needs (nova/policies/services.py, servers.py, migrations.py,
#: migrate_server.py).
ADMIN_RULES = ('os_compute_api:os-services:list',
               'os_compute_api:os-services:update',
               'os_compute_api:servers:detail:get_all_tenants',
               'os_compute_api:os-migrations:index:all_projects',
               'os_compute_api:os-migrate-server:migrate_live:host')


def check(host, order, lookahead, deadline, target_host, force=True,
          disable=True, disable_reason=None):
    """InvalidArgument for options no drain can run with, before
    anything is sent."""
    arguments.host(host)
    if order not in ORDERS:
        raise exceptions.InvalidArgument(
            f'Invalid order {order!r}: give one of {", ".join(ORDERS)}')
    if (isinstance(lookahead, bool) or not isinstance(lookahead, int)
            or not 0 <= lookahead <= MAX_LOOKAHEAD):
        raise exceptions.InvalidArgument(
            f'Invalid lookahead {lookahead!r}: give a whole number from 0 '
            f'to {MAX_LOOKAHEAD}')
    if deadline is not None:
        arguments.timeout_in_range(
            arguments.threshold('deadline', deadline), 'deadline')
        if not force:
            raise exceptions.InvalidArgument(
                'A deadline forces what would overrun it: it cannot be '
                'combined with no forcing')
    if target_host is not None:
        arguments.host(target_host)
        if target_host == host:
            raise exceptions.InvalidArgument(
                'The target host must differ from the host being drained')
    if disable_reason is not None:
        if not disable:
            raise exceptions.InvalidArgument(
                'A disable reason applies only when the host is disabled')
        if (not isinstance(disable_reason, str)
                or not 1 <= len(disable_reason)
                <= compute_services.MAX_REASON):
            raise exceptions.InvalidArgument(
                'The disable reason must be 1 to '
                f'{compute_services.MAX_REASON} characters')


def refuse_unless_admin(compute):
    """PolicyRefused, before anything is sent or changed, for a caller
    without the admin role."""
    if resolve.is_admin(compute):
        return
    roles = ', '.join(compute.role_names()) or 'not known'
    raise exceptions.PolicyRefused(
        'Draining a host is an admin operation: under Nova\'s default '
        f'policy {", ".join(ADMIN_RULES)} need the admin role (your roles: '
        f'{terminal.printable(roles)}); nothing was changed')


def servers_on(compute, host, deadline=None):
    """Every server on ``host``, all projects (``/servers/detail``)."""
    return resolve.pages(
        compute, '/servers/detail', 'servers', negotiation.BASIC,
        {'host': host, 'all_tenants': '1'},
        errors.Context('find', server=f'servers on '
                       f'{terminal.printable(host)}'), deadline)


def drain_host(compute, host, disable=True, disable_reason=None,
               target_host=None, cold_migrate_stopped=False,
               order='soonest', policy=None, force=True, deadline=None,
               dry_run=False, timeout=None, lookahead=1, progress=None,
               cli='openstack'):
    """See ServerMigrationsManager.drain_host."""
    check(host, order, lookahead, deadline, target_host, force, disable,
          disable_reason)
    start = compute.clock()
    until = None if timeout is None else start + timeout
    refuse_unless_admin(compute)
    forcing.can_read_migrations(compute, discover=False,
                                needs='a host drain')
    service = compute_services.of_host(compute, host, until)
    rows = [drain_plan.plan(server, cold_migrate_stopped)
            for server in servers_on(compute, host, until)]
    if dry_run:
        return _planned(host, rows, service, order, disable)
    result = emptied.Emptied(host=host)
    was_disabled = service.disabled
    if disable and not service.disabled:
        service = compute_services.disable(
            compute, service,
            disable_reason or compute_services.default_reason(), until)
    result.disabled = service.disabled
    if not rows:
        result.empty = True
        shown = terminal.printable(host)
        if was_disabled:
            result.note = (f'{shown} is already drained: it holds no '
                           'server and its nova-compute service is disabled')
        else:
            state = 'now disabled' if service.disabled else 'enabled'
            result.note = (f'{shown} holds no server; its nova-compute '
                           f'service is {state}')
        return result
    policy = drain_plan.NoForce() if not force else (
        policy or diagnosis.Policy())
    ensure_pool_size(compute.session, WORKERS)
    pool = concurrent.futures.ThreadPoolExecutor(WORKERS)
    run = _Emptying(compute, host, rows, order, pool, target_host,
                    lookahead, cli)
    if deadline is not None:
        policy = drain_plan.DeadlinePolicy(
            policy, start + float(deadline), compute.clock, run.queue_seconds,
            float(deadline))
    run.drain = drain._Drain(compute, host, policy, pool, True, cli)
    stopped = None
    try:
        run.drain.discover(until)
        left = None if until is None else max(until - compute.clock(), 0)
        reading, _ = waiting.wait_for_outcome(
            run.read, left, clock=compute.clock, sleep=compute.sleep,
            progress=run.drain.report(progress))
        run.drain.waited(reading, timeout)
        result.extend(run.verified(until))
    except KeyboardInterrupt as stop:
        stopped = stop
    finally:
        pool.shutdown(wait=stopped is None, cancel_futures=bool(stopped))
    if stopped is not None:
        signum = signals.signum_of(stopped)
        run.drain.interrupted(signal.Signals(signum).name)
        raise exceptions.Interrupted(
            signum, emptied.Emptied(run.interrupted(
                signal.Signals(signum).name), host)) from None
    result.empty = not run.still_there
    result.still_there = [server.get('name') or server_id
                          for server_id, server in run.still_there.items()]
    return result


def _planned(host, rows, service, order, disable):
    """The dry run's rows: what would be done with each server, in the
    order it would be requested."""
    result = emptied.Emptied(host=host)
    result.dry_run = True
    result.disabled = service.disabled
    live = drain_plan.ordered(
        [row for row in rows if row.action == emptied.LIVE_MIGRATE], order)
    rest = [row for row in rows if row.action != emptied.LIVE_MIGRATE]
    for row in live + rest:
        result.append(emptied.ServerOutcome(
            row.id, None, emptied.PLANNED, f'would {row.action}: {row.why}',
            server_name=row.name, action=row.action, source=host,
            vm_status=row.status))
    if disable and not service.disabled:
        result.note = (f'would disable the nova-compute service of '
                       f'{terminal.printable(host)} first')
    return result


class _Emptying:
    """One drain that empties a host: what is still to request, what was
    requested, and the cold migrations, beside drain.py's watch of the
    live migrations leaving the host (``drain``, set by the caller)."""

    def __init__(self, compute, host, rows, order, pool, target_host,
                 lookahead, cli):
        self.compute = compute
        self.host = host
        self.rows = rows
        self.pool = pool
        self.target_host = target_host
        self.lookahead = lookahead
        self.cli = cli
        self.drain = None
        self.to_request = collections.deque(drain_plan.ordered(
            [row for row in rows if row.action == emptied.LIVE_MIGRATE],
            order))
        self.cold = collections.deque(
            row for row in rows if row.action == emptied.COLD_MIGRATE)
        self.unseen = {}        # requested, no migration seen leaving yet
        self.requested = set()  # every live migration requested (202)
        self.ended = {}         # server ID -> ServerOutcome, known early
        self.cold_now = None    # (row, phase) of the cold migration
        self.still_there = {}   # the last listing of the host, by ID
        self.last_transfer = None
        self.start = compute.clock()

    # -- the look between two polls ------------------------------------

    def read(self, deadline):
        """One poll of the host (drain.py: follow, force), then what the
        look-ahead allows; done once nothing is left to request, follow
        or confirm."""
        reading = self.drain.read(deadline)
        for one in self.drain.leaving():
            self.unseen.pop(one.result.server, None)
            rate = one.result.diagnosis and one.result.diagnosis.transfer_rate
            self.last_transfer = rate or self.last_transfer
        if deadline is None or self.compute.clock() < deadline:
            self._settle_unseen(deadline)
            self._request_live(deadline)
            self._cold_step(deadline)
        done = (reading.done and not self.to_request and not self.unseen
                and self.cold_now is None and not self.cold)
        return waiting.Reading(
            f'{reading.status} to-request:{len(self.to_request)} '
            f'unseen:{len(self.unseen)} cold:{len(self.cold)}'
            f'{self.cold_now and self.cold_now[1] or ""}', done=done,
            prompt=reading.prompt, look_at=reading.look_at)

    def _queued(self):
        """Requests waiting in Nova's queue: not running yet."""
        return len(self.unseen) + sum(
            1 for one in self.drain.leaving()
            if one.status in statuses.NOT_STARTED)

    def _request_live(self, deadline):
        while self.to_request and (
                self._queued() < self.lookahead
                or not (self.unseen or self.drain.leaving())):
            self._live_migrate(self.to_request.popleft(), deadline)

    def _live_migrate(self, row, deadline):
        ref = resolve.ServerRef(row.id, row.name)
        try:
            self.compute.request(
                'POST', f'/servers/{row.id}/action', LIVE_MIGRATE,
                errors.Context('live-migrate', server=ref.label,
                               server_id=row.id, cli=self.cli),
                json={'os-migrateLive': {'host': self.target_host,
                                         'block_migration': 'auto'}},
                deadline=deadline)
        except exceptions.ForceCompleteError as exc:
            self.ended[row.id] = self._refused(row, 'live migration', exc)
            return
        self.unseen[row.id] = self.compute.clock()
        self.requested.add(row.id)

    def _refused(self, row, what, exc):
        lost = forcing.lost_answer(exc)
        if lost:
            return self._row(row, outcome.UNKNOWN, f'the {what} request may '
                             'have reached Nova, but its answer was lost',
                             hint=hints.follow(row.id, self.cli))
        words = exc.nova_message or str(exc)
        return self._row(row, outcome.ERROR, f'Nova refused the {what}: '
                         f'{terminal.printable(words)}', error=exc)

    def _settle_unseen(self, deadline):
        """A requested live migration not seen leaving the host may have
        ended between two looks (an idle guest's copy takes seconds) or
        failed the conductor's checks: once the server is no longer
        migrating, the verification tells what became of it."""
        for server_id in list(self.unseen):
            body = failures.server_body(
                self.compute, resolve.ServerRef(server_id), deadline)
            if body and body.get('OS-EXT-STS:task_state') != 'migrating':
                del self.unseen[server_id]

    def queue_seconds(self, transfer=None):
        """Seconds the live migrations not running yet will take, for
        drain_plan.DeadlinePolicy: their first copy (at ``transfer``
        bytes/s or the last measured rate), and, once some have ended,
        what each of those took beyond its first copy (queueing,
        preparing, more rounds, cleaning up) for each of them too, and
        once more for the one judged, whose own estimate is only its
        copy. Sizes count: in the order that empties the host soonest
        the smallest guests go first, and a mean time per migration
        would make the larger ones behind them look quicker than they
        are."""
        rate = transfer or self.last_transfer
        waiting_rows = list(self.to_request) + [
            row for row in self.rows if row.id in self.unseen]
        waiting_rows += [row for row in self.rows if any(
            one.result.server == row.id and one.status
            in statuses.NOT_STARTED for one in self.drain.leaving())]
        copies = sum(drain_plan.copy_seconds(row.memory_bytes, rate)
                     for row in waiting_rows)
        done = [one for one in self.drain.followers.values() if one.done]
        if not done:
            return copies
        sizes = {row.id: row.memory_bytes for row in self.rows}
        copied = sum(drain_plan.copy_seconds(sizes.get(one.result.server),
                                             rate) for one in done)
        took = max(one.result.duration for one in done)
        extra = max(took - copied, 0.0) / len(done)
        return copies + extra * (len(waiting_rows) + 1)

    # -- cold migrations -----------------------------------------------

    def _cold_step(self, deadline):
        """One step of the cold migration under way (one at a time):
        request it, confirm it once VERIFY_RESIZE, see it end."""
        if self.cold_now is None:
            if self.cold:
                self._cold_migrate(self.cold.popleft(), deadline)
            return
        row, phase = self.cold_now
        ref = resolve.ServerRef(row.id, row.name)
        body = failures.server_body(self.compute, ref, deadline)
        if not body:
            return
        status = body.get('status')
        task = body.get('OS-EXT-STS:task_state')
        where = body.get('OS-EXT-SRV-ATTR:host')
        if phase == 'migrating' and status == 'VERIFY_RESIZE':
            self._confirm(row, ref, deadline)
        elif task is None and status != 'VERIFY_RESIZE' and (
                phase == 'confirming' or where == self.host):
            self.cold_now = None
            if where == self.host or status == 'ERROR':
                why = failures.reason(self.compute, ref, self.host,
                                      deadline, body)
                self.ended[row.id] = self._row(
                    row, outcome.FAILED, f'the cold migration failed: {why}')
            else:
                self.ended[row.id] = self._row(
                    row, outcome.COMPLETED, 'cold-migrated, resize '
                    'confirmed', destination=where or '')

    def _cold_migrate(self, row, deadline):
        ref = resolve.ServerRef(row.id, row.name)
        asked = {'host': self.target_host} if self.target_host else None
        need = (negotiation.APIVersion('2.56'), 'a cold migration to a '
                'named host') if asked else negotiation.BASIC
        try:
            self.compute.request(
                'POST', f'/servers/{row.id}/action', need,
                errors.Context('migrate', server=ref.label,
                               server_id=row.id, cli=self.cli),
                json={'migrate': asked}, deadline=deadline)
        except exceptions.ForceCompleteError as exc:
            self.ended[row.id] = self._refused(row, 'cold migration', exc)
            return
        self.cold_now = (row, 'migrating')

    def _confirm(self, row, ref, deadline):
        try:
            self.compute.request(
                'POST', f'/servers/{row.id}/action', negotiation.BASIC,
                errors.Context('confirm resize', server=ref.label,
                               server_id=row.id, cli=self.cli),
                json={'confirmResize': None}, deadline=deadline)
        except exceptions.ForceCompleteError as exc:
            self.cold_now = None
            self.ended[row.id] = self._refused(row, 'resize confirm', exc)
            return
        self.cold_now = (row, 'confirming')

    # -- the end ---------------------------------------------------------

    def _row(self, row, status, reason, **fields):
        return emptied.ServerOutcome(
            row.id, fields.pop('migration', None), status, reason,
            server_name=row.name, action=row.action, source=self.host,
            vm_status=row.status, **fields)

    def _followed(self):
        """The Outcome of each server's latest live migration followed."""
        latest = {}
        for one in self.drain.followers.values():
            now = latest.get(one.result.server)
            if now is None or one.result.migration > now.migration:
                latest[one.result.server] = one.result
        return latest

    def verified(self, deadline):
        """One ServerOutcome per server, from a new listing of the host
        and each moved server's own host."""
        still = {server.get('id'): server
                 for server in servers_on(self.compute, self.host, deadline)}
        followed = self._followed()
        moved = [row for row in self.rows if row.id not in still]
        hosts = dict(self.pool.map(
            lambda row: (row.id, failures.server_body(
                self.compute, resolve.ServerRef(row.id),
                deadline).get('OS-EXT-SRV-ATTR:host', '')), moved))
        results = [self._verdict(row, row.id in still, followed.get(row.id),
                                 hosts.get(row.id, ''), deadline)
                   for row in self.rows]
        known = {row.id for row in self.rows}
        for server_id, server in still.items():
            if server_id not in known:
                results.append(emptied.ServerOutcome(
                    server_id, None, emptied.LEFT, 'came onto the host '
                    'during the drain', server_name=server.get('name', ''),
                    action=emptied.LEAVE, source=self.host,
                    vm_status=server.get('status', '')))
        self.still_there = still
        return results

    def _verdict(self, row, there, followed, now_on, deadline):
        if row.id in self.ended and (there or self.ended[row.id].status
                                     != outcome.COMPLETED):
            return self.ended[row.id]
        if not there:
            return self._moved(row, followed, now_on)
        if row.action == emptied.LEAVE:
            return self._row(row, emptied.LEFT, row.why)
        if row.action == emptied.COLD_MIGRATE:
            return self._row(row, outcome.TIMED_OUT, 'the cold migration '
                             'had not ended when the drain stopped',
                             hint=hints.follow(row.id, self.cli))
        if followed is None and row.action == emptied.FOLLOW:
            return self._unfollowed(row, deadline)
        if followed is None and row.id not in self.requested:
            return self._row(row, outcome.TIMED_OUT, 'not requested: the '
                             'drain stopped first (--timeout)')
        if followed is None:
            return self._unfollowed(row, deadline)
        if followed.status == outcome.COMPLETED:
            return self._host_unchanged(row, followed.migration,
                                        **_copied(followed))
        return self._row(row, followed.status, followed.reason,
                         **_copied(followed))

    def _moved(self, row, followed, now_on):
        fields = _copied(followed) if followed else {}
        how = {emptied.COLD_MIGRATE: 'cold-migrated',
               emptied.LEAVE: 'no longer on the host (moved by someone '
                              'else)'}.get(row.action, 'live-migrated')
        reason = f'{how} to {terminal.printable(now_on)}' if now_on else how
        if row.action == emptied.COLD_MIGRATE:
            reason += ', resize confirmed'
        if followed is not None:
            note = followed.policy_note or (
                'forced as soon as it was running' if followed.forced
                else 'not forced')
            reason = f'{reason}, {note} (migration {followed.migration})'
        return self._row(row, outcome.COMPLETED, reason,
                         destination=now_on, **fields)

    def _host_unchanged(self, row, migration, **fields):
        """A live migration ``completed`` whose server Nova still shows
        on the host: left, not counted as moved."""
        fields['migration'] = migration
        return self._row(
            row, emptied.LEFT, f'its live migration {migration} '
            f'completed, but Nova still shows the server on '
            f'{terminal.printable(self.host)} (its host was not updated): '
            'not counted as moved; check it with '
            f'`{hints.command("openstack", "server", "show", row.id)}`',
            **fields)

    def _unfollowed(self, row, deadline):
        """A requested live migration never seen leaving the host, with
        the server still there: its newest migration says why."""
        rows = resolve.os_migrations(
            self.compute, {'instance_uuid': row.id,
                           'source_compute': self.host,
                           'migration_type': 'live-migration'},
            errors.Context('list', server=terminal.printable(row.id)),
            deadline)
        newest = max(rows, key=lambda m: m.get('id', 0), default=None)
        if newest is None:
            return self._row(row, outcome.UNKNOWN, 'Nova accepted the live '
                             'migration, but no migration of it is listed',
                             hint=hints.follow(row.id, self.cli))
        status = newest.get('status', '')
        mid = newest.get('id')
        if status == 'completed':
            return self._host_unchanged(row, mid)
        ended = statuses.FINAL.get(status, outcome.UNKNOWN)
        reason = failures.reason(self.compute, resolve.ServerRef(row.id),
                                 self.host, deadline)
        return self._row(row, ended, f'live migration {mid} '
                         f'{terminal.printable(status)}: {reason}',
                         migration=mid, migration_status=status)

    def interrupted(self, signal_name):
        """The rows known when a signal stopped the drain: nothing more is
        read or sent."""
        followed = self._followed()
        results = []
        for row in self.rows:
            if row.id in self.ended:
                results.append(self.ended[row.id])
            elif row.id in followed:
                results.append(self._row(row, followed[row.id].status,
                                         followed[row.id].reason,
                                         **_copied(followed[row.id])))
            elif row.id in self.requested or row.action == emptied.FOLLOW \
                    or (self.cold_now and self.cold_now[0].id == row.id):
                results.append(self._row(
                    row, outcome.UNKNOWN, f'interrupted ({signal_name}) '
                    'after Nova accepted the request: the migration goes '
                    'on in Nova', hint=hints.follow(row.id, self.cli)))
            else:
                results.append(self._row(
                    row, emptied.LEFT, f'interrupted ({signal_name}) before '
                    'it was requested' if row.action != emptied.LEAVE
                    else row.why))
        return results


def _copied(result):
    """What a server's row takes from its migration's Outcome."""
    pause = None if result.diagnosis is None else \
        result.diagnosis.estimated_pause
    return dict(migration=result.migration,
                migration_uuid=result.migration_uuid,
                migration_status=result.migration_status,
                duration=result.duration, forced=result.forced,
                policy_note=result.policy_note,
                diagnosis=result.diagnosis, hint=result.hint,
                error=result.error, estimated_pause=pause)
