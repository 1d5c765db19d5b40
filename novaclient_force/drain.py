"""Drain a host: force the live migrations leaving it as Nova runs them.

nova-compute runs at most ``max_concurrent_live_migrations`` live
migrations per source host at a time (default 1); the rest wait as
``queued`` and then ``preparing`` (statuses.py), and Nova refuses to force
anything not ``running`` yet. So a drain is a watch:

* the migrations leaving the host are found with ``/os-migrations``,
  and every poll reads one listing of the host for all of them at once
  (observe.Departures);
* a migration is forced when it reaches ``running`` and the policy
  (diagnosis.Policy: at once, or once stalled or old enough) says so; the
  policy's memory readings come from the server's migration index, read
  only for running migrations not forced yet whose ``updated_at`` in the
  listing shows a save since: the drain looks again just after each
  save Nova is due to make (saves.py);
* force requests and index reads go out from a pool of ``concurrency``
  workers over the one shared keystoneauth session.

With ``wait`` the watch lasts until nothing leaves the host, and every
migration gets its real final outcome. Without it, what runs now is forced
(or, with a policy, watched until it is forced or ends) and the rest are
reported ``not forced``: exit status 9, never 0, while migrations are
still queued to leave the host.

Each migration's fate is a Follower's (follower.py), as for one server.
"""

import concurrent.futures
import dataclasses
import functools
import signal

from novaclient_force import (
    arguments,
    diagnosis,
    exceptions,
    follower,
    forcing,
    hints,
    hosts,
    observe,
    resolve,
    saves,
    signals,
    statuses,
    waiting,
)
from novaclient_force.connection_pool import ensure_pool_size
from novaclient_force.hosts import compute_hosts

# What the CLIs and scripts use; compute_hosts is hosts.py's, kept here.
__all__ = ['HostOutcomes', 'compute_hosts', 'ensure_pool_size',
           'force_complete_host']

#: With --wait, seconds without any change on the host, once nothing
#: followed can be forced, after which the drain stops: what is left is
#: queued behind live migrations that do not move (one whose force-complete
#: failed for good, or another project's), and would wait without bound.
STILL_FOR = 600.0


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
    arguments.host(host)
    arguments.concurrency(concurrency)
    policy = policy or diagnosis.Policy()
    forcing.can_read_migrations(compute, discover=False,
                                needs='a host drain')
    ensure_pool_size(compute.session, concurrency)
    pool = concurrent.futures.ThreadPoolExecutor(concurrency)
    run = _Drain(compute, host, policy, pool, wait, cli)
    # Every request, the first listing and the names included, is bounded
    # by the deadline.
    deadline = None if timeout is None else run.start + timeout
    names = None
    stopped = None
    try:
        run.discover(deadline)
        if not run.followers:
            results = HostOutcomes()
            results.note = hosts.nothing_leaving(compute, host, deadline)
            return results
        # Looked up once the first look has settled the microversion.
        names = hosts.names_later(compute, host, deadline)
        left = None if deadline is None else max(
            deadline - compute.clock(), 0)
        reading, _ = waiting.wait_for_outcome(
            run.read, left, clock=compute.clock, sleep=compute.sleep,
            progress=run.report(progress))
        run.waited(reading, timeout)
        # Inside the try: a signal while the last answers are awaited
        # still gets every row reported.
        pool.shutdown()
        results = HostOutcomes(run.results())
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
    known = {} if names is None else hosts.names_now(
        names, wait=stopped is None)
    for result in results:
        result.server_name = known.get(result.server, '')
    if stopped is not None:
        raise exceptions.Interrupted(signum, results) from None
    return results


