"""Drain a host: force the live migrations leaving it as Nova runs them.

nova-compute runs at most ``max_concurrent_live_migrations`` live
migrations per source host at a time (default 1); the rest wait as
``queued`` and then ``preparing`` (nova/compute/manager.py:
``ComputeManager.live_migration`` sets ``queued`` and submits
``_do_live_migration`` to an executor of that size; ``_do_live_migration``
sets ``preparing``, then ``running``). Nova refuses to force anything not
``running`` yet (400, ``InvalidMigrationState``). So a drain is a watch:

* the migrations leaving the host are found with ``/os-migrations``
  filtered on ``source_compute`` (``host`` would also match migrations
  arriving), once per in-progress status, the listings sent together;
* every poll then reads one listing of the host, newest first, paged only
  until every migration still followed has been seen (a migration started
  meanwhile is newer, so it shows up too), for all migrations at once;
* a migration is forced when it reaches ``running`` and the policy
  (diagnosis.Policy: at once, or once stalled or old enough) says so; the
  policy's memory readings come from the server's migration index, read
  only for running migrations not forced yet;
* force requests and index reads go out from a pool of ``concurrency``
  workers over the one shared keystoneauth session.

With ``wait`` the watch lasts until nothing leaves the host, and every
migration gets its real final outcome. Without it, what runs now is forced
(or, with a policy, watched until it is forced or ends) and the rest are
reported ``not forced``: exit status 9, never 0, while migrations are
still queued to leave the host.
"""

import concurrent.futures
import dataclasses
import difflib
import signal
import typing

from requests import adapters as requests_adapters

from novaclient_force import (
    diagnosis,
    errors,
    exceptions,
    hints,
    negotiation,
    outcome,
    resolve,
    signals,
    terminal,
    waiting,
)

NOT_STARTED = ('accepted', 'queued', 'preparing')
POST_COPY = 'running (post-copy)'
#: Statuses of a live migration still leaving its host (nova-api-facts §10).
LEAVING = NOT_STARTED + ('running', POST_COPY)
#: Refusals that may only mean the migration moved on between the listing
#: and our request (it finished, or switched to post-copy); the next
#: listing tells: still ``running`` there means the refusal stands.
_OVERTAKEN = (exceptions.MigrationNotRunning, exceptions.ServerNotMigrating,
              exceptions.AlreadyPostCopy)
#: How many close host names an unknown-host error suggests.
CLOSE_MATCHES = 3


class HostOutcomes(list):
    """The Outcomes of a drain, one per migration; ``note`` says, when
    there are none, whether the host is known to exist."""

    note = ''


def force_complete_host(compute, host, wait=False, timeout=None,
                        concurrency=8, progress=None, policy=None,
                        cli='openstack'):
    """One Outcome per live migration leaving ``host`` (HostOutcomes).

    Raises when the migrations cannot even be listed (policy, cloud too
    old, unreachable), and UnknownHost when nothing leaves a host the
    cloud does not know (where the caller may list the compute hosts).
    """
    if not isinstance(host, str) or not host.strip():
        raise exceptions.InvalidArgument(
            'A host name is required, got %r' % (host,))
    if (isinstance(concurrency, bool) or not isinstance(concurrency, int)
            or concurrency < 1):
        raise exceptions.InvalidArgument(
            'Invalid concurrency %r: give a whole number, 1 or more'
            % (concurrency,))
    policy = policy or diagnosis.Policy()
    ensure_pool_size(compute.session, concurrency)
    pool = concurrent.futures.ThreadPoolExecutor(concurrency)
    run = _Drain(compute, host, policy, pool, wait, cli)
    names = pool.submit(_server_names, compute, host)
    stopped = None
    try:
        run.discover()
        if not run.tracks:
            results = HostOutcomes()
            results.note = _nothing_leaving(compute, host)
            return results
        reading, _ = waiting.wait_for_outcome(
            run.read, timeout, clock=compute.clock, sleep=compute.sleep,
            progress=run.report(progress))
        if reading.outcome == outcome.UNKNOWN:
            run.unreadable(reading)
        elif not reading.done:
            run.time_out(timeout)
        results = HostOutcomes(run.results())
        known = names.result()
    except KeyboardInterrupt as stop:
        stopped = stop
    finally:
        # On a signal nothing more goes out; otherwise every request the
        # pool holds is answered before the drain returns or raises.
        pool.shutdown(wait=stopped is None, cancel_futures=bool(stopped))
    if stopped is not None:
        signum = signals.signum_of(stopped)
        run.interrupted(signal.Signals(signum).name)
        results = run.results()
        known = names.result() if names.done() else {}
    for result in results:
        result.server_name = known.get(result.server, '')
    if stopped is not None:
        raise exceptions.Interrupted(signum, results) from None
    return results


