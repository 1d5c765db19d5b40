"""Typed errors a script can catch, each with the CLI exit status it maps to.

Every error keeps the text Nova returned (``nova_message``) and adds what an
operator can do about it, so neither CLI needs its own error table.
"""

import signal

# Exit statuses shared by both CLIs (see outcome.py for the outcome ones).
EXIT_ERROR = 1          # refused by the cloud, or anything unexpected
EXIT_USAGE = 2          # bad arguments: nothing was sent
EXIT_UNREACHABLE = 6    # the endpoint could not be reached
EXIT_SERVICE = 7        # the cloud answered with a server error (5xx)


class ForceCompleteError(Exception):
    """Base class: something stopped the force-complete from being done."""

    exit_code = EXIT_ERROR
    #: Whether a later attempt may cure it (see retrying.py); set by the
    #: request path, which knows whether the request was safe to repeat.
    transient = False
    #: Seconds the cloud asked to wait before the next attempt (its answer's
    #: Retry-After), when it said.
    retry_after = None

    def __init__(self, message, nova_message=None, http_status=None,
                 request_id=None):
        super().__init__(message)
        self.message = message
        self.nova_message = nova_message
        self.http_status = http_status
        self.request_id = request_id

    def __str__(self):
        return self.message

    @property
    def summary(self):
        """The cause in a few words, for a progress line."""
        if self.http_status:
            return f'HTTP {self.http_status}'
        return self.message


class InvalidArgument(ForceCompleteError):
    """The caller's input is malformed; no request was sent."""

    exit_code = EXIT_USAGE


class CloudTooOld(ForceCompleteError):
    """The cloud's maximum microversion is below what the operation needs."""


class VersionPinnedTooLow(ForceCompleteError):
    """The caller pinned a microversion that cannot do the operation: a
    bad choice of the caller's, refused before the operation is sent
    (exit status 2, as for any bad argument)."""

    exit_code = EXIT_USAGE


class ServerNotFound(ForceCompleteError):
    """No server with that name or ID is visible to the caller."""


class AmbiguousServer(ForceCompleteError):
    """A server name matched more than one server."""


class MigrationNotFound(ForceCompleteError):
    """The migration does not exist for that server."""


class NoMigrationInProgress(ForceCompleteError):
    """No migration was given and none is in progress on the server."""


class AmbiguousMigration(ForceCompleteError):
    """No migration was given and several are in progress on the server."""


class MigrationNotRunning(ForceCompleteError):
    """The migration is queued/preparing/finished, not ``running``."""


class AlreadyPostCopy(ForceCompleteError):
    """The migration already switched to post-copy; nothing to force."""


class ServerNotMigrating(ForceCompleteError):
    """Nova answered 409: the server is not in a state that allows it."""


class ServerLocked(ForceCompleteError):
    """Nova answered 409: the server is locked and the caller is no admin."""


class PolicyRefused(ForceCompleteError):
    """Nova answered 403: the caller's role is not allowed to do it."""


class Unauthorized(ForceCompleteError):
    """The credentials or token were refused (401)."""


class EndpointUnreachable(ForceCompleteError):
    """Connection refused, DNS or TLS failure, or a read timeout."""

    exit_code = EXIT_UNREACHABLE
    cause = ''      # the short reason, e.g. 'Connection refused'

    @property
    def summary(self):
        return self.cause or self.message


class ServiceError(ForceCompleteError):
    """The cloud answered 5xx: a fault on its side, not a refusal."""

    exit_code = EXIT_SERVICE


class RateLimited(ServiceError):
    """The cloud answered 429: a proxy or API gateway in front of Nova
    limits the rate of requests, and did not pass this one on."""


class UnknownHost(ForceCompleteError):
    """The cloud has no compute host of that name (checked by an admin)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the SDK after it had started sending.

    ``outcomes`` holds what is known of every migration it was acting on
    when the signal came: accepted ones (the migration goes on),
    finished ones, ones whose answer was still outstanding (``unknown``:
    Nova may have applied them) and ones never sent. A KeyboardInterrupt,
    so a script that does not catch it still stops as on Ctrl-C.
    """

    def __init__(self, signum, outcomes):
        self.signal_name = signal.Signals(signum).name
        super().__init__(self.signal_name)
        self.signum = signum
        self.outcomes = outcomes

    @property
    def exit_code(self):
        """128 + the signal number, as a shell reports a signalled job."""
        return 128 + self.signum
