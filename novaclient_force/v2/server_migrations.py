"""Server migrations manager: python-novaclient's, plus force-complete done
right (negotiated microversion, name and auto-detected migration, typed
errors, waiting for the real outcome, host drain).

It is a drop-in subclass of novaclient's ServerMigrationsManager: the nova
extension installs it as ``cs.server_migrations`` and ``client.Client``
installs it on the client it builds. The ``api`` it is given is a
python-novaclient v2 Client; requests go over that client's keystoneauth
session, so connections are shared.
"""

import dataclasses
import importlib
import signal

from novaclient import base
from novaclient.v2 import server_migrations as upstream

from novaclient_force import exceptions


class _LazyModule:
    """A novaclient_force module imported on first attribute access.

    ``nova`` imports this module on every run (the extension installs the
    manager), even for ``nova list``; the SDK logic loads only when one of
    our methods runs.
    """

    def __init__(self, name):
        self._name = 'novaclient_force.' + name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


arguments = _LazyModule('arguments')
diagnosis = _LazyModule('diagnosis')
drain = _LazyModule('drain')
errors = _LazyModule('errors')
hints = _LazyModule('hints')
negotiation = _LazyModule('negotiation')
outcome = _LazyModule('outcome')
resolve = _LazyModule('resolve')
signals = _LazyModule('signals')
terminal = _LazyModule('terminal')
waiting = _LazyModule('waiting')

ServerMigration = upstream.ServerMigration

_FROM_API = object()


