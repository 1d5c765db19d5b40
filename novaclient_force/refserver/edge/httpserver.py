"""A threaded WSGI server from the standard library, with keep-alive.

wsgiref's server speaks HTTP/1.0 and closes every connection; clients
(keystoneauth, requests) reuse connections, so the handler here answers
HTTP/1.1 and keeps the connection open when the response has a
Content-Length. Each connection gets a daemon thread.
"""

import logging
import socket
import socketserver
import wsgiref.simple_server

LOG = logging.getLogger(__name__)


class _Handler(wsgiref.simple_server.WSGIRequestHandler):
    protocol_version = 'HTTP/1.1'

    def setup(self):
        """Headers and body go out in separate writes: without
        TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms per response."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        """Serve requests until the client or the response ends it."""
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            self.close_connection = True
            return
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        environ = self.get_environ()
        body = _Body(self.rfile, environ.get('CONTENT_LENGTH'))
        handler = _KeepAliveHandler(
            body, self.wfile, self.get_stderr(), environ, multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        self.close_connection = (self.close_connection
                                 or not handler.keep_alive
                                 or not body.drain())

    def log_message(self, format, *args):
        LOG.info('%s - %s', self.address_string(), format % args)


class _KeepAliveHandler(wsgiref.simple_server.ServerHandler):
    http_version = '1.1'
    keep_alive = False

    def cleanup_headers(self):
        """Keep the connection only when the body length is known."""
        super().cleanup_headers()
        self.keep_alive = (
            'Content-Length' in self.headers
            and self.request_handler.headers.get(
                'Connection', '').lower() != 'close')
        if not self.keep_alive:
            self.headers['Connection'] = 'close'


class _Body:
    """The request body stream, bounded by Content-Length, so that what
    the application did not read can be skipped before the next request
    on the same connection."""

    _DRAIN_LIMIT = 1024 * 1024

    def __init__(self, stream, length):
        self._stream = stream
        try:
            self._left = max(int(length or 0), 0)
        except ValueError:
            self._left = 0

    def read(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._stream.read(size) if size else b''
        self._left -= len(data)
        return data

    def readline(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._stream.readline(size) if size else b''
        self._left -= len(data)
        return data

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')

    def drain(self):
        """Skip the unread body; False if it is too big to bother."""
        if self._left > self._DRAIN_LIMIT:
            return False
        while self._left:
            if not self.read(min(self._left, 65536)):
                return False
        return True


class ThreadedWSGIServer(socketserver.ThreadingMixIn,
                         wsgiref.simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(host, port, app):
    server = ThreadedWSGIServer((host, port), _Handler)
    server.set_app(app)
    return server
