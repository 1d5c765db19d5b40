"""A threaded WSGI server from the standard library, with keep-alive.

wsgiref's server speaks HTTP/1.0 and closes every connection; clients
(keystoneauth, requests) reuse connections, so the handler here answers
HTTP/1.1 and keeps the connection open when the response has a
Content-Length. Each connection gets a daemon thread.

What a broken or hostile client can do is bounded:

* a connection idle for ``idle_timeout`` seconds between requests is
  closed; a request (line, headers and body) that has not fully arrived
  ``request_timeout`` seconds after its first byte gets a 408 and is
  closed, however slowly its bytes trickle in (partial headers, a short
  body, a TLS ClientHello on this plain-HTTP port);
* at most ``max_connections`` connections are served at once; the next
  one gets a 503 with ``Retry-After`` and is closed; when the process
  runs out of descriptors anyway, a spare one kept for the purpose lets
  the server accept, refuse and close the waiting client instead of
  spinning on a listening socket it cannot accept from;
* a request line over 64 KiB gets a 414, a body over 1 MiB a 413;
* request lines are logged with control characters escaped, as
  ``http.server`` does.

An application that raises :class:`DropConnection` gets the connection
closed with no answer (the test harness's injected faults).
"""

import errno
import io
import json
import logging
import os
import resource
import socket
import socketserver
import sys
import threading
import time
import wsgiref.simple_server

LOG = logging.getLogger(__name__)
# One line per request; novaclient-force-refserver --access-log routes it.
ACCESS_LOG = logging.getLogger(f'{__name__}.access')
IDLE_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
#: Descriptors kept for everything but client connections (the state
#: file and its journal, logs, notifications, imports).
RESERVED_DESCRIPTORS = 64
MAX_LINE = 65536
MAX_BODY = 1024 * 1024
#: How long a closing connection waits for the client's unread bytes, so
#: that closing does not reset the connection before the client has read
#: the last response.
LINGER = 1.0


