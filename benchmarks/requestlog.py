"""Count requests where they arrive: the reference server's request log.

The control API (``GET /_refserver/requests``, the fixture's
``requests()``) lists every request the server received, with its method,
path and status, recorded before its answer was written: once a client
has its answers, all its requests are there. ``RequestLog.take()``
returns the requests received since the previous call.
"""

import collections


class Request(collections.namedtuple('Request', 'method path status')):
    @property
    def api(self):
        """'compute', 'identity' or 'other', from the path prefix."""
        head = self.path.split('?')[0].split('/')[1:2]
        return head[0] if head and head[0] in ('compute', 'identity') \
            else 'other'

    def short(self):
        """``GET /servers/detail?name=x 200``: compute paths without their
        ``/compute/v2.1`` prefix, everything else as it came."""
        path = self.path
        prefix = '/compute/v2.1'
        if path.startswith(prefix + '/') or path.startswith(prefix + '?'):
            path = path[len(prefix):]
        return f'{self.method} {path} {self.status}'


class RequestLog:
    """The requests a RefServer fixture received, in arrival order."""

    def __init__(self, server):
        self.server = server
        entries = server.requests()
        self._seq = entries[-1]['seq'] if entries else 0

    def take(self):
        """Every request received since the last call (or construction)."""
        entries = self.server.requests(since=self._seq)
        if entries:
            self._seq = entries[-1]['seq']
        return [Request(e['method'], e['path'], e['status'])
                for e in entries]


def split(requests):
    """(compute requests, identity requests)."""
    return ([r for r in requests if r.api == 'compute'],
            [r for r in requests if r.api == 'identity'])
