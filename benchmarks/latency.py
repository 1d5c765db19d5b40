"""A cloud's latency on loopback: a delaying TCP proxy in front of the
reference server (run.py's ``latency`` and ``latency-drain`` sections).

On loopback a round trip costs well under a millisecond, so a request
saved is invisible. ``DelayProxy`` forwards every byte to the server
after ``delay`` seconds in each direction (a request and its answer cost
two delays), holds the first answer bytes after each request a further
``server_delay`` (the work nova-api does per request), and delays the
first bytes of a new connection by one more round trip, what the TCP
handshake costs before a client can send (plain HTTP: no TLS round
trips). Bandwidth is not limited.

The proxy forwards the bytes unchanged, Host header included, so the
reference server builds its catalog from the proxy's address
(``handlers/identity.py`` ``catalog(req.host_url)``): every compute
request a client sends after authenticating goes through the proxy too.
``Proxied`` is the fixture seen through the proxy: the same ``url``,
``env()``, ``session()`` and request log as ``RefServer``, with a
clouds.yaml of its own pointing at the proxy.
"""

import asyncio
import math
import os
import threading

HANDSHAKE_ROUND_TRIPS = 1       # TCP's SYN / SYN-ACK before the request
_CHUNK = 65536


class DelayProxy:
    """Listen on 127.0.0.1 (a free port) and forward to ``target_port``,
    from an asyncio loop in a daemon thread."""

    def __init__(self, target_port, delay, server_delay=0.0):
        self.target_port = target_port
        self.delay = delay
        self.server_delay = server_delay
        self.port = None
        self.connections = 0        # accepted so far (each one's handshake)
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._writers = set()       # both ends of every open connection
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name='delay-proxy')

    def start(self):
        self._thread.start()
        self._started.wait(30)
        if self.port is None:
            raise RuntimeError('delaying proxy did not start')
        return self

    def stop(self):
        """Close the listener and every connection, then the loop."""
        asyncio.run_coroutine_threadsafe(
            self._shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    async def _shutdown(self):
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = [task for task in asyncio.all_tasks()
                 if task is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    def _serve(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(
            self._connection, '127.0.0.1', 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _connection(self, client_reader, client_writer):
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(
                '127.0.0.1', self.target_port)
        except OSError:
            client_writer.close()
            return
        self._writers.update((client_writer, server_writer))
        # True from a request's bytes until its answer's first bytes.
        pending = {'request': False}
        setup = HANDSHAKE_ROUND_TRIPS * 2 * self.delay
        try:
            await asyncio.gather(
                self._pump(client_reader, server_writer, pending, setup),
                self._pump(server_reader, client_writer, pending, None),
                return_exceptions=True)
        finally:
            for writer in (client_writer, server_writer):
                writer.close()
                self._writers.discard(writer)

    async def _pump(self, reader, writer, pending, setup):
        """Forward ``reader`` to ``writer``, each chunk ``delay`` after it
        arrived, in order. ``setup`` is not None for the client's side:
        its first chunk also waits for the handshake."""
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def send():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = loop.create_task(send())
        extra = setup or 0.0
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                due = loop.time() + self.delay + extra
                extra = 0.0
                if setup is not None:
                    pending['request'] = True
                elif pending['request']:
                    pending['request'] = False
                    due += self.server_delay
                queue.put_nowait((due, data))
        finally:
            queue.put_nowait((0, None))
            try:
                await sender
            finally:
                sender.cancel()


def parse(text):
    """``'35'`` or ``'35,20'`` (milliseconds) -> (delay, server delay) in
    seconds; ValueError on anything else."""
    parts = text.split(',')
    if len(parts) > 2:
        raise ValueError('give <ms>[,<server ms>]')
    values = [float(part) for part in parts]
    if not all(math.isfinite(value) and value >= 0 for value in values):
        raise ValueError('milliseconds must be a number, 0 or more')
    delay = values[0] / 1000
    return delay, (values[1] / 1000 if len(values) == 2 else 0.0)


class Proxied:
    """A RefServer fixture as a client sees it through a DelayProxy."""

    def __init__(self, server, delay, server_delay=0.0):
        from novaclient_force.refserver import clouds

        self.server = server
        self.proxy = DelayProxy(server.port, delay, server_delay).start()
        self.url = f'http://127.0.0.1:{self.proxy.port}'
        self.clouds_yaml = os.path.join(server.tempdir, 'clouds-proxy.yaml')
        clouds.write(self.clouds_yaml, self.auth_url)

    @property
    def auth_url(self):
        return self.url + '/identity'

    @property
    def compute_url(self):
        return self.url + '/compute/v2.1'

    def env(self, cloud='refserver-admin'):
        env = self.server.env(cloud)
        env['OS_CLIENT_CONFIG_FILE'] = self.clouds_yaml
        return env

    def session(self, username='admin', project='admin'):
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3

        return ks_session.Session(auth=v3.Password(
            auth_url=self.auth_url, username=username, password='secret',
            project_name=project, user_domain_id='default',
            project_domain_id='default'))

    def requests(self, since=0):
        """The control API, straight to the server (not delayed)."""
        return self.server.requests(since)

    def close(self):
        self.proxy.stop()
