"""Forcing one live migration, and following one to its outcome.

The work behind ServerMigrationsManager.force_complete and .wait: the
policy's watch before forcing, the POST, and the wait for how it ended;
a Follower (follower.py) keeps what is known and writes the Outcome. It
is kept out of the manager's module because ``nova`` imports that module
on every run (the extension installs the manager as
``cs.server_migrations``), even for ``nova list``; this one, and the
modules it needs, load only when a force or a wait runs.
"""

import dataclasses
import functools
import signal

import requests
import urllib3
from oslo_utils import uuidutils

from novaclient_force import (
    arguments,
    errors,
    exceptions,
    failures,
    follower,
    negotiation,
    observe,
    resolve,
    retrying,
    signals,
    statuses,
    terminal,
    waiting,
)


def post(compute, ref, migration_id, cli, deadline=None):
    """POST force_complete for one migration (resolve.ServerRef ``ref``):
    the one request behind the manager's live_migrate_force_complete, a
    single server's force and a host drain."""
    return compute.request(
        'POST', f'/servers/{ref.id}/migrations/{migration_id}/action',
        negotiation.FORCE_COMPLETE,
        errors.Context('force_complete', server=ref.label,
                       migration=migration_id, server_id=ref.id, cli=cli,
                       admin=resolve.is_admin(compute)),
        json={'force_complete': None}, deadline=deadline)


def lost_answer(error):
    """How the answer to a force-complete was lost, in a few words, when
    the request may have reached Nova (and so may have been applied);
    '' for anything else (an answer, or a request that never left).

    The transport's error keeps what requests raised under keystoneauth's
    (their ``__context__``): a read timeout, or a connection closed once
    the request was written (urllib3's ProtocolError: "Connection
    aborted", the peer closed or reset it), both after sending.
    """
    cause = error
    while cause is not None and not isinstance(
            cause, requests.exceptions.RequestException):
        cause = cause.__context__
    if isinstance(cause, requests.exceptions.ReadTimeout):
        return 'no answer to the force-complete came in the time allowed'
    if (isinstance(cause, requests.exceptions.ConnectionError)
            and cause.args and isinstance(
                cause.args[0], urllib3.exceptions.ProtocolError)):
        return ('the connection was closed before Nova answered the '
                'force-complete')
    return ''


def failed(one, error, now):
    """Tell Follower ``one`` how its force-complete failed: an answer
    lost, a failure a later attempt may cure, or a refusal."""
    how = lost_answer(error)
    if how:
        one.answer_lost(how)
    else:
        one.failed(error, isinstance(error, exceptions.ServiceError)
                   or retrying.is_transient(error), now)


class PinnedTooLowToWait(exceptions.InvalidArgument,
                         exceptions.VersionPinnedTooLow):
    """A wait was asked at a pinned microversion that cannot read live
    migrations: refused as the caller's mistake, before anything is sent
    (and still a VersionPinnedTooLow to whoever catches that)."""


def can_read_migrations(compute, discover=True,
                        needs='waiting for the outcome'):
    """Refuse a wait (or a policy's watch) that could not read the
    migration, before the force-complete goes out rather than after it.

    A pin too low is refused without a request; a cloud too old is
    known once the version was negotiated (``discover``: one GET of the
    version document if nothing has been sent yet). ``needs``: what
    reads them, for the message.
    """
    try:
        if discover:
            compute.version     # noqa: B018 -- discovers, if still unknown
        compute.version_for(negotiation.MIGRATIONS)
    except exceptions.VersionPinnedTooLow as exc:
        raise PinnedTooLowToWait(
            f'{exc}; {needs} reads the live migrations, so nothing was '
            'sent') from None
    except exceptions.CloudTooOld as exc:
        raise exceptions.CloudTooOld(
            f'{exc}; {needs} reads the live migrations, so nothing was '
            'sent') from None


def pin_allows(compute, migration):
    """Refuse a pinned microversion too low for a force, before anything
    is sent (finding the server by name included): the force-complete
    needs 2.22, finding the migration in progress 2.23, and finding it by
    UUID 2.59."""
    if compute.pinned is None:
        return
    compute.version_for(negotiation.FORCE_COMPLETE)
    if migration is None:
        compute.version_for(negotiation.MIGRATIONS)
    elif isinstance(migration, str) and uuidutils.is_uuid_like(
            migration.strip()):
        compute.version_for(negotiation.MIGRATION_UUID)