def default_max_connections():
    """What the descriptor limit (``ulimit -n``) leaves for clients."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 4096
    return max(1, min(1000, soft - RESERVED_DESCRIPTORS))


class _Reader:
    """The connection's input, with one deadline for a whole request.

    A socket timeout bounds each ``recv``; a client sending a byte at a
    time would restart it forever. Every read here makes at most one
    ``recv`` and first arms the socket with what is left of the deadline.
    """

    def __init__(self, sock, rfile):
        self._sock = sock
        self._rfile = rfile
        self._deadline = 0.0

    def expire_in(self, seconds):
        self._deadline = time.monotonic() + seconds

    def _arm(self):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError('request not received in time')
        self._sock.settimeout(left)

    def wait(self):
        """True once a byte has arrived, False if the client closed."""
        self._arm()
        return bool(self._rfile.peek(1))

    def readline(self, limit=-1):
        line = b''
        while limit < 0 or len(line) < limit:
            self._arm()
            chunk = self._rfile.peek(1)
            if not chunk:
                break
            want = len(chunk) if limit < 0 else min(len(chunk),
                                                    limit - len(line))
            end = chunk.find(b'\n', 0, want)
            line += self._rfile.read(end + 1 if end >= 0 else want)
            if end >= 0:
                break
        return line

    def read(self, size):
        chunks = []
        while size > 0:
            self._arm()
            chunk = self._rfile.read1(min(size, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b''.join(chunks)

    def close(self):
        self._rfile.close()


class DropConnection(Exception):
    """Raised by the application: close the connection, answer nothing."""


class _Handler(wsgiref.simple_server.WSGIRequestHandler):
    protocol_version = 'HTTP/1.1'

    def setup(self):
        """Headers and body go out in separate writes: without
        TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms per response."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = _Reader(self.connection, self.rfile)

    def handle(self):
        """Serve requests until the client, a timeout or a response ends
        it; a client that goes away is not an error worth a traceback."""
        try:
            self.handle_one_request()
            while not self.close_connection:
                self.handle_one_request()
        except OSError as error:
            LOG.debug('%s - connection ended: %s', self.address_string(),
                      error)

    def handle_one_request(self):
        # What send_error and log_request read before a request line.
        self.requestline = self.request_version = self.command = ''
        self.close_connection = True
        self.rfile.expire_in(self.server.idle_timeout)
        try:
            if not self.rfile.wait():
                return
        except TimeoutError:
            return
        self.rfile.expire_in(self.server.request_timeout)
        try:
            body = self._read_request()
        except TimeoutError:
            self.send_error(408)
            return
        if body is None:
            return
        # Bounds each write of the response (a client that stops reading).
        self.connection.settimeout(self.server.request_timeout)
        handler = _KeepAliveHandler(
            io.BytesIO(body), self.wfile, self.get_stderr(),
            self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        if handler.dropped:
            self.log_message('"%s" dropped, unanswered', self.requestline)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.close_connection = self.close_connection or not handler.keep_alive

    def _read_request(self):
        """The body of a fully received request; None once an error has
        been answered."""
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if len(self.raw_requestline) > MAX_LINE:
            self.send_error(414)
            return None
        if not self.parse_request():
            return None
        try:
            length = max(int(self.headers.get('Content-Length') or 0), 0)
        except ValueError:
            self.send_error(400, 'Bad Content-Length')
            return None
        if length > MAX_BODY:
            self.send_error(413)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def send_error(self, code, message=None, explain=None):
        super().send_error(code, message, explain)
        self.close_connection = True

    def log_message(self, format, *args):
        ACCESS_LOG.info('%s - %s', self.address_string(),
                        (format % args).translate(self._control_char_table))


class _KeepAliveHandler(wsgiref.simple_server.ServerHandler):
    http_version = '1.1'
    keep_alive = False
    dropped = False

    def handle_error(self):
        if isinstance(sys.exc_info()[1], DropConnection):
            self.dropped = True
            return
        super().handle_error()

    def cleanup_headers(self):
        """Keep the connection only when the body length is known and the
        client asked for it (HTTP/1.1, or HTTP/1.0 with ``Connection:
        keep-alive``, which HTTP/1.0 clients need to see answered)."""
        super().cleanup_headers()
        request = self.request_handler
        self.keep_alive = ('Content-Length' in self.headers
                           and not request.close_connection)
        if not self.keep_alive:
            self.headers['Connection'] = 'close'
        elif request.request_version == 'HTTP/1.0':
            self.headers['Connection'] = 'keep-alive'


def _refusal(pending):
    """A 503 for a connection turned away, in Keystone's error format for
    an identity path and in Nova's otherwise."""
    message = 'The server is busy: too many connections. Try again later.'
    words = pending.split(b' ', 2)
    if len(words) == 3 and words[1].startswith(b'/identity'):
        body = {'error': {'code': 503, 'title': 'Service Unavailable',
                          'message': message}}
    else:
        body = {'serviceUnavailable': {'code': 503, 'message': message}}
    data = json.dumps(body).encode()
    return (b'HTTP/1.1 503 Service Unavailable\r\n'
            b'Content-Type: application/json\r\n'
            b'Content-Length: %d\r\nRetry-After: 1\r\n'
            b'Connection: close\r\n\r\n' % len(data)) + data


def _take_pending(sock):
    """What the client has already sent, without waiting for more."""
    data = b''
    try:
        while len(data) < MAX_BODY:
            chunk = sock.recv(65536, socket.MSG_DONTWAIT)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


class ThreadedWSGIServer(socketserver.ThreadingMixIn,
                         wsgiref.simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, idle_timeout=IDLE_TIMEOUT,
                 request_timeout=REQUEST_TIMEOUT, max_connections=None,
                 family=socket.AF_INET):
        # Read by socketserver when it creates the listening socket.
        self.address_family = family
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self._slots = threading.BoundedSemaphore(
            max_connections or default_max_connections())
        # Given up to accept a client when descriptors run out.
        self._spare = os.open(os.devnull, os.O_RDONLY)
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def close_connections(self):
        """End every open connection (an in-process server's kill)."""
        with self._open_lock:
            connections, self._open = self._open, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def get_request(self):
        try:
            return super().get_request()
        except OSError as error:
            if error.errno not in (errno.EMFILE, errno.ENFILE):
                raise
            self._refuse_without_descriptors()
            raise

    def _refuse_without_descriptors(self):
        """Out of descriptors: free the spare one, accept the waiting
        client with it, refuse and close it, take the spare back."""
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
        try:
            request, _ = self.socket.accept()
        except OSError:
            # Nothing to free: do not spin on the readable socket.
            time.sleep(0.1)
        else:
            LOG.warning('out of file descriptors: refusing a connection')
            self._refuse(request)
        try:
            self._spare = os.open(os.devnull, os.O_RDONLY)
        except OSError:
            pass

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            LOG.warning('%s - refused: too many connections',
                        client_address[0])
            self._refuse(request)
            return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request):
        """Answer 503 and close, from the accepting thread: never wait."""
        pending = _take_pending(request)
        try:
            request.setblocking(False)
            request.send(_refusal(pending))
            request.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        request.close()

    def shutdown_request(self, request):
        """Close after the client has had the chance to read everything:
        unread input at close would reset the connection."""
        with self._open_lock:
            self._open.discard(request)
        deadline = time.monotonic() + LINGER
        try:
            request.shutdown(socket.SHUT_WR)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                request.settimeout(left)
                if not request.recv(65536):
                    break
        except OSError:
            pass
        self.close_request(request)

    def server_close(self):
        super().server_close()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None


def make_server(host, port, app, **limits):
    """A server for ``app``; ``limits`` are ThreadedWSGIServer's
    ``idle_timeout``, ``request_timeout`` and ``max_connections``.

    An IPv6 address (``::1``, ``::``) gets an IPv6 socket; anything else
    (an IPv4 address, a host name) an IPv4 one, socketserver's default.
    """
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    server = ThreadedWSGIServer((host, port), family=family, **limits)
    server.set_app(app)
    return server