class ServerMigrationsManager(upstream.ServerMigrationsManager):
    """``pinned``: a version to send as is, or None to negotiate.

    By default the api's own version is taken as pinned when it is set
    (python-novaclient's shell has already discovered or been told it),
    and negotiated otherwise.
    """

    resource_class = ServerMigration
    #: Which CLI's commands the "follow it with ..." hints name; the nova
    #: extension sets 'nova'.
    cli = 'openstack'

    def __init__(self, api, pinned=_FROM_API, clock=None, sleep=None):
        super().__init__(api)
        self._pinned = pinned
        self._clock = clock
        self._sleep = sleep
        self._compute = None

    @property
    def compute(self):
        """The negotiating request path (built on first use: novaclient
        creates extension managers before the client's HTTP adapter)."""
        if self._compute is None:
            pinned = self._pinned
            if pinned is _FROM_API:
                version = getattr(self.api, 'api_version', None)
                pinned = None if version is None or version.is_latest() \
                    else negotiation.as_version(version)
            kwargs = {}
            if self._clock is not None:
                kwargs['clock'] = self._clock
            if self._sleep is not None:
                kwargs['sleep'] = self._sleep
            self._compute = negotiation.Compute(self.api.client, pinned,
                                                **kwargs)
        return self._compute

    # -- python-novaclient's API, same names and return types ------------

    def list(self, server):
        """In-progress live migrations of a server (2.23+)."""
        ref = resolve.server(self.compute, server)
        resp = self.compute.request(
            'GET', '/servers/%s/migrations' % ref.id, negotiation.MIGRATIONS,
            errors.Context('list', server=ref.label))
        return base.ListWithMeta(
            [self.resource_class(self, row, loaded=True)
             for row in resp.json().get('migrations', [])], resp)

    def get(self, server, migration):
        """One in-progress live migration (2.23+; admin-only by policy)."""
        ref = resolve.server(self.compute, server)
        mig = resolve.migration(self.compute, ref, migration)
        resp = self.compute.request(
            'GET', '/servers/%s/migrations/%s' % (ref.id, mig.id),
            negotiation.MIGRATIONS,
            errors.Context('show', server=ref.label, migration=mig.id))
        return self.resource_class(self, resp.json()['migration'],
                                   loaded=True, resp=resp)

    def live_migration_abort(self, server, migration):
        """Abort a live migration (2.24+; queued/preparing from 2.65)."""
        ref = resolve.server(self.compute, server)
        mig = resolve.migration(self.compute, ref, migration)
        resp = self.compute.request(
            'DELETE', '/servers/%s/migrations/%s' % (ref.id, mig.id),
            negotiation.ABORT,
            errors.Context('abort', server=ref.label, migration=mig.id,
                           server_id=ref.id, cli=self.cli))
        return self.convert_into_with_meta(None, resp)

    def live_migrate_force_complete(self, server, migration):
        """POST force_complete; novaclient's return type (TupleWithMeta)."""
        ref = resolve.server(self.compute, server)
        mig = resolve.migration(self.compute, ref, migration)
        return self.convert_into_with_meta(None, self._post(ref, mig))

    # -- ours ------------------------------------------------------------

    def force_complete(self, server, migration=None, wait=False,
                       timeout=None, progress=None, stalled_after=None,
                       force_after=None):
        """Force a live migration to complete; an Outcome.

        ``migration`` None means the one live migration in progress. With
        ``wait`` the real outcome is awaited (``timeout`` seconds at most,
        None for no limit) and ``progress(waiting.Progress)`` is called on
        every reading while it is in progress. ``stalled_after`` and
        ``force_after`` (seconds; see diagnosis.Policy) force it only once
        its remaining memory has not shrunk, or it has run, that long: it
        is watched until then, and one that ends first is never forced.
        Refusals raise the errors of novaclient_force.exceptions; SIGINT
        (and SIGTERM, see signals.py) raises exceptions.Interrupted with
        what was known of the migration at that moment.
        """
        _check_timeout(timeout)
        policy = arguments.policy(stalled_after, force_after)
        stage = _Stage(self)
        try:
            return self._force_complete(server, migration, wait, timeout,
                                        progress, policy, stage)
        except KeyboardInterrupt as stop:
            raise stage.interrupted(signals.signum_of(stop)) from None

    def _force_complete(self, server, migration, wait, timeout, progress,
                        policy, stage):
        start = self.compute.clock()
        ref = resolve.server(self.compute, server)
        mig = resolve.migration(self.compute, ref, migration)
        stage.reached(_Stage.WATCHED, ref, mig, start)
        deadline = None
        if timeout is not None and (wait or not policy.forces_at_once):
            deadline = start + timeout
        judged = None
        if not policy.forces_at_once:
            judged = _Judge(self, ref, mig, policy, start)
            ended = judged.watch(timeout, progress, wait)
            if ended is not None:
                return ended
        try:
            stage.reached(_Stage.SENDING)
            self._post(ref, mig, deadline)
        except (exceptions.AlreadyPostCopy, exceptions.MigrationNotRunning,
                exceptions.ServerNotMigrating) as exc:
            if not wait or (judged is None and not isinstance(
                    exc, exceptions.AlreadyPostCopy)):
                raise
            stage.reached(_Stage.FOLLOWED, why=exc.message)
            # Post-copy is what force-complete would have switched to, and
            # a judged migration may have ended since its last reading:
            # either way waiting still tells how it ends.
            result = self._wait(ref, mig, _left(timeout, self.compute,
                                                start), progress, start,
                                asked=timeout)
            result.reason = '%s; %s' % (exc.message, result.reason)
            return result
        stage.reached(_Stage.ACCEPTED)
        if not wait:
            result = outcome.Outcome(
                ref.id, mig.id, outcome.ACCEPTED,
                reason='Nova accepted the request; the outcome is not known '
                       'yet',
                server_name=ref.name, migration_uuid=mig.uuid,
                duration=self.compute.clock() - start,
                migration_status=mig.status,
                hint=self.follow_hint(ref.id))
        else:
            result = self._wait(ref, mig, _left(timeout, self.compute,
                                                start), progress, start,
                                asked=timeout)
        result.forced = True
        if judged is not None:
            judged.note_forced(result)
        return result

    def wait(self, server, migration, timeout=None, progress=None):
        """Wait for a live migration's outcome (no force-complete sent)."""
        _check_timeout(timeout)
        start = self.compute.clock()
        ref = resolve.server(self.compute, server)
        mig = resolve.migration(self.compute, ref, migration)
        return self._wait(ref, mig, timeout, progress, start,
                          accepted=False)

    def force_complete_host(self, host, wait=False, timeout=None,
                            concurrency=8, progress=None, stalled_after=None,
                            force_after=None):
        """Force the live migrations leaving ``host`` as each runs; a list
        of Outcomes, one per migration (see novaclient_force.drain)."""
        _check_timeout(timeout)
        return drain.force_complete_host(
            self.compute, host, wait=wait, timeout=timeout,
            concurrency=concurrency, progress=progress,
            policy=arguments.policy(stalled_after, force_after),
            cli=self.cli)

    def follow_hint(self, server_id):
        """The command that follows a server's migration, for this caller
        and this CLI (novaclient_force.hints)."""
        return hints.follow(server_id, self.cli,
                            resolve.is_admin(self.compute))

    def _post(self, ref, mig, deadline=None):
        return self.compute.request(
            'POST', '/servers/%s/migrations/%s/action' % (ref.id, mig.id),
            negotiation.FORCE_COMPLETE,
            errors.Context('force_complete', server=ref.label,
                           migration=mig.id, server_id=ref.id, cli=self.cli,
                           admin=resolve.is_admin(self.compute)),
            json={'force_complete': None}, deadline=deadline)

    def _wait(self, ref, mig, timeout, progress, start, accepted=True,
              asked=None):
        """The Outcome of waiting ``timeout`` seconds more; ``accepted``:
        we saw Nova's 202; ``asked``: the caller's whole timeout, if more."""
        watch = waiting.MigrationWatch(self.compute, ref, mig.id)
        report = None
        if progress is not None:
            def report(reading, elapsed):
                progress(waiting.progress_event(ref.id, mig.id, reading,
                                                elapsed))
        reading, _ = waiting.wait_for_outcome(
            watch.read, timeout, clock=self.compute.clock,
            sleep=self.compute.sleep, progress=report)
        result = outcome.Outcome(
            ref.id, mig.id, reading.outcome or outcome.TIMED_OUT,
            server_name=ref.name, migration_uuid=mig.uuid,
            duration=self.compute.clock() - start,
            migration_status=reading.status)
        if result.status == outcome.UNKNOWN:
            result.reason = waiting.unknown_reason(reading, accepted)
        elif reading.done:
            result.reason = reading.reason
        else:
            result.reason = waiting.timed_out_reason(
                reading, timeout if asked is None else asked)
        if not reading.done or result.status == outcome.UNKNOWN:
            result.hint = self.follow_hint(ref.id)
        return result