def force_complete(manager, server, migration, wait, timeout, progress,
                   stalled_after, force_after, auto=False):
    """ServerMigrationsManager.force_complete (documented there)."""
    arguments.wait_timeout(timeout)
    policy = arguments.policy(stalled_after, force_after, auto)
    compute = manager.compute
    start = compute.clock()
    # A wait (or the policy's watch) is bounded by ``timeout`` from here,
    # finding the server and the migration included.
    deadline = None
    if timeout is not None and (wait or not policy.forces_at_once):
        deadline = start + timeout
    reads = wait or not policy.forces_at_once
    pin_allows(compute, migration)
    if reads:
        can_read_migrations(compute, discover=False)
    followed = []
    try:
        ref = mig = None
        try:
            ref = resolve.server(compute, server, deadline)
            mig = resolve.migration(compute, ref, migration, deadline)
            if reads:
                can_read_migrations(compute)
        except exceptions.ForceCompleteError as exc:
            if deadline is None or compute.clock() < deadline or not (
                    retrying.is_transient(exc)):
                raise
            return _not_found_in_time(manager, ref, server, migration,
                                      start, policy, exc, wait, timeout)
        one = _follower(manager, ref, mig, start, policy)
        followed.append(one)
        _force_complete(manager, one, ref, mig, wait, timeout, progress)
    except KeyboardInterrupt as stop:
        signum = signals.signum_of(stop)
        for one in followed:
            one.interrupted(signal.Signals(signum).name, compute.clock())
        raise exceptions.Interrupted(
            signum, [one.result for one in followed]) from None
    return one.result


def _not_found_in_time(manager, ref, server, migration, start, policy,
                       error, wait, timeout):
    """The Outcome when the deadline came while finding the migration:
    nothing was sent."""
    server_id = ref.id if ref is not None else str(server)
    one = follower.Follower(
        server_id, migration if isinstance(migration, int) else None, start,
        functools.partial(manager.follow_hint, server_id), policy,
        server_name=ref.name if ref is not None else '')
    one.why = f'the time ran out while finding it: {error.summary}'
    if wait:
        one.timed_out(timeout, manager.compute.clock())
    else:
        one.unfollowed(manager.compute.clock(), timeout)
    return one.result


def _force_complete(manager, one, ref, mig, wait, timeout, progress):
    compute = manager.compute
    at_once = one.policy.forces_at_once
    deadline = None
    if timeout is not None and (wait or not at_once):
        deadline = one.start + timeout
    # Nova forces only a running migration (nova/compute/api.py
    # ``API.live_migrate_force_complete`` raises InvalidMigrationState):
    # with a wait, one still queued is watched until it runs (a policy
    # watches anyway), then forced.
    queued = at_once and wait and one.status in statuses.NOT_STARTED
    if (not at_once or queued) and not _watch(
            manager, one, ref, mig, _left(timeout, compute, one.start),
            progress, wait, asked=timeout):
        return
    if deadline is not None and compute.clock() >= deadline:
        # Nothing mutating goes out after the deadline.
        one.why = 'the time ran out before it could be forced'
        one.waited(waiting.Reading(one.status), compute.clock(), timeout,
                   wait)
        return
    one.sending_force()
    try:
        post(compute, ref, mig.id, manager.cli, deadline)
    except follower.OVERTAKEN as exc:
        state = errors.migration_state(exc)
        if at_once and state in statuses.NOT_STARTED:
            if not wait:
                raise _queued_behind(compute, ref, mig, exc) from None
            if not queued:
                # Named by ID, its status was not read before the POST.
                one.not_yet(state, compute.clock())
                return _force_complete(manager, one, ref, mig, wait,
                                       timeout, progress)
        if not wait or (at_once and not isinstance(
                exc, exceptions.AlreadyPostCopy)):
            raise
        # Post-copy is what force-complete would have switched to, and
        # a judged migration may have ended since its last reading:
        # either way waiting still tells how it ends.
        one.overtaken(exc)
    except exceptions.EndpointUnreachable as exc:
        how = lost_answer(exc)
        if not wait or not how:
            raise
        # Nova may have applied it: how the migration ends tells more
        # than any error would.
        one.answer_lost(how)
    else:
        one.accepted(compute.clock())
        if not wait:
            one.accepted_unfollowed(compute.clock())
            return
    _follow(manager, one, ref, mig, _left(timeout, compute, one.start),
            progress, asked=timeout)


