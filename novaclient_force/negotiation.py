"""Microversion negotiation, and the one path every compute request takes.

Negotiation is optimistic and happens at most once per client: requests go
out at ``OPTIMISTIC`` (the highest version whose migration behaviour we
know; no microversion after 2.80 changes the migration resources), and
only when the cloud answers 406 ("Version ... is not supported by the API",
which Nova checks before doing anything, so nothing was applied) does one
discovery GET of the compute version document learn the cloud's maximum.
The request is then re-sent at min(OPTIMISTIC, maximum), or refused with
CloudTooOld before any mutating request when the maximum is below what the
operation needs. A pinned version is sent as is. Upstream clients differ:
openstacksdk sends force_complete at min(max, 2.80) even below 2.22, and
python-novaclient always spends a discovery request first.
"""

import logging
import re
import threading
import time
import urllib.parse

import requests
import urllib3
from keystoneauth1 import adapter as ksa_adapter
from keystoneauth1 import exceptions as ksa_exc
from novaclient import api_versions

from novaclient_force import errors, exceptions, hints, retrying

# DEBUG: what was negotiated and every retry; `openstack --debug` and
# `nova --debug` show it. Nothing logged here carries credentials.
LOG = logging.getLogger(__name__)

APIVersion = api_versions.APIVersion

OPTIMISTIC = APIVersion('2.80')

# (minimum microversion, what needs it) per operation; Nova's
# rest_api_version_history.rst (2.22, 2.23, 2.24, 2.59, 2.80).
FORCE_COMPLETE = (APIVersion('2.22'), 'force-complete')
MIGRATIONS = (APIVersion('2.23'), 'reading live migrations')
ABORT = (APIVersion('2.24'), 'aborting a live migration')
MIGRATION_UUID = (APIVersion('2.59'), 'a migration UUID')
PROJECT_FILTER = APIVersion('2.80')   # /os-migrations?project_id=
EVENT_DETAILS = (APIVersion('2.84'), "instance action events' details")
BASIC = (APIVersion('2.1'), 'this request')

# A request sent with a deadline waits for its answer until the deadline,
# but never less than this (seconds): a last reading taken at the deadline
# itself still gets a fair chance to be answered.
MIN_REQUEST_TIMEOUT = 2.0


def as_version(value):
    """A pinned version from an APIVersion or an 'X.Y' string, or None."""
    if value is None or isinstance(value, APIVersion):
        return value if value and not value.is_null() else None
    text = str(value).strip()
    if not re.fullmatch(r'2\.(0|[1-9]\d*)', text):
        raise exceptions.InvalidArgument(
            'Invalid compute API version %r: use the form 2.N, e.g. 2.80'
            % text)
    return APIVersion(text)


def _adapter_for(client):
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
        connect_retries=client.connect_retries,
        logger=client.logger,
        additional_headers={'Accept': 'application/json'},
    )


def _not_sent(exc):
    """True when a connection error certainly happened before sending.

    keystoneauth wraps requests' exception (kept as ``__context__``):
    refused connections, DNS failures, connect timeouts and failed TLS
    handshakes never reach the server; a read timeout or a dropped
    connection may have.
    """
    if isinstance(exc, ksa_exc.SSLError):
        return True
    cause = exc.__context__
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return True
    return isinstance(_urllib3_reason(exc),
                      urllib3.exceptions.NewConnectionError)


def _urllib3_reason(exc):
    """urllib3's own error under keystoneauth's and requests' wrappers."""
    cause = exc.__context__
    if isinstance(cause, requests.exceptions.ConnectionError) and cause.args:
        return getattr(cause.args[0], 'reason', None)
    return None


def _permanent(exc):
    """True for failures a retry a few seconds later cannot cure: a
    certificate or protocol mismatch, or a host name that does not
    resolve. Waiting on them would only delay the error."""
    return isinstance(exc, ksa_exc.SSLError) or isinstance(
        _urllib3_reason(exc), urllib3.exceptions.NameResolutionError)


