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

from keystoneauth1 import exceptions as ksa_exc
from novaclient import api_versions

from novaclient_force import errors, exceptions, retrying, transport

# DEBUG: what was negotiated; `openstack --debug` and `nova --debug` show
# it. Nothing logged here carries credentials.
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


def as_version(value):
    """A pinned version from an APIVersion or an 'X.Y' string, or None."""
    if value is None or isinstance(value, APIVersion):
        return value if value and not value.is_null() else None
    text = str(value).strip()
    if not re.fullmatch(r'2\.(0|[1-9]\d*)', text):
        raise exceptions.InvalidArgument(
            f'Invalid compute API version {text!r}: use the form 2.N, '
            f'e.g. 2.80')
    return APIVersion(text)


class Compute:
    """The compute endpoint of one client, at its negotiated microversion.

    Thread-safe: a host drain shares one instance across its worker pool.
    ``sleep`` and ``clock`` are injectable so retry timing is unit-tested
    without waiting (transport.py sends and retries).
    """

    def __init__(self, client, pinned=None, sleep=time.sleep,
                 clock=time.monotonic):
        self.client = client
        self.session = client.session
        self.adapter = transport.adapter_for(client)
        self.transport = transport.Transport(self.adapter, clock, sleep)
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
                least = minimum.get_string()
                raise exceptions.VersionPinnedTooLow(
                    f'Compute API version {self.pinned.get_string()} was '
                    f'requested, but {what} needs {least} or later: '
                    f'request {least}+ or let the client negotiate')
            return self.pinned
        if self.cloud_max is None:
            return max(OPTIMISTIC, minimum)
        if self.cloud_max < minimum:
            raise exceptions.CloudTooOld(
                f'The cloud is too old: {what} needs compute API '
                f'{minimum.get_string()}, and the cloud supports at most '
                f'{self._max_label()}')
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
            url = self.transport.endpoint()
            resp = self.transport.send('GET', url)
            if resp.status_code == 404:
                # Pre-Mitaka catalogs put the project ID in the endpoint,
                # where no version document lives (python-novaclient's
                # VersionManager does the same fallback).
                url = f"{url.rstrip('/').rsplit('/', 1)[0]}/"
                resp = self.transport.send('GET', url)
            if resp.status_code >= 400:
                raise errors.from_response(
                    resp, errors.Context('version discovery'))
            self.cloud_max = _max_version(resp.json())
            LOG.debug('Compute API %s: maximum microversion %s', url,
                      self._max_label())
        self._confirm(min(OPTIMISTIC, self.cloud_max))

    # -- requests ---------------------------------------------------------

    def request(self, method, url, need, context, json=None, params=None,
                deadline=None):
        """Send a request at the right version; the response, or raise.

        Transient failures are retried (see transport.py).
        ``url`` is relative to the endpoint, or absolute (paging links).
        """
        version = self.version_for(need)
        resp = self.transport.send(method, url, version, json=json,
                                   params=params, deadline=deadline,
                                   context=context)
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
                resp = self.transport.send(method, url, version, json=json,
                                           params=params, deadline=deadline,
                                           context=context)
        if resp.status_code == 406:
            raise exceptions.CloudTooOld(
                f'The cloud does not support compute API version '
                f'{version.get_string()}', nova_message=errors.nova_message(
                    _json_or_none(resp)), http_status=406)
        if resp.status_code >= 400:
            if resp.status_code == 403:
                context.roles = self.role_names()
            error = errors.from_response(resp, context)
            error.transient = retrying.answer_is_transient(method, resp)
            raise error
        # Accepted at a version above OPTIMISTIC means accepted at it too.
        self._confirm(min(version, OPTIMISTIC))
        return resp

    def role_names(self):
        """The caller's role names, from the token the session already
        holds (no request); empty when the auth plugin cannot tell."""
        auth = self.adapter.auth or self.session.auth
        try:
            with transport.quiet_discovery():
                access = auth.get_access(self.session)
        except (AttributeError, ksa_exc.ClientException):
            return ()
        return tuple(getattr(access, 'role_names', None) or ())

    def get_json(self, url, need, context, params=None, deadline=None):
        """The JSON body of a GET (see ``request``).

        Nova answers every GET with JSON; anything else (an empty body from
        a proxy, a page from a captive portal) is the cloud's failure, and
        a read may well get JSON next time.
        """
        resp = self.request('GET', url, need, context, params=params,
                            deadline=deadline)
        try:
            return resp.json()
        except ValueError:
            error = exceptions.ServiceError(
                f'The compute service at '
                f'{errors.endpoint_of(resp.url) or "the cloud"} answered a '
                f'read with a body that is not JSON; retry later or ask the '
                f'cloud operator')
            error.transient = True
            raise error from None


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