class _Stage:
    """How far one force_complete got, for the Outcome an Interrupted
    carries when a signal stops it."""

    WATCHED = 'watched'     # resolved, not forced yet (a policy watches)
    SENDING = 'sending'     # the POST awaits its answer
    ACCEPTED = 'accepted'   # Nova answered 202; waiting for the outcome
    FOLLOWED = 'followed'   # refused (post-copy, ended), followed anyway

    def __init__(self, manager):
        self.manager = manager
        self.stage = None
        self.why = ''

    def reached(self, stage, ref=None, mig=None, start=None, why=''):
        self.stage = stage
        if ref is not None:
            self.ref, self.mig, self.start = ref, mig, start
        self.why = why

    def interrupted(self, signum):
        name = signal.Signals(signum).name
        if self.stage is None:
            return exceptions.Interrupted(signum, [])
        status, why = {
            self.WATCHED: (outcome.NOT_FORCED, 'interrupted (%s) while it '
                           'was watched, before it was forced'),
            self.SENDING: (outcome.UNKNOWN, 'interrupted (%s) while the '
                           'answer to the force-complete was outstanding: '
                           'Nova may have accepted it'),
            self.ACCEPTED: (outcome.ACCEPTED, 'Nova accepted the request; '
                            'stopped waiting (%s), the migration goes on'),
            self.FOLLOWED: (outcome.UNKNOWN, self.why.replace('%', '%%')
                            + '; stopped waiting (%s)'),
        }[self.stage]
        result = outcome.Outcome(
            self.ref.id, self.mig.id, status, server_name=self.ref.name,
            migration_uuid=self.mig.uuid, migration_status=self.mig.status,
            duration=self.manager.compute.clock() - self.start,
            reason=why % name, forced=self.stage in (self.ACCEPTED,),
            hint=self.manager.follow_hint(self.ref.id))
        return exceptions.Interrupted(signum, [result])