class Compute:
    """The compute endpoint of one client, at its negotiated microversion.

    Thread-safe: a host drain shares one instance across its worker pool.
    ``sleep`` and ``clock`` are injectable so retry timing is unit-tested
    without waiting.
    """

    def __init__(self, client, pinned=None, sleep=time.sleep,
                 clock=time.monotonic):
        self.client = client
        self.session = client.session
        self.adapter = _adapter_for(client)
        self.pinned = pinned
        self.sleep = sleep
        self.clock = clock
        self.cloud_max = None        # learnt by discovery, only on a 406
        self._confirmed = None       # a version the cloud has accepted
        self._lock = threading.Lock()

    # -- versions ---------------------------------------------------------

    @property
    def version(self):
        """The version requests go out at; discovers only if unknown."""
        if self.pinned is not None:
            return self.pinned
        if self._confirmed is not None:
            return self._confirmed
        self._discover()
        return min(OPTIMISTIC, self.cloud_max)

    def version_for(self, need):
        """The version to send for an operation needing ``need``:
        OPTIMISTIC (or the cloud's maximum below it), raised to what the
        operation needs (only reading event details needs more)."""
        minimum, what = need
        if self.pinned is not None:
            if self.pinned < minimum:
                raise exceptions.VersionPinnedTooLow(
                    'Compute API version %s was requested, but %s needs %s '
                    'or later: request %s+ or let the client negotiate' % (
                        self.pinned.get_string(), what,
                        minimum.get_string(), minimum.get_string()))
            return self.pinned
        if self.cloud_max is None:
            return max(OPTIMISTIC, minimum)
        if self.cloud_max < minimum:
            raise exceptions.CloudTooOld(
                'The cloud is too old: %s needs compute API %s, and the '
                'cloud supports at most %s' % (
                    what, minimum.get_string(), self._max_label()))
        return max(min(OPTIMISTIC, self.cloud_max), minimum)

    def _max_label(self):
        if self.cloud_max.is_null() or self.cloud_max.ver_minor == 0:
            return '2.0 (no microversions)'
        return self.cloud_max.get_string()

    def _confirm(self, version):
        with self._lock:
            if self.pinned is not None or self._confirmed is not None:
                return
            LOG.debug('Compute API microversion %s negotiated',
                      version.get_string())
            self._confirmed = version
            if hasattr(self.client, 'api_version'):
                self.client.api_version = version

    def _discover(self):
        """One GET of the compute version document; caches the maximum."""
        with self._lock:
            if self.cloud_max is not None:
                return
            url = self._endpoint()
            resp = self._send('GET', url, None, need_version=False)
            if resp.status_code == 404:
                # Pre-Mitaka catalogs put the project ID in the endpoint,
                # where no version document lives (python-novaclient's
                # VersionManager does the same fallback).
                url = '%s/' % url.rstrip('/').rsplit('/', 1)[0]
                resp = self._send('GET', url, None, need_version=False)
            if resp.status_code >= 400:
                raise errors.from_response(
                    resp, errors.Context('version discovery'))
            self.cloud_max = _max_version(resp.json())
            LOG.debug('Compute API %s: maximum microversion %s', url,
                      self._max_label())
        self._confirm(min(OPTIMISTIC, self.cloud_max))

    def _endpoint(self):
        try:
            return self.adapter.get_endpoint()
        except ksa_exc.ConnectionError as exc:
            raise unreachable(exc) from None
        except ksa_exc.ClientException as exc:
            raise _auth_error(exc) from None

    # -- requests ---------------------------------------------------------

    def request(self, method, url, need, context, json=None, params=None,
                deadline=None):
        """Send a request at the right version; the response, or raise.

        Transient failures are retried (see ``_send``).
        ``url`` is relative to the endpoint, or absolute (paging links).
        """
        version = self.version_for(need)
        resp = self._send(method, url, version, json=json, params=params,
                          deadline=deadline, context=context)
        if resp.status_code == 406 and self.pinned is None:
            # Threads sharing this client may all have sent at the
            # optimistic version; whichever discovers, each one refused
            # above what is now known is re-sent at it.
            if self.cloud_max is None:
                LOG.debug('Compute API refused microversion %s (406): '
                          'discovering its maximum', version.get_string())
            self._discover()
            known = self.version_for(need)
            if known < version:
                version = known
                resp = self._send(method, url, version, json=json,
                                  params=params, deadline=deadline,
                                  context=context)
        if resp.status_code == 406:
            raise exceptions.CloudTooOld(
                'The cloud does not support compute API version %s' %
                version.get_string(), nova_message=errors.nova_message(
                    _json_or_none(resp)), http_status=406)
        if resp.status_code >= 400:
            if resp.status_code == 403:
                context.roles = self.role_names()
            error = errors.from_response(resp, context)
            # A server error on a read may be gone on the next one.
            error.transient = (method == 'GET'
                               and isinstance(error, exceptions.ServiceError))
            raise error
        # Accepted at a version above OPTIMISTIC means accepted at it too.
        self._confirm(min(version, OPTIMISTIC))
        return resp

    def _send(self, method, url, version, json=None, params=None,
              deadline=None, context=None, need_version=True):
        """One request, retried under retrying.py's policy: GETs on any
        transient failure, other methods only when they certainly never
        left (connection refused). A read timeout or a dropped connection
        after a POST is never retried: Nova may have applied it."""
        idempotent = method == 'GET'
        backoff = None
        while True:
            kwargs = {'raise_exc': False, 'params': params}
            if deadline is not None:
                # Without this a hung endpoint holds the caller past its
                # own time limit (OSC sets no HTTP timeout at all).
                kwargs['timeout'] = max(deadline - self.clock(),
                                        MIN_REQUEST_TIMEOUT)
            if json is not None:
                kwargs['json'] = json
            if need_version:
                kwargs['microversion'] = version.get_string()
            try:
                resp = self.adapter.request(url, method, **kwargs)
            except ksa_exc.ConnectionError as exc:
                error = unreachable(exc, idempotent, context)
                error.transient = (idempotent or _not_sent(exc)) and (
                    not _permanent(exc))
                if error.transient and (backoff := self._pause(
                        backoff, deadline, method, url, error.summary)):
                    continue
                raise error from None
            except ksa_exc.ClientException as exc:
                raise _auth_error(exc) from None
            if (resp.status_code >= 500 and idempotent
                    and (backoff := self._pause(
                        backoff, deadline, method, url,
                        'HTTP %d' % resp.status_code))):
                continue
            return resp

    def _pause(self, backoff, deadline, method, url, why):
        """Sleep before a retry and return the series' Backoff; None when
        the window or the deadline ran out, or a wait loop retries."""
        if not retrying.request_retries():
            return None
        if backoff is None:
            backoff = retrying.Backoff(self.clock, retrying.REQUEST_WINDOW,
                                       deadline)
        delay = backoff.next_delay()
        if delay is None:
            return None
        LOG.debug('%s %s: %s; retrying in %.1fs', method, url, why, delay)
        self.sleep(delay)
        return backoff

    def role_names(self):
        """The caller's role names, from the token the session already
        holds (no request); empty when the auth plugin cannot tell."""
        auth = self.adapter.auth or self.session.auth
        try:
            access = auth.get_access(self.session)
        except (AttributeError, ksa_exc.ClientException):
            return ()
        return tuple(getattr(access, 'role_names', None) or ())

    def get_json(self, url, need, context, params=None, deadline=None):
        return self.request('GET', url, need, context, params=params,
                            deadline=deadline).json()