@dataclasses.dataclass
class _Track:
    """What the drain knows of one migration leaving the host."""

    row: dict
    result: outcome.Outcome
    samples: list = dataclasses.field(default_factory=list)
    running_since: typing.Optional[float] = None
    why: str = ''                    # why it was forced, or left alone
    refusal: typing.Optional[Exception] = None   # see _OVERTAKEN
    done: bool = False
    sending: bool = False            # a force-complete awaits its answer

    @property
    def status(self):
        return self.row.get('status') or ''

    @property
    def key(self):
        return self.row.get('uuid') or self.row.get('id')


class _Drain:

    def __init__(self, compute, host, policy, pool, wait, cli):
        self.compute = compute
        self.host = host
        self.policy = policy
        self.pool = pool
        self.wait = wait
        self.cli = cli
        self.admin = resolve.is_admin(compute)
        self.start = compute.clock()
        self.tracks = {}
        self._discovered = False        # the next read may use discover()
        self.context = errors.Context(
            'list_all', server='host %s' % terminal.printable(host))
        #: Without --wait only what runs at the first look is acted on.
        self.acting_on = None
        #: Extra listing filters: a project manager may list only its own
        #: project's migrations (see discover()).
        self.scope = {}

    # -- reading the host -------------------------------------------------

    def discover(self):
        """Every migration leaving the host now: one listing per status
        that leaves it, sent together (Nova's filter takes one status).

        Listing every project's migrations is admin-only
        (``os-migrations:index:all_projects``); a project manager may list
        those of its own project (``project_id``, 2.80+;
        nova/api/openstack/compute/migrations.py ``_index``), so on that
        refusal the drain narrows to the caller's project once.
        """
        first = [self.pool.submit(self._by_status, status)
                 for status in LEAVING]
        try:
            listings = [listing.result() for listing in first]
        except exceptions.PolicyRefused:
            # The rest of the first batch ends before the scope changes.
            concurrent.futures.wait(first)
            if (self.scope or self.compute.version
                    < negotiation.PROJECT_FILTER):
                raise
            self.scope = {'project_id':
                          self.compute.session.get_project_id()}
            listings = list(self.pool.map(self._by_status, LEAVING))
        for rows in listings:
            self._absorb(rows)
        self._discovered = True

    def _by_status(self, status):
        return resolve.os_migrations(
            self.compute, {'source_compute': self.host, 'status': status,
                           'migration_type': 'live-migration',
                           **self.scope}, self.context)

    def _listing(self, deadline):
        wanted = {t.key for t in self.tracks.values() if not t.done}
        return resolve.os_migrations(
            self.compute, {'source_compute': self.host,
                           'migration_type': 'live-migration',
                           **self.scope},
            self.context, deadline=deadline,
            until=lambda rows: wanted <= {_key(r) for r in rows})

    def _absorb(self, rows):
        """Take in a listing; the keys of the rows leaving the host."""
        seen = set()
        for row in rows:
            if not _leaves(row, self.host):
                continue
            key = _key(row)
            seen.add(key)
            track = self.tracks.get(key)
            if track is None:
                if row.get('status') not in LEAVING:
                    continue     # over before we ever saw it leave
                track = self.tracks[key] = _Track(row, outcome.Outcome(
                    row['instance_uuid'], int(row['id']), outcome.ACCEPTED,
                    migration_uuid=row.get('uuid') or ''))
            elif not track.done:
                track.row = row
        return seen

    def read(self, deadline):
        """One poll for all migrations (the first one reuses discover()'s
        listings); a Reading that is done once nothing is left to follow."""
        if self._discovered:
            self._discovered = False
        else:
            seen = self._absorb(self._listing(deadline))
            for track in self._active():
                if track.key not in seen:
                    self._lost(track)
        self.step(deadline)
        # The statuses of what is left: the loop polls again promptly
        # when they change (the next migration of the queue is running).
        return waiting.Reading(
            ' '.join('%s:%s%s' % (t.key, t.status, '+' if t.result.forced
                                  else '') for t in self._active()),
            done=self._finished())

    # -- deciding ----------------------------------------------------------

    def step(self, deadline):
        """Act on the latest listing: record ends, read and judge the
        running migrations, force those the policy picks."""
        now = self.compute.clock()
        for track in self._active():
            track.result.migration_status = track.status
            if track.status == 'running' and track.running_since is None:
                track.running_since = now
            if track.status in waiting.FINAL:
                self._ended(track, deadline)
            elif track.refusal is not None and track.status == 'running':
                self._refused(track, track.refusal)
        if self.acting_on is None:
            self.acting_on = {t.key for t in self._active()
                              if t.status == 'running'}
        candidates = [t for t in self._active()
                      if t.status == 'running' and not t.result.forced
                      and t.refusal is None and self._acts_on(t)]
        if not self.policy.forces_at_once:
            list(self.pool.map(lambda t: self._sample(t, deadline),
                               candidates))
        chosen = candidates
        if not self.policy.forces_at_once:
            chosen = []
            for track in candidates:
                track.result.diagnosis = diagnosis.classify(track.samples)
                force, track.why = self.policy.decide(
                    track.result.diagnosis, now - track.running_since)
                if force:
                    chosen.append(track)
        list(self.pool.map(lambda t: self._force(t, deadline), chosen))
        if not self.wait:
            self._settle_without_wait()

    def _acts_on(self, track):
        return self.wait or track.key in self.acting_on

    def _sample(self, track, deadline):
        """One reading of the memory counters (server migration index)."""
        server = resolve.ServerRef(track.result.server)
        try:
            rows = resolve.in_progress(self.compute, server,
                                       deadline=deadline)
        except exceptions.ForceCompleteError:
            return      # no reading this time; the policy copes (Policy)
        for row in rows:
            if str(row.get('id')) == str(track.result.migration):
                track.samples.append(diagnosis.Sample(
                    self.compute.clock() - self.start,
                    row.get('memory_remaining_bytes'),
                    row.get('memory_processed_bytes'),
                    row.get('memory_total_bytes')))

    def _force(self, track, deadline):
        result = track.result
        track.sending = True
        try:
            self.compute.request(
                'POST', '/servers/%s/migrations/%s/action' % (
                    result.server, result.migration),
                negotiation.FORCE_COMPLETE,
                errors.Context('force_complete', server=result.server,
                               migration=result.migration,
                               server_id=result.server, cli=self.cli,
                               admin=self.admin),
                json={'force_complete': None}, deadline=deadline)
        except _OVERTAKEN as exc:
            # With or without --wait: a migration that ended on its own
            # meanwhile is reported as it ended, not as a refusal.
            track.refusal = exc
            track.why = 'force-complete refused: %s' % exc
        except exceptions.ForceCompleteError as exc:
            self._refused(track, exc)
        else:
            result.forced = True
            result.reason = 'Nova accepted the request'
            result.duration = self.compute.clock() - self.start
        finally:
            track.sending = False

    def _refused(self, track, exc):
        result = track.result
        result.status = outcome.ERROR
        result.reason = str(exc)
        result.error = exc
        result.duration = self.compute.clock() - self.start
        track.done = True

    def _settle_without_wait(self):
        """Without --wait: stop once what ran at the first look is forced
        or over; everything else leaving the host is not forced."""
        undecided = [t for t in self._active() if t.key in self.acting_on
                     and t.status == 'running' and not t.result.forced]
        if undecided:
            return
        for track in self._active():
            if track.result.forced:
                track.result.reason = self._accepted_reason(track)
            else:
                self._not_forced(track)
            track.done = True

    # -- results -----------------------------------------------------------

    def _ended(self, track, deadline):
        reading = waiting.final_reading(
            self.compute, resolve.ServerRef(track.result.server),
            track.row, deadline)
        if not reading.done:
            return      # still rolling back: a later poll tells the end
        result = track.result
        result.status = reading.outcome
        result.reason = reading.reason + self._forcing_note(track)
        result.hint = ''
        result.duration = self.compute.clock() - self.start
        track.done = True

    def _forcing_note(self, track):
        if track.result.forced:
            return ' (forced: %s)' % track.why if track.why else ''
        if track.why:
            return ' without forcing (%s)' % track.why
        return ' without forcing'

    def _accepted_reason(self, track):
        self._follow(track)
        return ('Nova accepted the request; the outcome is not known yet%s'
                % self._forcing_note(track))

    def _follow(self, track):
        """Say how to follow a migration whose outcome we do not know."""
        track.result.hint = hints.follow(track.result.server, self.cli,
                                         self.admin)

    def _not_forced(self, track):
        result = track.result
        result.status = outcome.NOT_FORCED
        result.duration = self.compute.clock() - self.start
        status = track.status
        if status in NOT_STARTED:
            result.reason = (
                '%s: Nova runs max_concurrent_live_migrations live '
                'migrations per host at a time and this one has not started '
                'running; rerun with --wait to force each one as it runs'
                % status)
        elif status == POST_COPY:
            result.reason = ('already switched to post-copy: it completes '
                             'without help')
        elif track.why:
            result.reason = track.why
        else:
            result.reason = ('started running after the first look; rerun '
                             'to force it')

    def _lost(self, track):
        """Gone from the listing: its outcome is unknown, and a forced
        one's acceptance stands (never a refusal)."""
        self._unknown(track, 'its outcome could not be read: it is no '
                      'longer listed')

    def _unknown(self, track, why):
        result = track.result
        result.status = outcome.UNKNOWN
        result.reason = waiting.unknown_reason(
            waiting.Reading(track.status, reason=why),
            result.forced) + self._forcing_note(track)
        self._follow(track)
        result.duration = self.compute.clock() - self.start
        track.done = True

    def interrupted(self, signal_name):
        """A signal stopped the drain: what is known of each migration
        not finished yet (accepted, answer outstanding, not forced)."""
        for track in self._active():
            result = track.result
            result.duration = self.compute.clock() - self.start
            if track.sending:
                result.status = outcome.UNKNOWN
                result.reason = (
                    'interrupted (%s) while the answer to the force-complete '
                    'was outstanding: Nova may have accepted it'
                    % signal_name)
                self._follow(track)
            elif result.forced:
                result.reason = (
                    'Nova accepted the request; stopped waiting (%s), the '
                    'migration goes on' % signal_name)
                self._follow(track)
            else:
                result.status = outcome.NOT_FORCED
                result.reason = 'interrupted (%s) before it was forced' % (
                    signal_name)
            track.done = True

    def unreadable(self, reading):
        """The wait gave up reading (outage, expired credentials)."""
        for track in self._active():
            self._unknown(track, reading.reason)

    def time_out(self, timeout):
        for track in self._active():
            result = track.result
            if result.forced and not self.wait:
                result.reason = self._accepted_reason(track)
            elif self.wait:
                result.status = outcome.TIMED_OUT
                result.reason = waiting.timed_out_reason(
                    waiting.Reading(track.status), timeout
                ) + self._forcing_note(track)
                self._follow(track)
                result.duration = self.compute.clock() - self.start
            else:
                self._not_forced(track)
            track.done = True

    def results(self):
        for track in self.tracks.values():
            track.result.policy_note = track.why
        return [t.result for t in sorted(
            self.tracks.values(), key=lambda t: t.result.migration)]

    def _active(self):
        return [t for t in self.tracks.values() if not t.done]

    def _finished(self):
        return not self._active()

    def report(self, progress):
        if progress is None:
            return None

        def report(reading, elapsed):
            active = self._active()
            for track in active:
                last = track.samples[-1] if track.samples else None
                progress(waiting.Progress(
                    track.result.server, track.result.migration,
                    track.status,
                    last.processed if last else None,
                    last.remaining if last else None,
                    last.total if last else None, elapsed,
                    reading.unreachable_for, reading.problem,
                    diagnosis=track.result.diagnosis,
                    forced=track.result.forced, poll_size=len(active)))
        return report


