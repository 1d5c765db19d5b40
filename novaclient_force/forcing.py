"""Forcing one live migration, and following one to its outcome.

The work behind ServerMigrationsManager.force_complete and .wait: the
policy's watch before forcing, the POST, the wait for how it ended, and
what an interrupted run had reached. It is kept out of the manager's
module because ``nova`` imports that module on every run (the extension
installs the manager as ``cs.server_migrations``), even for ``nova list``;
this one, and the waiting, diagnosis and outcome modules it needs, load
only when a force or a wait runs.
"""

import dataclasses
import signal

from novaclient_force import (
    arguments,
    diagnosis,
    exceptions,
    outcome,
    resolve,
    signals,
    terminal,
    waiting,
)


def force_complete(manager, server, migration, wait, timeout, progress,
                   stalled_after, force_after):
    """ServerMigrationsManager.force_complete (documented there)."""
    arguments.wait_timeout(timeout)
    policy = arguments.policy(stalled_after, force_after)
    stage = _Stage(manager)
    try:
        return _force_complete(manager, server, migration, wait, timeout,
                               progress, policy, stage)
    except KeyboardInterrupt as stop:
        raise stage.interrupted(signals.signum_of(stop)) from None


def _force_complete(manager, server, migration, wait, timeout, progress,
                    policy, stage):
    compute = manager.compute
    start = compute.clock()
    ref = resolve.server(compute, server)
    mig = resolve.migration(compute, ref, migration)
    stage.reached(_Stage.WATCHED, ref, mig, start)
    deadline = None
    if timeout is not None and (wait or not policy.forces_at_once):
        deadline = start + timeout
    judged = None
    if not policy.forces_at_once:
        judged = _Judge(manager, ref, mig, policy, start)
        ended = judged.watch(timeout, progress, wait)
        if ended is not None:
            return ended
    try:
        stage.reached(_Stage.SENDING)
        manager._post(ref, mig, deadline)
    except (exceptions.AlreadyPostCopy, exceptions.MigrationNotRunning,
            exceptions.ServerNotMigrating) as exc:
        if not wait or (judged is None and not isinstance(
                exc, exceptions.AlreadyPostCopy)):
            raise
        stage.reached(_Stage.FOLLOWED, why=exc.message)
        # Post-copy is what force-complete would have switched to, and
        # a judged migration may have ended since its last reading:
        # either way waiting still tells how it ends.
        result = _follow(manager, ref, mig, _left(timeout, compute, start),
                         progress, start, asked=timeout)
        result.reason = '%s; %s' % (exc.message, result.reason)
        return result
    stage.reached(_Stage.ACCEPTED)
    if not wait:
        result = outcome.Outcome(
            ref.id, mig.id, outcome.ACCEPTED,
            reason='Nova accepted the request; the outcome is not known '
                   'yet',
            server_name=ref.name, migration_uuid=mig.uuid,
            duration=compute.clock() - start,
            migration_status=mig.status,
            hint=manager.follow_hint(ref.id))
    else:
        result = _follow(manager, ref, mig, _left(timeout, compute, start),
                         progress, start, asked=timeout)
    result.forced = True
    if judged is not None:
        judged.note_forced(result)
    return result


def wait(manager, server, migration, timeout, progress):
    """ServerMigrationsManager.wait (documented there)."""
    arguments.wait_timeout(timeout)
    compute = manager.compute
    start = compute.clock()
    ref = resolve.server(compute, server)
    mig = resolve.migration(compute, ref, migration)
    return _follow(manager, ref, mig, timeout, progress, start,
                   accepted=False)


def _follow(manager, ref, mig, timeout, progress, start, accepted=True,
            asked=None):
    """The Outcome of waiting ``timeout`` seconds more; ``accepted``: we
    saw Nova's 202; ``asked``: the caller's whole timeout, if more."""
    compute = manager.compute
    watch = waiting.MigrationWatch(compute, ref, mig.id)
    report = None
    if progress is not None:
        def report(reading, elapsed):
            progress(waiting.progress_event(ref.id, mig.id, reading,
                                            elapsed))
    reading, _ = waiting.wait_for_outcome(
        watch.read, timeout, clock=compute.clock, sleep=compute.sleep,
        progress=report)
    result = outcome.Outcome(
        ref.id, mig.id, reading.outcome or outcome.TIMED_OUT,
        server_name=ref.name, migration_uuid=mig.uuid,
        duration=compute.clock() - start, migration_status=reading.status)
    if result.status == outcome.UNKNOWN:
        result.reason = waiting.unknown_reason(reading, accepted)
    elif reading.done:
        result.reason = reading.reason
    else:
        result.reason = waiting.timed_out_reason(
            reading, timeout if asked is None else asked)
    if not reading.done or result.status == outcome.UNKNOWN:
        result.hint = manager.follow_hint(ref.id)
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
