"""The reference server's HTTP edge under hostile or broken clients.

Each test talks raw sockets to ``httpserver.make_server`` serving a tiny
WSGI app from a thread, with short timeouts so nothing waits long; the
descriptor-exhaustion tests run the server in a subprocess with a lowered
``RLIMIT_NOFILE``.
"""

import os
import select
import socket
import subprocess
import sys
import textwrap
import threading
import time

import fixtures

from novaclient_force.refserver.edge import httpserver
from tests import testcase

#: How long a test waits for the server before calling it hung; far
#: longer than the timeouts under test, so a loaded machine still passes.
PATIENCE = 20.0
HELLO = b'{"hello": "world"}'
# The first bytes of a TLS 1.2 ClientHello (record header, handshake
# header, client version, then random bytes): no line ending anywhere.
CLIENT_HELLO = (bytes.fromhex('16030100a5010000a10303')
                + bytes(range(0x40, 0x60)))


def _app(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    environ['wsgi.input'].read(length)
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(HELLO)))])
    return [HELLO]


def _read_until_closed(sock, patience=PATIENCE):
    """Everything the server sends until it closes; fails if it never
    closes within ``patience`` seconds."""
    sock.settimeout(patience)
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b''.join(chunks)


def _read_response(sock):
    """One response with a Content-Length body: (head bytes, body)."""
    sock.settimeout(PATIENCE)
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f'closed before a response: {data!r}')
        data += chunk
    head, body = data.split(b'\r\n\r\n', 1)
    length = 0
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value)
    while len(body) < length:
        body += sock.recv(65536)
    return head, body


class ServerTest(testcase.TestCase):
    limits = {'idle_timeout': 0.5, 'request_timeout': 0.5}

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name=httpserver.__name__, level='INFO'))
        self.errors = self.useFixture(fixtures.StringStream('stderr'))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                             self.errors.stream))
        self.server = httpserver.make_server('127.0.0.1', 0, _app,
                                             **self.limits)
        thread = threading.Thread(target=self.server.serve_forever,
                                  kwargs={'poll_interval': 0.05})
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)

    def connect(self):
        sock = socket.create_connection(self.server.server_address[:2],
                                        timeout=PATIENCE)
        self.addCleanup(sock.close)
        return sock

    def assert_serving(self):
        sock = self.connect()
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        head, body = _read_response(sock)
        self.assertTrue(head.startswith(b'HTTP/1.1 200'), head)
        self.assertEqual(HELLO, body)

    def assert_no_traceback(self):
        self.errors.stream.flush()
        self.assertNotIn('Traceback', self.errors.getDetails()[
            'stderr'].as_text())
        self.assertNotIn('Traceback', self.log.output)