def _json_or_none(resp):
    try:
        return resp.json()
    except ValueError:
        return None


def _max_version(doc):
    """The maximum microversion in a version document.

    Accepts ``{"version": {...}}`` (the versioned endpoint) and
    ``{"versions": [...]}`` (the unversioned root), like keystoneauth's
    discovery does. An empty ``version`` means no microversions (2.0).
    """
    entries = []
    if isinstance(doc, dict):
        if isinstance(doc.get('version'), dict):
            entries = [doc['version']]
        elif isinstance(doc.get('versions'), list):
            entries = doc['versions']
    found = [APIVersion(e['version']) for e in entries
             if isinstance(e, dict) and e.get('version')]
    return max(found) if found else APIVersion('2.0')


def unreachable(exc, idempotent=True, context=None):
    """EndpointUnreachable naming the endpoint and the short cause of a
    keystoneauth connection error (also used for authentication)."""
    url = re.search(r'https?://[^\s]+?(?=:?\s|$)', str(exc))
    endpoint = 'the cloud'
    if url:
        parts = urllib.parse.urlsplit(url.group(0))
        endpoint = '%s://%s' % (parts.scheme, parts.netloc)
    may_have_applied = not idempotent and not _not_sent(exc)
    check = None
    if may_have_applied and context is not None and context.server_id:
        check = hints.follow(context.server_id, context.cli, context.admin)
    return errors.unreachable(_short_reason(exc), endpoint,
                              may_have_applied, check, _advice(exc))


