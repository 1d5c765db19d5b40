"""The project's one retry policy: what is transient, and for how long.

A transient failure is one a later attempt can cure: a refused or reset
connection, a timeout, a 5xx answer, a rate limit (429, or 503 with
Retry-After, from a proxy or API gateway in front of Nova, which does not
limit rates itself). (A 401 that re-authentication cures
never reaches us: keystoneauth's session re-authenticates once and resends
on a 401, ``Session.request``; a 401 that persists, or an identity service
that will not renew the token, is not transient.) Failures a retry cannot
cure (a TLS or protocol mismatch, a host name that does not resolve) are
not transient either.

Transient failures are retried with the same backoff everywhere: the delay
starts at ``FIRST_DELAY`` and doubles up to ``MAX_DELAY`` (or is what the
answer's Retry-After asks, when that is longer), until a window that
began with the first failure of the series has passed, or the caller's
deadline comes. Only the window differs:

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
import datetime
import email.utils
import math
import re
import time

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

    def next_delay(self, at_least=0.0):
        """Seconds to sleep before the next attempt, or None: give up.

        The attempt must fall inside the window; a deadline inside the
        window gets one last attempt at the deadline itself, unless the
        cloud asked for no attempt before ``at_least`` seconds from now
        and that is past the deadline (one sooner would be refused).
        """
        now = self.clock()
        delay = max(self._delay, at_least)
        if (now + delay > self.started + self.window
                or now + at_least > self.deadline or now >= self.deadline):
            return None
        self._delay = min(self._delay * 2, self.cap)
        return min(delay, self.deadline - now)


def retry_after(headers, now=time.time):
    """Seconds an answer's Retry-After asks to wait, or None.

    The value is seconds or an HTTP-date (RFC 9110 §10.2.3); a date is
    counted from the answer's own Date, so that the two clocks' skew does
    not matter, or from ``now`` (the epoch time) when there is none.
    """
    value = (headers.get('Retry-After') or '').strip()
    if re.fullmatch(r'\d+', value):
        return float(value)
    when = _epoch(value)
    if when is None:
        return None
    sent = _epoch(headers.get('Date') or '')
    return max(when - (now() if sent is None else sent), 0.0)


def _epoch(http_date):
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def answer_is_transient(method, resp):
    """Whether an error answer may be cured by sending the request again:
    a server error to a read, or, whatever the method, an answer saying
    the request was not processed and when to try again.

    A 429 is a refusal before any processing (RFC 6585 §4), and a 503
    with Retry-After a temporary inability to handle the request (RFC
    9110 §15.6.4, §10.2.3): proxies and API gateways in front of Nova
    answer both before Nova sees the request, so even a POST is safe to
    re-send. Any other 5xx to a POST may come after Nova applied it.
    """
    status = resp.status_code
    if status == 429 or (status == 503 and 'Retry-After' in resp.headers):
        return True
    return status >= 500 and method == 'GET'


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