class _Drain:
    """One drain: a Follower per migration leaving the host, and what is
    read and sent for all of them."""

    def __init__(self, compute, host, policy, pool, wait, cli):
        self.compute = compute
        self.policy = policy
        self.pool = pool
        self.wait = wait
        self.cli = cli
        self.admin = resolve.is_admin(compute)
        self.start = compute.clock()
        self.followers = {}             # by migration UUID (or ID)
        self.rows = {}                  # the latest row of each
        self._discovered = False        # the next read may use discover()
        self.departures = observe.Departures(compute, host, pool)
        self.offset = saves.Offset()    # the cloud's clock, for them all
        #: Without --wait only what runs at the first look is acted on.
        self.acting_on = None
        self.seen = None                # the statuses followed, last poll
        self.moved_at = self.start      # when they last changed

    # -- reading the host -------------------------------------------------

    def discover(self, deadline=None):
        """Every migration leaving the host now."""
        # Without --wait no later poll would find what the first look
        # missed: it reads the host's listing too.
        self._absorb(self.departures.discover(deadline, again=not self.wait))
        self._discovered = True

    def _absorb(self, rows):
        """Take in (key, row) pairs of migrations leaving the host."""
        for key, row in rows:
            one = self.followers.get(key)
            if one is None:
                if row.get('status') not in statuses.LEAVING:
                    continue     # over before we ever saw it leave
                server = row['instance_uuid']
                one = self.followers[key] = follower.Follower(
                    server, int(row['id']), self.start,
                    functools.partial(hints.follow, server, self.cli,
                                      self.admin),
                    self.policy, migration_uuid=row.get('uuid') or '',
                    offset=self.offset)
            if not one.done:
                self.rows[key] = row

    def read(self, deadline):
        """One poll for all migrations (the first one reuses discover()'s
        listings); a Reading that is done once nothing is left to follow."""
        if self._discovered:
            self._discovered = False
        else:
            rows = self.departures.poll(
                {key for key, _ in self._active()}, deadline)
            self._absorb(rows.items())
            for key, one in self._active():
                if key not in rows:
                    # Gone from the listing: its outcome is unknown, and a
                    # forced one's acceptance stands (never a refusal).
                    one.unknown('its outcome could not be read: it is no '
                                'longer listed', self.compute.clock())
        self.step(deadline)
        # The statuses of what is left: the loop polls again promptly
        # when they change (the next migration of the queue is running).
        now = self.compute.clock()
        looks = [look for _, one in self._active()
                 if (look := one.next_look(now)) is not None]
        return waiting.Reading(' '.join(
            f'{key}:{one.status}{"+" if one.forced else ""}'
            for key, one in self._active()), done=not self._active(),
            prompt=any(one.forced for _, one in self._active()),
            look_at=min(looks, default=None))

    # -- deciding ----------------------------------------------------------

    def step(self, deadline):
        """Act on the latest listing: record ends, read and judge the
        running migrations, force those the policy picks."""
        now = self.compute.clock()
        for key, one in self._active():
            one.saw(self.rows[key].get('status') or '', now)
            one.saved(now, observe.saved_at(self.rows[key].get('updated_at')))
            if one.status in statuses.FINAL:
                self._ended(key, one, deadline)
            elif one.refusal is not None and one.status == statuses.RUNNING:
                # Still running after an OVERTAKEN refusal: it stands.
                one.refused(one.refusal, now)
        if self.acting_on is None:
            self.acting_on = {key for key, one in self._active()
                              if one.status == statuses.RUNNING}
        candidates = [one for key, one in self._active()
                      if one.forcible
                      and (self.wait or key in self.acting_on)]
        if not self.policy.forces_at_once:
            # only where the listing shows a save since (saves.py)
            list(self.pool.map(
                lambda one: self._sample(one, deadline),
                [one for one in candidates if one.worth_reading]))
        if deadline is not None and now >= deadline:
            candidates = []     # nothing mutating goes out after it
        chosen = [one for one in candidates if one.judge(now)]
        list(self.pool.map(lambda one: self._force(one, deadline), chosen))
        if not self.wait:
            self._settle_without_wait()
        else:
            self._give_up_if_still(now)

    def _give_up_if_still(self, now):
        """With --wait: stop following what is left once nothing on the
        host has changed for STILL_FOR seconds and nothing followed can
        be forced or is forced and running (it would end by itself)."""
        seen = {key: one.status for key, one in self._active()}
        if seen != self.seen:
            self.seen, self.moved_at = seen, now
        if any(one.forcible or one.forced for _, one in self._active()):
            self.moved_at = now
        elif now - self.moved_at >= STILL_FOR:
            for _, one in self._active():
                one.still(now - self.moved_at, now)

    def _sample(self, one, deadline):
        """One reading of the memory counters (server migration index)."""
        server = resolve.ServerRef(one.result.server)
        try:
            row = observe.index_row(self.compute, server,
                                    one.result.migration, deadline)
        except exceptions.ForceCompleteError:
            return      # no reading this time; the policy copes (Policy)
        if row is not None:
            one.sample(self.compute.clock(), row.get('memory_remaining_bytes'),
                       row.get('memory_processed_bytes'),
                       row.get('memory_total_bytes'),
                       observe.saved_at(row.get('updated_at')))

    def _force(self, one, deadline):
        one.sending_force()
        try:
            forcing.post(self.compute, resolve.ServerRef(one.result.server),
                         one.result.migration, self.cli, deadline)
        except follower.OVERTAKEN as exc:
            # With or without --wait: a migration that ended on its own
            # meanwhile is reported as it ended, not as a refusal.
            one.overtaken(exc)
        except exceptions.ForceCompleteError as exc:
            forcing.failed(one, exc, self.compute.clock())
        else:
            one.accepted(self.compute.clock())

    def _settle_without_wait(self):
        """Without --wait: stop once what ran at the first look is forced
        or over; everything else leaving the host is not forced."""
        if any(key in self.acting_on and (one.forcible or (
                one.refusal is not None and one.status == statuses.RUNNING))
               for key, one in self._active()):
            return      # to be forced, or a refusal the next look tells
        now = self.compute.clock()
        for _, one in self._active():
            one.unfollowed(now)

    def _ended(self, key, one, deadline):
        reading = observe.final_reading(
            self.compute, resolve.ServerRef(one.result.server),
            self.rows[key], deadline)
        if reading.done:    # else still rolling back: a later poll tells
            one.ended(reading, self.compute.clock())

    # -- how the wait ended ------------------------------------------------

    def interrupted(self, signal_name):
        """A signal stopped the drain: what is known of each migration
        not finished yet (accepted, answer outstanding, not forced)."""
        now = self.compute.clock()
        for _, one in self._active():
            one.interrupted(signal_name, now)

    def waited(self, reading, timeout):
        """The wait ended: what is still followed timed out, or could not
        be read (outage, expired credentials), or (without --wait) is
        left as accepted or not forced. ``reading`` is the whole host's:
        its status is no one migration's."""
        now = self.compute.clock()
        for _, one in self._active():
            one.waited(dataclasses.replace(reading, status=''), now,
                       timeout, self.wait)

    def results(self):
        return [one.result for one in sorted(
            self.followers.values(), key=lambda one: one.result.migration)]

    def _active(self):
        return [(key, one) for key, one in self.followers.items()
                if not one.done]

    def leaving(self):
        """The Followers of the migrations still followed."""
        return [one for _, one in self._active()]

    def report(self, progress):
        """The loop's callback: one Progress event per migration still
        followed, for each poll."""
        def report(reading, elapsed):
            active = self._active()
            for _, one in active:
                progress(one.progress(elapsed, reading, len(active)))
        return None if progress is None else report
