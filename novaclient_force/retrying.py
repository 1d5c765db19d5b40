"""The project's one retry policy: what is transient, and for how long.

A transient failure is one a later attempt can cure: a refused or reset
connection, a timeout, a 5xx answer. (A 401 that re-authentication cures
never reaches us: keystoneauth's session re-authenticates once and resends
on a 401, ``Session.request``; a 401 that persists, or an identity service
that will not renew the token, is not transient.) Failures a retry cannot
cure (a TLS or protocol mismatch, a host name that does not resolve) are
not transient either.

Transient failures are retried with the same backoff everywhere: the delay
starts at ``FIRST_DELAY`` and doubles up to ``MAX_DELAY``, until a window
that began with the first failure of the series has passed, or the
caller's deadline comes. Only the window differs:

* a single request (resolving a server, a POST that certainly never left)
  rides out ``REQUEST_WINDOW`` seconds of trouble (0.5 + 1 + 2 + 4 s);
* a wait for an accepted force-complete rides out an outage until its
  ``--timeout``, or without one for ``OUTAGE_WINDOW`` seconds, and says
  meanwhile that the cloud is unreachable and for how long. The reads a
  wait makes are tried once each (``attempts_once``): the wait loop is
  the one retrying them, so that it can show the outage.

Clock and sleep are the caller's, so the policy is tested without waiting.
"""

import contextlib
import contextvars
import math

FIRST_DELAY = 0.5
MAX_DELAY = 5.0
REQUEST_WINDOW = 7.5
OUTAGE_WINDOW = 600.0

_WAIT_RETRIES = contextvars.ContextVar('novaclient_force_wait_retries',
                                       default=False)


class Backoff:
    """Delays before each retry of one series of transient failures."""

    def __init__(self, clock, window, deadline=None, first=FIRST_DELAY,
                 cap=MAX_DELAY):
        self.clock = clock
        self.window = window
        self.deadline = math.inf if deadline is None else deadline
        self.cap = cap
        self.started = clock()
        self._delay = first

    @property
    def failing_for(self):
        """Seconds since the first failure of the series."""
        return self.clock() - self.started

    def next_delay(self):
        """Seconds to sleep before the next attempt, or None: give up.

        The attempt must fall inside the window; a deadline inside the
        window gets one last attempt at the deadline itself.
        """
        now = self.clock()
        delay = self._delay
        if now + delay > self.started + self.window or now >= self.deadline:
            return None
        self._delay = min(delay * 2, self.cap)
        return min(delay, self.deadline - now)


def is_transient(error):
    """True for a typed SDK error that a later attempt may cure."""
    return bool(getattr(error, 'transient', False))


@contextlib.contextmanager
def attempts_once():
    """Within this block, requests are not retried by the request path:
    the caller (a wait loop) retries them under its own window."""
    token = _WAIT_RETRIES.set(True)
    try:
        yield
    finally:
        _WAIT_RETRIES.reset(token)


def request_retries():
    """Whether the request path should retry transient failures itself."""
    return not _WAIT_RETRIES.get()
