"""One live migration followed to its outcome: what is known of it, every
move to an outcome, and the words for each.

A single server's force (forcing.py) and a host drain (drain.py) decide a
migration's fate alike, so both hand it to a Follower: they read Nova and
send the force-complete, and tell the Follower what they saw and what
Nova answered; it keeps the migration's state and writes its Outcome, in
the same words for both. It does no I/O and reads no clock: every move
is given the time (``now``, on the caller's clock).
"""

from novaclient_force import (
    diagnosis,
    exceptions,
    outcome,
    saves,
    statuses,
    terminal,
    waiting,
)

#: Refusals that may only mean the migration moved on between our last
#: reading and the request (it ended, or switched to post-copy): what is
#: read next tells whether they stand.
OVERTAKEN = (exceptions.AlreadyPostCopy, exceptions.MigrationNotRunning,
             exceptions.ServerNotMigrating)

#: How many force-completes one migration is sent at most while no answer
#: is final (a 5xx, a connection that never carried the request, an answer
#: lost): forcing a migration Nova has forced already does no harm, the
#: libvirt driver's monitor finds the guest paused and only logs it
#: (nova/virt/libvirt/migration.py ``run_tasks``).
ATTEMPTS = 3


class Follower:
    """What is known of one live migration until its Outcome is written.

    ``policy`` (diagnosis.Policy) says when to force it; None when it is
    only waited for, never forced. ``hint()`` gives the command that
    follows it (hints.follow), for every outcome that may still change;
    it is called only then, so building a Follower costs nothing.
    """

    def __init__(self, server, migration, start, hint, policy=None,
                 status='', server_name='', migration_uuid='', offset=None):
        self.result = outcome.Outcome(
            server, migration, outcome.ACCEPTED, server_name=server_name,
            migration_uuid=migration_uuid, migration_status=status)
        self.start = start
        self.hint = hint
        self.policy = policy
        self.samples = []
        # when Nova saved the counters; ``offset``: saves.Offset, shared
        # by the migrations read from one cloud
        self.saves = saves.Saves(offset)
        self.sampled_save = None        # the save the latest sample showed
        self.running_since = None
        self.why = ''               # why it was forced, or left alone
        self.refusal = None         # an OVERTAKEN refusal, being followed
        self.sending = False        # a force-complete awaits its answer
        self.attempts = 0           # force-completes sent
        self.doubt = ''             # how an answer was lost, if one was
        self.done = False           # its Outcome is written
        self.accepted_at = None     # when Nova answered our force 202

    @property
    def status(self):
        """Nova's status for it, as last read."""
        return self.result.migration_status

    @property
    def forced(self):
        """Whether Nova accepted our force-complete."""
        return self.result.forced

    @property
    def forcible(self):
        """Whether a force-complete may be sent now: it runs, none was
        accepted or refused for good, and attempts remain."""
        return (not self.done and self.status == statuses.RUNNING
                and not self.forced and self.refusal is None
                and self.attempts < ATTEMPTS)

    # -- what was read, and what the policy makes of it ----------------

    def saw(self, status, now):
        """A reading showed ``status`` ('' when it could not tell)."""
        if not status:
            return
        self.result.migration_status = status
        if status == statuses.RUNNING and self.running_since is None:
            self.running_since = now

    def sample(self, now, remaining, processed=None, total=None,
               saved_at=None):
        """Memory counters read at ``now``, for the policy to judge,
        dated by when Nova saved them (``saved_at``, its ``updated_at``)
        when it says, else by ``now``: a reading between two saves
        repeats the last one, and the client's clock says nothing of
        when the counters were taken."""
        when = now - self.start if saved_at is None else saved_at
        self.samples.append(diagnosis.Sample(when, remaining, processed,
                                             total))
        self.saved(now, saved_at)
        self.sampled_save = saved_at

    def saved(self, now, saved_at):
        """A reading at ``now`` showed that Nova last saved the migration
        at ``saved_at`` (its ``updated_at``; None when not told)."""
        self.saves.seen(now, saved_at, self.status == statuses.RUNNING)

    @property
    def judges_counters(self):
        """Whether its policy is waiting on the memory counters: it runs,
        may be forced, and is not forced at once."""
        return (self.forcible and self.policy is not None
                and not self.policy.forces_at_once)

    @property
    def worth_reading(self):
        """Whether reading its counters may tell the policy anything new:
        none read yet, or Nova saved the migration since (saves.py)."""
        return not self.samples or self.saves.newer_than(self.sampled_save)

    def next_look(self, now):
        """When a reading may next change its policy's mind, or None: just
        after Nova's next stats save (saves.py), or at the age
        ``--force-after`` gives it, if sooner."""
        if not self.judges_counters:
            return None
        looks = [self.saves.next_look(now)]
        # a caller's own policy need not have one (drain_host's ``policy``)
        age = getattr(self.policy, 'force_after', None)
        if age is not None and self.running_since is not None:
            looks.append(self.running_since + age)
        return min((at for at in looks if at is not None and at > now),
                   default=None)

    def judge(self, now):
        """Whether the policy forces the running migration now."""
        if self.policy.forces_at_once:
            return True
        self.result.diagnosis = diagnosis.classify(self.samples)
        force, self.why = self.policy.decide(self.result.diagnosis,
                                             now - self.running_since)
        return force

    def progress(self, elapsed, reading, poll_size=None):
        """A Progress event from the latest memory counters judged."""
        last = self.samples[-1] if self.samples else None
        return waiting.Progress(
            self.result.server, self.result.migration, self.status,
            last.processed if last else None,
            last.remaining if last else None,
            last.total if last else None, elapsed,
            reading.unreachable_for, reading.problem,
            diagnosis=self.result.diagnosis, forced=self.forced,
            poll_size=poll_size)

    # -- the force-complete ---------------------------------------------

    def sending_force(self):
        """A force-complete is on its way: until answered, an interrupted
        run cannot tell whether Nova took it."""
        self.sending = True
        self.attempts += 1

    def accepted(self, now=None):
        """Nova answered the force-complete with 202 (at ``now``)."""
        self.sending = False
        if not self.done:
            self.result.forced = True
            self.accepted_at = now

    def not_yet(self, status, now):
        """Refused because it is not running yet (``status``, as Nova
        named it): nothing happened, and it is watched until it runs."""
        self.sending = False
        self.saw(status, now)

    def overtaken(self, refusal):
        """Refused in a way the migration's own end may explain (one of
        OVERTAKEN): followed, the refusal is how it was not forced."""
        self.sending = False
        self.refusal = refusal
        self.why = f'force-complete refused: {refusal}'

    def answer_lost(self, how):
        """The request may have reached Nova, but its answer never came
        (``how``: what happened, in a few words). Nova may have accepted
        it: the migration is followed to its end, never called refused,
        and forced again on a later look while it runs and attempts
        remain."""
        self.sending = False
        self.doubt = how

    def failed(self, error, transient, now):
        """The force-complete failed: for good, or (``transient``: a 5xx,
        or a connection that never carried it) in a way a later attempt
        may cure, so it is forced again on a later look while it runs
        and attempts remain. Once an answer was lost, no later failure
        makes it a refusal: it is followed to its end."""
        self.sending = False
        if self.doubt or (transient and self.attempts < ATTEMPTS):
            self.why = f'force-complete failed: {error}'
            return
        self.refused(error, now)

    # -- outcomes -------------------------------------------------------

    def refused(self, error, now):
        """The refusal stands."""
        self.sending = False
        self.result.error = error
        self._finish(outcome.ERROR, str(error), now, follow=False)

    def ended(self, reading, now):
        """Nova's final status, from a done Reading (seen at ``now``)."""
        self.saw(reading.status, now)
        self.result.migration_time = reading.migration_time
        if self.forced and self.accepted_at is not None:
            self.result.force_to_end = max(now - self.accepted_at, 0.0)
        self._finish(reading.outcome, reading.reason + self._note(True),
                     now, follow=False)

    def unknown(self, why, now):
        """Its outcome could not be read (``why``: the reading's reason)."""
        if self.doubt and not self.forced:
            reason = f'{self._maybe()}, but {why}'
        else:
            accepted = ('Nova accepted the force-complete, but '
                        if self.forced else '')
            reason = f'{accepted}{why}{self._note()}'
        self._finish(outcome.UNKNOWN, reason, now)

    def timed_out(self, timeout, now):
        """Still in progress after ``timeout`` seconds of waiting."""
        self._finish(outcome.TIMED_OUT, f'still {self._shown_status()} '
                     f'after {timeout:g}s; the migration may still finish'
                     f'{self._note()}', now)

    def accepted_unfollowed(self, now):
        """Forced, and not waited for."""
        self._finish(outcome.ACCEPTED, 'Nova accepted the request; the '
                     f'outcome is not known yet{self._note()}', now)

    def waited(self, reading, now, timeout, wait=True):
        """A wait ended on ``reading``: how the migration ended, or that
        its outcome could not be read; else the wait ran out after
        ``timeout`` seconds: timed out (a ``wait`` was asked for), or
        accepted and not waited for, or not forced."""
        self.saw(reading.status, now)
        if reading.outcome == outcome.UNKNOWN:
            self.unknown(reading.reason, now)
        elif reading.done:
            self.ended(reading, now)
        elif wait:
            self.timed_out(timeout, now)
        else:
            self.unfollowed(now, timeout)

    def unfollowed(self, now, timeout=None):
        """Left without waiting for its end: accepted, perhaps accepted
        (its answer was lost), or not forced (``timeout``: the seconds
        the policy watched it, when they ran out)."""
        if self.forced:
            self.accepted_unfollowed(now)
        elif self.doubt:
            self.unknown('its outcome is not known yet', now)
        else:
            self.not_forced(now, timeout)

    def not_forced(self, now, timeout=None):
        """Left without a force-complete (``timeout``: the seconds the
        policy watched it, when it ran out)."""
        status, why = self.status, self._why()
        if status in statuses.NOT_STARTED:
            reason = (f'{terminal.printable(status)}: Nova runs '
                      'max_concurrent_live_migrations live migrations per '
                      'host at a time and this one has not started running; '
                      'rerun with --wait to force each one as it runs')
        elif status == statuses.POST_COPY:
            reason = ('already switched to post-copy: it completes without '
                      'help')
        elif why and timeout is not None:
            reason = f'still {self._shown_status()} after {timeout:g}s: {why}'
        elif why:
            reason = why
        else:
            reason = 'started running after the first look; rerun to force it'
        self._finish(outcome.NOT_FORCED, reason, now)

    def still(self, seconds, now):
        """Nothing leaving the host changed for ``seconds`` and nothing
        followed could be forced: the drain stops following it."""
        why = (f'nothing leaving the host changed for {seconds:.0f}s: the '
               'live migrations that run there are not moving')
        if self.doubt:
            self.unknown(why, now)
        else:
            self._finish(outcome.NOT_FORCED, f'still '
                         f'{self._shown_status()}; {why}; rerun once they '
                         'do to force it', now)

    def interrupted(self, signal_name, now):
        """A signal stopped the run: what is known at this moment."""
        if self.sending:
            self._finish(outcome.UNKNOWN, f'interrupted ({signal_name}) '
                         'while the answer to the force-complete was '
                         'outstanding: Nova may have accepted it', now)
        elif self.forced:
            self._finish(outcome.ACCEPTED, 'Nova accepted the request; '
                         f'stopped waiting ({signal_name}), the migration '
                         'goes on', now)
        elif self.doubt:
            self._finish(outcome.UNKNOWN, f'interrupted ({signal_name}); '
                         f'{self._maybe()}', now)
        elif self.refusal is not None:
            self._finish(outcome.UNKNOWN, f'stopped waiting ({signal_name})'
                         f'{self._note()}', now)
        else:
            self._finish(outcome.NOT_FORCED, f'interrupted ({signal_name}) '
                         'before it was forced', now)

    # -- words ----------------------------------------------------------

    def _shown_status(self):
        return terminal.printable(self.status) or 'in progress'

    def _why(self):
        """Why it was forced or left alone, as far as a policy tells."""
        if (not self.why and self.running_since is None
                and self.policy is not None
                and not self.policy.forces_at_once):
            return 'it never ran while watched'
        return self.why

    def _maybe(self):
        return f'{self.doubt}: it may have been accepted'

    def _note(self, ended=False):
        """What the policy did, after a reason: forced and why, perhaps
        forced (an answer was lost), or not forced and why (``ended``:
        after how the migration ended)."""
        if self.policy is None:
            return ''
        why = self._why()
        if self.forced:
            return f' (forced: {why})' if why else ''
        if self.doubt:
            return f' ({self._maybe()})' if ended else f'; {self._maybe()}'
        if ended:
            return f' without forcing ({why})' if why else ' without forcing'
        return f'; not forced ({why})' if why else '; not forced'

    def _finish(self, status, reason, now, follow=True):
        result = self.result
        result.status = status
        result.reason = reason
        result.duration = now - self.start
        result.hint = self.hint() if follow else ''
        why = self._why()
        result.policy_note = f'forced: {why}' if self.forced and why else why
        self.done = True
