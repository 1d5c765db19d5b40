"""requests' exceptions for connections that fail, chained as urllib3 and
requests chain them (urllib3/connection.py ``HTTPConnection._new_conn``,
urllib3/connectionpool.py ``urlopen``, requests/adapters.py
``HTTPAdapter.send``), for requests-mock to raise."""

import errno
import http.client
import socket
import ssl

import requests
import urllib3


def _from(outer, inner):
    """``outer`` as ``raise outer from inner`` leaves it."""
    outer.__cause__ = inner
    return outer


def _sent(kind, reason, url):
    """requests' ``kind`` for urllib3's ``reason``, raised while handling
    urllib3's MaxRetryError, as requests does."""
    retries = _from(urllib3.exceptions.MaxRetryError(None, url, reason),
                    reason)
    error = kind(retries, request=requests.Request('GET', url).prepare())
    error.__context__ = retries
    return error


def refused(url='http://nova.test/compute/v2.1'):
    socket_error = ConnectionRefusedError(errno.ECONNREFUSED,
                                          'Connection refused')
    return _sent(requests.exceptions.ConnectionError, _from(
        urllib3.exceptions.NewConnectionError(
            None, f'Failed to establish a new connection: {socket_error}'),
        socket_error), url)


def unresolved(url='http://nova.test/compute/v2.1'):
    socket_error = socket.gaierror(socket.EAI_NONAME,
                                   'Name or service not known')
    return _sent(requests.exceptions.ConnectionError, _from(
        urllib3.exceptions.NameResolutionError('nova.test', None,
                                               socket_error),
        socket_error), url)


def tls_to_plain_http(url='https://nova.test/compute/v2.1'):
    """A TLS handshake answered in plain HTTP: a real ssl.SSLError, from
    an in-memory handshake."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ssl.create_default_context().wrap_bio(
        incoming, outgoing, server_hostname='nova.test')
    try:
        client.do_handshake()
    except ssl.SSLWantReadError:
        incoming.write(b'HTTP/1.1 400 Bad Request\r\n\r\n')
    try:
        client.do_handshake()
    except ssl.SSLError as tls_error:
        return _sent(requests.exceptions.SSLError, _from(
            urllib3.exceptions.SSLError(tls_error), tls_error), url)
    raise AssertionError('the handshake did not fail')


def untrusted_certificate(url='https://nova.test/compute/v2.1'):
    tls_error = ssl.SSLCertVerificationError(
        1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
        'self-signed certificate (_ssl.c:1006)')
    # What OpenSSL's error sets (Modules/_ssl.c fill_and_set_sslerror).
    tls_error.reason = 'CERTIFICATE_VERIFY_FAILED'
    tls_error.verify_message = 'self-signed certificate'
    return _sent(requests.exceptions.SSLError, _from(
        urllib3.exceptions.SSLError(tls_error), tls_error), url)


def read_timeout(url='http://nova.test/compute/v2.1'):
    reason = _from(urllib3.exceptions.ReadTimeoutError(
        None, url, 'Read timed out. (read timeout=2.0)'),
        TimeoutError('timed out'))
    error = requests.exceptions.ReadTimeout(
        reason, request=requests.Request('GET', url).prepare())
    error.__context__ = reason
    return error


def dropped(url='http://nova.test/compute/v2.1', closed=None):
    """The connection closed with no answer (after the request went)."""
    closed = closed or http.client.RemoteDisconnected(
        'Remote end closed connection without response')
    aborted = _from(urllib3.exceptions.ProtocolError(
        'Connection aborted.', closed), closed)
    error = requests.exceptions.ConnectionError(
        aborted, request=requests.Request('GET', url).prepare())
    error.__context__ = aborted
    return error