def _key(row):
    return row.get('uuid') or row.get('id')


def _leaves(row, host):
    # Host fields are null for callers without the index:host policy.
    return (row.get('source_compute') in (host, None)
            and row.get('migration_type', 'live-migration')
            == 'live-migration')


def _server_names(compute, host):
    """{server UUID: name} for the servers on ``host``, for the report.

    One request per page of servers (``servers_links``), sent alongside
    the first listings; names are a courtesy, so a refusal (the ``host``
    filter is admin-only) leaves them blank.
    """
    try:
        servers = resolve.pages(
            compute, '/servers', 'servers', negotiation.BASIC,
            {'host': host, 'all_tenants': '1'},
            errors.Context('find', server='servers on %s'
                           % terminal.printable(host)))
    except exceptions.ForceCompleteError:
        return {}
    return {s.get('id'): s.get('name', '') for s in servers}


def compute_hosts(compute):
    """The names of the cloud's compute hosts, or None if not readable.

    ``GET /os-services?binary=nova-compute``: its policy
    ``os_compute_api:os-services:list`` is admin-only by default
    (nova/policies/services.py), as are ``os-hypervisors``, ``os-hosts``
    and the availability-zone detail (nova/policies/hypervisors.py,
    hosts.py, availability_zone.py); a project manager's ``host`` filter
    on ``/servers`` is dropped (``servers:allow_all_filters`` is admin).
    So only an admin can tell a mistyped host from an idle one; asking
    costs one request, and only when nothing leaves the host.
    """
    if not resolve.is_admin(compute):
        return None
    try:
        body = compute.get_json(
            '/os-services', negotiation.BASIC,
            errors.Context('list compute hosts'),
            params={'binary': 'nova-compute'})
    except exceptions.ForceCompleteError:
        return None
    return sorted({s.get('host') for s in body.get('services', ())
                   if s.get('host')})