def _queued_behind(compute, ref, mig, error):
    """The refusal to force a migration not running yet (``error``),
    naming the live migrations it waits behind, as far as the caller may
    read them."""
    try:
        host, ahead = observe.running_ahead(compute, ref, mig.id)
    except exceptions.ForceCompleteError:
        host, ahead = None, []
    where = f'on {terminal.printable(host)}' if host else (
        'on its source host')
    if ahead:
        named = ', '.join(
            f'migration {terminal.printable(mid)} of server '
            f'{_server_name(compute, server)}' for server, mid in ahead)
        words = f'it waits behind {named}, running {where}'
    else:
        words = f'it waits behind the live migrations running {where}'
    return errors.queued_behind(
        error, f'{words} (Nova runs max_concurrent_live_migrations per '
        f'host at a time)')


def _server_name(compute, server_id):
    """A server's name for a message (its UUID when it cannot be read:
    another project's server, for a project manager)."""
    try:
        body = failures.server_body(compute, resolve.ServerRef(server_id))
    except exceptions.ForceCompleteError:
        body = {}       # a transient failure: the UUID will do
    return terminal.printable(body.get('name') or server_id)


def wait(manager, server, migration, timeout, progress):
    """ServerMigrationsManager.wait (documented there)."""
    arguments.wait_timeout(timeout)
    compute = manager.compute
    start = compute.clock()
    ref = resolve.server(compute, server)
    mig = resolve.migration(compute, ref, migration)
    one = _follower(manager, ref, mig, start)
    _follow(manager, one, ref, mig, timeout, progress)
    return one.result


def _follower(manager, ref, mig, start, policy=None):
    return follower.Follower(
        ref.id, mig.id, start, functools.partial(manager.follow_hint, ref.id),
        policy, status=mig.status, server_name=ref.name,
        migration_uuid=mig.uuid)


def _watch(manager, one, ref, mig, timeout, progress, wait, asked=None):
    """Watch until the policy forces the migration (True), or write its
    Outcome: it ended, or the wait did (False); ``asked``: the caller's
    whole timeout, if more than ``timeout``.

    Readings come from the server's migration index (a project manager
    may read it) through observe.MigrationWatch, which also follows the
    migration to its end once it leaves the index.
    """
    compute = manager.compute
    watch = observe.MigrationWatch(compute, ref, mig.id)
    force = False

    def read(deadline):
        nonlocal force
        reading = watch.read(deadline)
        now = compute.clock()
        one.saw(reading.status, now)
        if reading.done or reading.status != statuses.RUNNING:
            return reading
        one.sample(now, reading.memory_remaining_bytes,
                   reading.memory_processed_bytes, reading.memory_total_bytes,
                   reading.saved_at)
        force = one.judge(now)
        return dataclasses.replace(reading, done=force,
                                   look_at=one.next_look(now))

    report = None
    if progress is not None:
        def report(reading, elapsed):
            progress(dataclasses.replace(
                waiting.progress_event(ref.id, mig.id, reading, elapsed),
                diagnosis=one.result.diagnosis))
    reading, _ = waiting.wait_for_outcome(
        read, timeout, clock=compute.clock, sleep=compute.sleep,
        progress=report)
    if not force:
        one.waited(reading, compute.clock(),
                   timeout if asked is None else asked, wait)
    return force


def _follow(manager, one, ref, mig, timeout, progress, asked=None):
    """Wait ``timeout`` seconds more for the outcome, and write it;
    ``asked``: the caller's whole timeout, if more."""
    compute = manager.compute
    watch = observe.MigrationWatch(compute, ref, mig.id)
    report = None
    if progress is not None:
        def report(reading, elapsed):
            progress(waiting.progress_event(ref.id, mig.id, reading,
                                            elapsed))
    read = watch.read
    if one.forced:
        def read(deadline):
            return dataclasses.replace(watch.read(deadline), prompt=True)
    reading, _ = waiting.wait_for_outcome(
        read, timeout, clock=compute.clock, sleep=compute.sleep,
        progress=report)
    one.waited(reading, compute.clock(), timeout if asked is None else asked)


def _left(timeout, compute, start):
    """What is left of ``timeout`` since ``start`` (None: no limit)."""
    if timeout is None:
        return None
    return max(timeout - (compute.clock() - start), 0)
