"""keystoneauth's failures as the typed errors of ``exceptions.py``.

A request that got no answer fails in keystoneauth as a ConnectionError
that wraps, as its context, requests' exception, which wraps urllib3's,
which wraps the socket's OSError or ssl's SSLError
(keystoneauth1/session.py ``Session._send_request``, requests/adapters.py
``HTTPAdapter.send``, urllib3/connectionpool.py ``urlopen``,
urllib3/connection.py ``HTTPConnection._new_conn``). What went wrong is
read from those exceptions' types and fields, never from their text, and
the endpoint named is the one the request was sent to.
"""

import http.client
import socket
import ssl

import requests
import urllib3
from keystoneauth1 import exceptions as ksa_exc

from novaclient_force import errors, exceptions, hints

# keystoneauth raises ConnectTimeout for requests' Timeout, a read
# timeout included; urllib3's own timeout types are no test (its
# NewConnectionError, a refused connection, is a ConnectTimeoutError).
_TIMEOUTS = (ksa_exc.ConnectTimeout, requests.exceptions.Timeout)


def _chain(exc):
    """``exc`` and every exception under it: causes, contexts, and those
    kept as a field (urllib3's MaxRetryError ``reason``) or an argument
    (requests' ConnectionError, urllib3's ProtocolError)."""
    found = []
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(
                current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__,
                    getattr(current, 'reason', None), *current.args]
    return found


def _first(exc, kind):
    """The outermost exception of type ``kind`` under ``exc``, or None."""
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def not_sent(exc):
    """True when a connection error certainly happened before sending:
    refused connections, DNS failures, connect timeouts and failed TLS
    handshakes never reach the server; a read timeout or a dropped
    connection may have."""
    return (isinstance(exc, ksa_exc.SSLError)
            or _first(exc, (requests.exceptions.ConnectTimeout,
                            urllib3.exceptions.ConnectTimeoutError,
                            urllib3.exceptions.NewConnectionError))
            is not None)


def permanent(exc):
    """True for failures a retry a few seconds later cannot cure: a
    certificate or protocol mismatch, or a host name that does not
    resolve. Waiting on them would only delay the error."""
    return isinstance(exc, ksa_exc.SSLError) or _first(
        exc, (urllib3.exceptions.NameResolutionError,
              socket.gaierror)) is not None


def _sent_to(exc):
    """The URL requests was sending to when it failed, or None."""
    failure = _first(exc, requests.exceptions.RequestException)
    return getattr(getattr(failure, 'request', None), 'url', None)


def unreachable(exc, url=None, idempotent=True, context=None):
    """EndpointUnreachable for a keystoneauth connection error, naming
    the endpoint of ``url`` (the one the request went to; by default the
    one requests was sending to) and the short cause.

    After a read timeout on a mutating request the request may have
    reached Nova and been applied; the message says so, and how to
    check. Otherwise it says what to check.
    """
    endpoint = errors.endpoint_of(url or _sent_to(exc)) or 'the cloud'
    reason = _short_reason(exc)
    if not idempotent and not not_sent(exc):
        message = (f'No answer from {endpoint} in time: the request may '
                   f'have been applied')
        if context is not None and context.server_id:
            check = hints.follow(context.server_id, context.cli,
                                 context.admin)
            message += f'; check with `{check}`'
        message += f' ({reason})'
    else:
        message = f'Cannot reach {endpoint} ({reason}): {_advice(exc)}'
    error = exceptions.EndpointUnreachable(message)
    error.cause = reason
    return error


def _advice(exc):
    """What to check, for a connection that never carried the request."""
    if isinstance(exc, ksa_exc.SSLError):
        return ('check http or https in the URL, the port, and the CA '
                'certificate (--os-cacert)')
    if _first(exc, (urllib3.exceptions.NameResolutionError,
                    socket.gaierror)):
        return 'check the host name in the auth URL or service catalog'
    if _first(exc, urllib3.exceptions.NewConnectionError):
        return ("check that the service is up and that the URL's host "
                "and port are right")
    if isinstance(exc, ksa_exc.ConnectTimeout):
        return ('check that the service is up, and the network and '
                'firewalls between here and there')
    return 'check that the service is up and reachable'


def _short_reason(exc):
    """The cause in a few words: the socket's error text (its
    ``strerror``, e.g. 'Connection refused'), or what failed in TLS."""
    if _first(exc, _TIMEOUTS):
        return 'timed out'
    tls = _first(exc, ssl.SSLError)
    if tls is not None:
        return f'TLS error: {_tls_reason(tls)}'
    if isinstance(exc, ksa_exc.SSLError):
        return 'TLS error'
    system = next((e for e in _chain(exc)
                   if isinstance(e, OSError) and e.strerror), None)
    if system is not None:
        return system.strerror
    if _first(exc, http.client.RemoteDisconnected):
        return 'connection closed without an answer'
    if _first(exc, requests.exceptions.ChunkedEncodingError):
        # The body ended before its Content-Length (urllib3's
        # IncompleteRead, requests/models.py ``Response.iter_content``).
        return 'connection closed in the middle of the answer'
    return type(exc).__name__


def _tls_reason(error):
    """OpenSSL's reason in words: ``verify_message`` for a certificate
    (ssl.SSLCertVerificationError), else its code ('WRONG_VERSION_NUMBER'
    reads 'wrong version number', as OpenSSL's own text does)."""
    if getattr(error, 'verify_message', None):
        return f'certificate verify failed: {error.verify_message}'
    if getattr(error, 'reason', None):
        return error.reason.replace('_', ' ').lower()
    return type(error).__name__


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


def auth_error(exc, auth_url=None):
    """Map keystoneauth's failures before any compute request (reaching
    the identity endpoint at ``auth_url``, token, catalog).

    Keystone answers an expired or revoked token given to its ``token``
    method with 404 (keystone/token/provider.py ``validate_token``) or
    401: either way the credentials are refused.
    """
    cause = connection_cause(exc)
    if cause is not None:
        # Authentication comes first: the compute request never left.
        error = unreachable(cause, _sent_to(cause) or auth_url)
        error.transient = not permanent(cause)
        return error
    if isinstance(exc, (ksa_exc.Unauthorized, ksa_exc.NotFound)):
        return exceptions.Unauthorized(
            f'The identity service refused the credentials (HTTP '
            f'{exc.http_status}): check the user, password and project, '
            f'or get a new token', http_status=exc.http_status)
    if isinstance(exc, ksa_exc.EndpointNotFound):
        return exceptions.ForceCompleteError(
            'The service catalog has no compute endpoint for this region '
            'and interface')
    return exceptions.ForceCompleteError(
        f"Authentication failed: {' '.join(str(exc).split())}")