class TestTimeouts(ServerTest):

    def test_idle_connection_is_closed(self):
        sock = self.connect()
        self.assertEqual(b'', _read_until_closed(sock))
        self.assert_serving()

    def test_partial_headers_answer_408(self):
        sock = self.connect()
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nX-Half')
        self.assertIn(b' 408 ', _read_until_closed(sock))
        self.assert_serving()
        self.assert_no_traceback()

    def test_headers_trickled_a_byte_at_a_time_are_cut_off(self):
        """The timeout bounds the whole request, not each read."""
        sock = self.connect()
        sock.sendall(b'GET / HTTP/1.1\r\n')
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < PATIENCE and not closed:
            try:
                sock.sendall(b'X')
            except OSError:
                break
            readable, _, _ = select.select([sock], [], [], 0.1)
            closed = bool(readable)
        self.assertTrue(closed, f'still open after {PATIENCE}s of trickling')
        self.assertIn(b' 408 ', _read_until_closed(sock))

    def test_short_body_answers_408(self):
        sock = self.connect()
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Length: 100\r\n\r\n{"short":')
        self.assertIn(b' 408 ', _read_until_closed(sock))
        self.assert_serving()
        self.assert_no_traceback()

    def test_tls_client_hello_on_the_plain_port(self):
        sock = self.connect()
        sock.sendall(CLIENT_HELLO)
        _read_until_closed(sock)
        self.assert_serving()
        self.assert_no_traceback()


class TestRequests(ServerTest):

    def test_request_line_over_64k_answers_414(self):
        sock = self.connect()
        sock.sendall(b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\n'
                     b'Host: x\r\n\r\n')
        self.assertTrue(_read_until_closed(sock).startswith(
            b'HTTP/1.1 414'))
        self.assert_serving()
        self.assert_no_traceback()

    def test_http10_keep_alive_is_acknowledged(self):
        sock = self.connect()
        for _ in range(2):
            sock.sendall(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
            head, body = _read_response(sock)
            self.assertIn(b'\r\nConnection: keep-alive', head)
            self.assertEqual(HELLO, body)

    def test_http10_without_keep_alive_is_closed(self):
        sock = self.connect()
        sock.sendall(b'GET / HTTP/1.0\r\n\r\n')
        data = _read_until_closed(sock)
        self.assertTrue(data.endswith(HELLO), data)
        self.assertNotIn(b'keep-alive', data)

    def test_control_characters_are_escaped_in_the_log(self):
        sock = self.connect()
        sock.sendall(b'GET /\x1b[2J\x07 HTTP/1.1\r\nHost: x\r\n\r\n')
        _read_response(sock)
        sock.close()
        # The request is logged just after its answer is written.
        deadline = time.monotonic() + PATIENCE
        while 'HTTP/1.1' not in self.log.output:
            self.assertLess(time.monotonic(), deadline, 'nothing logged')
            time.sleep(0.05)
        self.assertIn('GET /\\x1b[2J\\x07 HTTP/1.1', self.log.output)
        self.assertNotIn('\x1b', self.log.output)


class TestConnectionBound(ServerTest):
    limits = dict(ServerTest.limits, idle_timeout=PATIENCE * 2,
                  max_connections=4)

    def test_connections_over_the_bound_get_503(self):
        held = [self.connect() for _ in range(4)]
        # The server has taken all four before the fifth arrives.
        held[-1].sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        _read_response(held[-1])
        extra = self.connect()
        extra.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = _read_until_closed(extra)
        self.assertTrue(answer.startswith(b'HTTP/1.1 503'), answer)
        self.assertIn(b'Retry-After', answer)
        held.pop().close()
        deadline = time.monotonic() + PATIENCE
        while True:
            sock = self.connect()
            sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            head, _ = _read_response(sock)
            if head.startswith(b'HTTP/1.1 200'):
                break
            self.assertLess(time.monotonic(), deadline, head)
            time.sleep(0.1)


def _limited_server(limit):
    return textwrap.dedent(f'''
        import resource, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
        from novaclient_force.refserver import cli
        sys.exit(cli.main(sys.argv[1:]))
    ''')


def _unbounded_server(limit):
    """The bare HTTP server with a connection bound above the descriptor
    limit, so that accept() itself fails."""
    return textwrap.dedent(f'''
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
        from novaclient_force.refserver.edge import httpserver
        from tests.unit.refserver import test_refserver_httpserver as test
        server = httpserver.make_server('127.0.0.1', 0, test._app,
                                        max_connections=100000)
        print(f'listening on http://127.0.0.1:{{server.server_address[1]}}',
              flush=True)
        server.serve_forever(poll_interval=0.2)
    ''')


def _cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class TestDescriptorsRunOut(testcase.TestCase):
    """With ``ulimit -n`` lowered, more idle clients than descriptors."""

    def start(self, script, limit, *args):
        proc = subprocess.Popen(
            [sys.executable, '-c', script(limit), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        line = proc.stdout.readline().strip()
        if not line.startswith('listening on'):
            self.fail(f'did not start: {proc.stderr.read()}')
        return proc, int(line.rsplit(':', 1)[1])

    def flood(self, port, count):
        socks = []
        for _ in range(count):
            sock = socket.create_connection(('127.0.0.1', port),
                                            timeout=PATIENCE)
            self.addCleanup(sock.close)
            socks.append(sock)
        return socks

    def assert_refused_cleanly_without_spinning(self, proc, port):
        late = socket.create_connection(('127.0.0.1', port),
                                        timeout=PATIENCE)
        self.addCleanup(late.close)
        late.sendall(b'GET /identity HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = _read_until_closed(late)
        # A refusal (503) or an answer: not a stalled client.
        self.assertRegex(answer[:12], rb'^HTTP/1.1 (503|300|200)')
        # A client still waiting in the backlog must not make the accept
        # loop spin.
        waiting = socket.create_connection(('127.0.0.1', port),
                                           timeout=PATIENCE)
        self.addCleanup(waiting.close)
        before = _cpu_seconds(proc.pid)
        time.sleep(3)
        used = _cpu_seconds(proc.pid) - before
        self.assertLess(used, 0.3, f'the server used {used:.2f}s of CPU in 3s')
        self.assertIsNone(proc.poll())

    def test_more_clients_than_descriptors(self):
        proc, port = self.start(_limited_server, 128, '--scenario', 'empty')
        self.flood(port, 200)
        self.assert_refused_cleanly_without_spinning(proc, port)

    def test_accept_failing_for_lack_of_descriptors(self):
        proc, port = self.start(_unbounded_server, 64)
        self.flood(port, 100)
        self.assert_refused_cleanly_without_spinning(proc, port)
        proc.kill()
        proc.wait()
        self.assertIn('out of file descriptors', proc.stderr.read())
