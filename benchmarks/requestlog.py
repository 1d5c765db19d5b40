"""Count requests where they arrive: in the reference server's own log.

The reference server logs one line per request with its request line,
``... "POST /compute/v2.1/servers/<id>/migrations/1/action HTTP/1.1" 202 0``
(``httpserver._Handler.log_message``). ``RequestLog.take()`` returns the
requests logged since the previous call. A request is logged just after
its response is written, so to know the log is complete ``take()`` sends
one request of its own to a path no API serves and reads up to that line.
"""

import collections
import re
import time
import urllib.error
import urllib.request
import uuid

_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')
_SYNC_PREFIX = '/benchmark-sync/'
SYNC_TIMEOUT = 10.0


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
        return '%s %s %s' % (self.method, path, self.status)


class RequestLog:
    """The requests a RefServer fixture has logged, in arrival order."""

    def __init__(self, server):
        self.server = server
        self._offset = self._size()

    def _size(self):
        with open(self.server.log_path, 'rb') as log:
            return log.seek(0, 2)

    def take(self):
        """Every request logged since the last call (or construction)."""
        marker = _SYNC_PREFIX + uuid.uuid4().hex
        time.sleep(0.02)    # let the last response's log line be written
        try:
            urllib.request.urlopen(self.server.url + marker, timeout=10)
        except urllib.error.HTTPError:
            pass            # 404, as intended
        deadline = time.monotonic() + SYNC_TIMEOUT
        needle = marker.encode('ascii')
        while True:
            with open(self.server.log_path, 'rb') as log:
                log.seek(self._offset)
                data = log.read()
            end = data.find(needle)
            if end >= 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError('the reference server did not log %s'
                                   % marker)
            time.sleep(0.01)
        line_end = data.find(b'\n', end)
        self._offset += len(data) if line_end < 0 else line_end + 1
        text = data[:end].decode('utf-8', 'replace')
        return [Request(m.group(1), m.group(2), int(m.group(3)))
                for m in _REQUEST_LINE.finditer(text)
                if not m.group(2).startswith(_SYNC_PREFIX)]


def split(requests):
    """(compute requests, identity requests)."""
    return ([r for r in requests if r.api == 'compute'],
            [r for r in requests if r.api == 'identity'])
