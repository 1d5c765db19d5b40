"""Sending one compute request: its retries and its time limit.

The retries are ours, under retrying.py's policy, not keystoneauth's
``connect_retries``: keystoneauth raises the same ConnectTimeout for a
read timeout as for a connect timeout and would re-send a POST that Nova
may have applied (keystoneauth1/session.py ``Session._send_request``).
"""

import contextlib
import logging
import threading
import urllib.parse

from keystoneauth1 import adapter as ksa_adapter
from keystoneauth1 import exceptions as ksa_exc

from novaclient_force import exceptions, keystoneauth_errors, retrying

# DEBUG: every retry; `openstack --debug` and `nova --debug` show it.
LOG = logging.getLogger(__name__)

#: keystoneauth's logger that warns, on every attempt to authenticate,
#: "Failed to discover available identity versions when contacting ..."
#: (keystoneauth1/identity/generic/base.py ``BaseGenericPlugin
#: ._do_create_plugin``).
DISCOVERY_LOG = 'keystoneauth.identity.generic.base'


class _QuietDiscovery(logging.Filter):
    """Drops that warning while this thread is inside quiet_discovery():
    the SDK then raises EndpointUnreachable naming the same URL and the
    cause, once, where keystoneauth warned on each retry (and a script
    without logging set up gets Python's last-resort handler printing
    every one on stderr). A logger set to DEBUG still gets it."""

    def __init__(self):
        super().__init__()
        self.local = threading.local()

    def filter(self, record):
        return (not getattr(self.local, 'depth', 0)
                or logging.getLogger(DISCOVERY_LOG).isEnabledFor(
                    logging.DEBUG))


_QUIET = _QuietDiscovery()
logging.getLogger(DISCOVERY_LOG).addFilter(_QUIET)


@contextlib.contextmanager
def quiet_discovery():
    """Authenticate, in this block, without keystoneauth's warning of an
    identity endpoint it cannot reach (see _QuietDiscovery)."""
    _QUIET.local.depth = getattr(_QUIET.local, 'depth', 0) + 1
    try:
        yield
    finally:
        _QUIET.local.depth -= 1


# A request sent with a deadline waits for its answer until the deadline,
# but never less than this (seconds): a last reading taken at the deadline
# itself still gets a fair chance to be answered.
MIN_REQUEST_TIMEOUT = 2.0


def adapter_for(client):
    """A plain keystoneauth Adapter aimed where ``client`` is aimed.

    novaclient's SessionClient stamps its own version on every request and
    raises novaclient errors; we need the raw response at a version of our
    choosing, over the same session (so connections are shared).
    """
    return ksa_adapter.Adapter(
        session=client.session,
        service_type=client.service_type or 'compute',
        service_name=client.service_name,
        interface=client.interface,
        region_name=client.region_name,
        endpoint_override=client.endpoint_override,
        auth=client.auth,
        user_agent=client.user_agent,
        connect_retries=0,
        logger=client.logger,
        additional_headers={'Accept': 'application/json'},
    )


class Transport:
    """Sends requests through ``adapter``; ``clock`` and ``sleep`` time
    the retries and the time limits, and are injectable for tests."""

    def __init__(self, adapter, clock, sleep):
        self.adapter = adapter
        self.clock = clock
        self.sleep = sleep

    def endpoint(self):
        """The compute endpoint's URL (authenticating if need be)."""
        try:
            with quiet_discovery():
                return self._endpoint()
        except ksa_exc.ClientException as exc:
            raise keystoneauth_errors.auth_error(
                exc, self._auth_url()) from None

    def send(self, method, url, version=None, json=None, params=None,
             deadline=None, context=None):
        """The response to one request, after retrying transient failures:
        GETs on any, other methods only when they certainly never left
        (connection refused) or were certainly not processed
        (``retrying.answer_is_transient``). A read timeout or a dropped
        connection after a POST is never retried: Nova may have applied
        it.

        ``url`` is relative to the endpoint, or absolute (paging links);
        ``version`` is the microversion to send, None for none.
        """
        idempotent = method == 'GET'
        backoff = None
        while True:
            try:
                resp = self._attempt(method, url, version, json, params,
                                     deadline, idempotent, context)
            except exceptions.ForceCompleteError as error:
                if error.transient and (backoff := self._pause(
                        backoff, deadline, method, url, error.summary)):
                    continue
                raise
            if not retrying.answer_is_transient(method, resp):
                return resp
            backoff = self._pause(backoff, deadline, method, url,
                                  f'HTTP {resp.status_code}',
                                  retrying.retry_after(resp.headers) or 0.0)
            if backoff is None:
                return resp

    def _attempt(self, method, url, version, json, params, deadline,
                 idempotent, context):
        """One try: the response, or the typed error of the failure."""
        kwargs = {'raise_exc': False, 'params': params}
        if deadline is not None:
            # Without this a hung endpoint holds the caller past its own
            # time limit (OSC sets no HTTP timeout at all).
            kwargs['timeout'] = max(deadline - self.clock(),
                                    MIN_REQUEST_TIMEOUT)
        if json is not None:
            kwargs['json'] = json
        if version is not None:
            kwargs['microversion'] = version.get_string()
        target = None
        try:
            with quiet_discovery():
                target = self._absolute(url)
                return self.adapter.request(url, method, **kwargs)
        except ksa_exc.ConnectionError as exc:
            if target is None:
                # Reaching the identity service: nothing was sent to
                # compute yet.
                raise keystoneauth_errors.auth_error(
                    exc, self._auth_url()) from None
            error = keystoneauth_errors.unreachable(exc, target, idempotent,
                                                    context)
            error.transient = (
                (idempotent or keystoneauth_errors.not_sent(exc))
                and not keystoneauth_errors.permanent(exc))
            raise error from None
        except ksa_exc.ClientException as exc:
            raise keystoneauth_errors.auth_error(
                exc, self._auth_url()) from None

    def _absolute(self, url):
        """The URL a request for ``url`` goes to, so that a failure names
        the endpoint tried (keystoneauth joins them the same way,
        ``Session.request``)."""
        if urllib.parse.urlsplit(url).netloc:
            return url
        return f"{self._endpoint().rstrip('/')}/{url.lstrip('/')}"

    def _endpoint(self):
        endpoint = self.adapter.get_endpoint()
        if endpoint is None:
            raise ksa_exc.EndpointNotFound()
        return endpoint

    def _auth_url(self):
        auth = self.adapter.auth or self.adapter.session.auth
        return getattr(auth, 'auth_url', None)

    def _pause(self, backoff, deadline, method, url, why, at_least=0.0):
        """Sleep before a retry (``at_least`` seconds, when the cloud asked
        so) and return the series' Backoff; None when the window or the
        deadline ran out, or a wait loop retries."""
        if not retrying.request_retries():
            return None
        if backoff is None:
            backoff = retrying.Backoff(self.clock, retrying.REQUEST_WINDOW,
                                       deadline)
        delay = backoff.next_delay(at_least)
        if delay is None:
            return None
        LOG.debug('%s %s: %s; retrying in %.1fs', method, url, why, delay)
        self.sleep(delay)
        return backoff