def _advice(exc):
    """What to check, for a connection that never carried the request."""
    if isinstance(exc, ksa_exc.SSLError):
        return ('check http or https in the URL, the port, and the CA '
                'certificate (--os-cacert)')
    reason = _urllib3_reason(exc)
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return 'check the host name in the auth URL or service catalog'
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return ('check that the service is up and that the URL\'s host '
                'and port are right')
    if isinstance(exc, ksa_exc.ConnectTimeout):
        return ('check that the service is up, and the network and '
                'firewalls between here and there')
    return 'check that the service is up and reachable'


def _short_reason(exc):
    if isinstance(exc, ksa_exc.ConnectTimeout):
        return 'timed out'
    text = str(exc)
    errno = re.search(r'\[Errno -?\d+\] ([^\'")\]]+)', text)
    if errno:
        return errno.group(1).strip()
    if isinstance(exc, ksa_exc.SSLError):
        ssl = re.search(r'\] ([^(\'"]+)\(_ssl', text)
        return 'TLS error: %s' % (ssl.group(1).strip() if ssl else text)
    return type(exc).__name__


def connection_cause(exc):
    """The keystoneauth ConnectionError behind ``exc``, or None.

    When the identity endpoint cannot be reached, keystoneauth's generic
    password plugin catches the ConnectionError of its version discovery
    and raises DiscoveryFailure ("Could not find versioned identity
    endpoints...") in its place, inside the handler, so the connection
    error is the DiscoveryFailure's context
    (keystoneauth1/identity/generic/base.py, BaseGenericPlugin
    ._do_create_plugin).
    """
    if isinstance(exc, ksa_exc.ConnectionError):
        return exc
    if isinstance(exc, ksa_exc.DiscoveryFailure) and isinstance(
            exc.__context__, ksa_exc.ConnectionError):
        return exc.__context__
    return None


def _auth_error(exc):
    """Map keystoneauth's failures before any compute request (reaching
    the identity endpoint, token, catalog).

    Keystone answers an expired or revoked token given to its ``token``
    method with 404 (keystone/token/provider.py ``validate_token``) or
    401: either way the credentials are refused.
    """
    cause = connection_cause(exc)
    if cause is not None:
        # Authentication comes first: the compute request never left.
        error = unreachable(cause)
        error.transient = not _permanent(cause)
        return error
    if isinstance(exc, (ksa_exc.Unauthorized, ksa_exc.NotFound)):
        return exceptions.Unauthorized(
            'The identity service refused the credentials (HTTP %s): '
            'check the user, password and project, or get a new token'
            % exc.http_status, http_status=exc.http_status)
    if isinstance(exc, ksa_exc.EndpointNotFound):
        return exceptions.ForceCompleteError(
            'The service catalog has no compute endpoint for this region '
            'and interface')
    return exceptions.ForceCompleteError(
        'Authentication failed: %s' % ' '.join(str(exc).split()))