class _Judge:
    """Watches one migration until its policy says force, or it ends.

    Readings come from the server's migration index (a project manager may
    read it) through waiting.MigrationWatch, which also follows the
    migration to its end once it leaves the index.
    """

    def __init__(self, manager, ref, mig, policy, start):
        self.manager = manager
        self.compute = manager.compute
        self.ref = ref
        self.mig = mig
        self.policy = policy
        self.start = start
        self.samples = []
        self.running_since = None
        self.diagnosis = None
        self.why = ''
        self.force = False

    def read(self, deadline):
        reading = self._watch.read(deadline)
        if reading.done or reading.status != 'running':
            return reading
        now = self.compute.clock()
        if self.running_since is None:
            self.running_since = now
        self.samples.append(diagnosis.Sample(
            now - self.start, reading.memory_remaining_bytes,
            reading.memory_processed_bytes, reading.memory_total_bytes))
        self.diagnosis = diagnosis.classify(self.samples)
        self.force, self.why = self.policy.decide(
            self.diagnosis, now - self.running_since)
        return dataclasses.replace(reading, done=self.force)

    def watch(self, timeout, progress, wait):
        """None when it is to be forced now, else its Outcome."""
        self._watch = waiting.MigrationWatch(self.compute, self.ref,
                                             self.mig.id)
        report = None
        if progress is not None:
            def report(reading, elapsed):
                progress(dataclasses.replace(
                    waiting.progress_event(self.ref.id, self.mig.id,
                                           reading, elapsed),
                    diagnosis=self.diagnosis))
        reading, _ = waiting.wait_for_outcome(
            self.read, timeout, clock=self.compute.clock,
            sleep=self.compute.sleep, progress=report)
        if self.force:
            return None
        result = outcome.Outcome(
            self.ref.id, self.mig.id, reading.outcome,
            server_name=self.ref.name, migration_uuid=self.mig.uuid,
            duration=self.compute.clock() - self.start,
            migration_status=reading.status, diagnosis=self.diagnosis)
        why = self.why or 'it never ran while watched'
        result.policy_note = why
        if reading.outcome == outcome.UNKNOWN:
            result.reason = '%s; not forced (%s)' % (waiting.unknown_reason(
                reading, False), why)
        elif reading.done:
            result.reason = '%s without forcing (%s)' % (reading.reason, why)
        elif wait:
            result.status = outcome.TIMED_OUT
            result.reason = '%s; not forced (%s)' % (
                waiting.timed_out_reason(reading, timeout), why)
        else:
            result.status = outcome.NOT_FORCED
            result.reason = 'still %s after %gs: %s' % (
                terminal.printable(reading.status) or 'in progress',
                timeout, why)
        if not reading.done or reading.outcome == outcome.UNKNOWN:
            result.hint = self.manager.follow_hint(self.ref.id)
        return result

    def note_forced(self, result):
        result.diagnosis = self.diagnosis
        result.policy_note = 'forced: %s' % self.why
        result.reason = '%s (%s)' % (result.reason, result.policy_note)


def _left(timeout, compute, start):
    """What is left of ``timeout`` since ``start`` (None: no limit)."""
    if timeout is None:
        return None
    return max(timeout - (compute.clock() - start), 0)


def _check_timeout(timeout):
    if timeout is None:
        return
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or timeout < 0):
        raise exceptions.InvalidArgument(
            'Invalid timeout %r: give a number of seconds, 0 or more'
            % (timeout,))
    arguments.timeout_in_range(timeout, 'timeout')
