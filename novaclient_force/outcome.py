"""What became of a force-complete, and the exit status each result means.

force_complete is asynchronous: the 202 only says Nova accepted it. The
outcome is known later, from the migration's status and the server's
instance actions. These results are deliberately distinct so that a script
(or an operator at 3 a.m.) never mistakes "timed out" for "completed".
"""

import dataclasses
import typing

ACCEPTED = 'accepted'      # 202 received, not waited for
COMPLETED = 'completed'
FAILED = 'failed'          # migration status failed or error
CANCELLED = 'cancelled'
TIMED_OUT = 'timed out'    # still in progress when the wait ended
UNKNOWN = 'unknown'        # accepted, but the outcome could not be read
ERROR = 'error'            # refused or not sent (see reason)
NOT_FORCED = 'not forced'  # left leaving the host without a request

EXIT_CODES = {
    ACCEPTED: 0,
    COMPLETED: 0,
    ERROR: 1,
    FAILED: 3,
    CANCELLED: 4,
    TIMED_OUT: 5,
    UNKNOWN: 8,
    NOT_FORCED: 9,
}


@dataclasses.dataclass
class Outcome:
    """One migration's result, as the SDK returns and the CLIs print it."""

    server: str                     # server UUID
    migration: typing.Optional[int]  # integer migration ID, if known
    status: str                     # one of the constants above
    reason: str = ''                # why, in the cloud's words where possible
    server_name: str = ''
    migration_uuid: str = ''
    #: Seconds from when this call began to follow the migration (a
    #: drain: from the drain's start) until its outcome was written.
    duration: float = 0.0
    migration_status: str = ''      # Nova's last seen migration status
    error: typing.Optional[Exception] = None
    forced: bool = False            # did we send force_complete (202)?
    policy_note: str = ''           # why a force policy forced it, or not
    diagnosis: typing.Any = None    # diagnosis.Diagnosis when read
    hint: str = ''                  # a shell command to follow it, if any
    #: Seconds from Nova's 202 to our force-complete until a reading
    #: showed the migration's final status (within about a second: the
    #: reads are prompt once it is forced); None when it was not forced
    #: or its end was not seen.
    force_to_end: typing.Optional[float] = None
    #: Seconds from Nova creating the migration record to its final
    #: status, by Nova's own timestamps (``created_at``, ``updated_at``
    #: of /os-migrations; its time queued included); None where the
    #: caller could not read them, or it has not ended.
    migration_time: typing.Optional[float] = None

    @property
    def detail(self):
        """The reason, and how to follow the migration when it may still
        change: what the CLIs print on stderr and in ``-f json``."""
        if not self.hint:
            return self.reason
        return f'{self.reason}; follow it with `{self.hint}`'

    @property
    def exit_code(self):
        if self.status == ERROR and self.error is not None:
            return getattr(self.error, 'exit_code', EXIT_CODES[ERROR])
        return EXIT_CODES[self.status]

    @property
    def ok(self):
        return self.exit_code == 0