def _nothing_leaving(compute, host):
    """The one line for a host with nothing leaving it, or UnknownHost."""
    shown = terminal.printable(host)
    known = compute_hosts(compute)
    if known is None:
        why = ('the compute service list could not be read'
               if resolve.is_admin(compute) else 'only an admin can')
        return ('No live migration leaving %s is visible to you (whether '
                'the host exists was not checked: %s)' % (shown, why))
    if host not in known:
        close = difflib.get_close_matches(host, known, n=CLOSE_MATCHES)
        hint = ('; did you mean %s?' % ' or '.join(
            terminal.printable(h) for h in close)) if close else (
            '; known hosts: %s' % ', '.join(
                terminal.printable(h) for h in known[:10]))
        raise exceptions.UnknownHost(
            'No compute host is named %s%s' % (shown, hint))
    return 'No live migration is leaving %s' % shown


def ensure_pool_size(session, size):
    """Let the session keep ``size`` connections per host open.

    requests keeps 10 per host by default; more workers than that would
    open and drop a connection on every request.
    """
    requests_session = session.session
    for prefix, current in list(requests_session.adapters.items()):
        if (isinstance(current, requests_adapters.HTTPAdapter)
                and current._pool_maxsize < size):
            requests_session.mount(prefix, type(current)(
                pool_connections=current._pool_connections,
                pool_maxsize=size, max_retries=current.max_retries))
