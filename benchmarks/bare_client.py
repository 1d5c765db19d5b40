"""The physical limit: a minimal HTTP client that forces migrations.

Standard library only, no retries, no checks beyond the status codes:
``post_all`` sends N force_complete POSTs from POOL threads over one
keep-alive connection each. Run as a script it is the smallest possible
command-line drain of a host (get a token, one listing, the POSTs), the
floor for a CLI on this machine:

    python bare_client.py URL HOST POOL

``list_and_post`` is the same drain with the token in hand: the work the
SDK's ``force_complete_host`` does, and so its floor.
"""

import concurrent.futures
import http.client
import json
import sys
import threading
import time
import urllib.parse

VERSION_HEADERS = {'OpenStack-API-Version': 'compute 2.59',
                   'X-OpenStack-Nova-API-Version': '2.59'}
FORCE_BODY = json.dumps({'force_complete': None}).encode()
AUTH_BODY = json.dumps({'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'},
        'password': 'secret'}}},
    'scope': {'project': {'name': 'admin',
                          'domain': {'id': 'default'}}}}}).encode()


def _connect(url):
    address = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(address.hostname, address.port,
                                      timeout=30)


def post_all(url, token, targets, pool):
    """Seconds for the POSTs to ``targets`` ((server UUID, migration ID)
    pairs) and their status codes."""
    headers = dict(VERSION_HEADERS, **{'X-Auth-Token': token,
                                       'Content-Type': 'application/json'})
    local = threading.local()
    opened = []

    def post(target):
        if not hasattr(local, 'conn'):
            local.conn = _connect(url)
            opened.append(local.conn)
        server, migration = target
        local.conn.request(
            'POST', f'/compute/v2.1/servers/{server}/migrations/{migration}'
            '/action', body=FORCE_BODY, headers=headers)
        response = local.conn.getresponse()
        response.read()
        return response.status

    with concurrent.futures.ThreadPoolExecutor(pool) as executor:
        began = time.perf_counter()
        statuses = list(executor.map(post, targets))
        seconds = time.perf_counter() - began
    for conn in opened:
        conn.close()
    return seconds, statuses


def _running(conn, token, host):
    """Every running live migration leaving ``host``, following Nova's
    pages (at most 1000 rows each, ``[api] max_limit``) by marker, as any
    client must once a host has more than that."""
    query = {'source_compute': host, 'status': 'running',
             'migration_type': 'live-migration'}
    rows = []
    while True:
        conn.request('GET', '/compute/v2.1/os-migrations?'
                     + urllib.parse.urlencode(query),
                     headers=dict(VERSION_HEADERS, **{'X-Auth-Token': token}))
        body = json.loads(conn.getresponse().read())
        rows += body['migrations']
        if not body.get('migrations_links') or not body['migrations']:
            return rows
        query['marker'] = body['migrations'][-1]['uuid']


def list_and_post(url, token, host, pool, conn=None):
    """Seconds and status codes for one listing of the running migrations
    leaving ``host`` (on ``conn``, or a new connection) and their POSTs
    from ``pool`` threads."""
    began = time.perf_counter()
    conn = conn or _connect(url)
    rows = _running(conn, token, host)
    conn.close()
    targets = [(row['instance_uuid'], row['id']) for row in rows]
    statuses = post_all(url, token, targets, pool)[1]
    return time.perf_counter() - began, statuses


def _drain(url, host, pool):
    """Token, running migrations leaving ``host``, POSTs; status codes."""
    conn = _connect(url)
    conn.request('POST', '/identity/v3/auth/tokens', body=AUTH_BODY,
                 headers={'Content-Type': 'application/json'})
    response = conn.getresponse()
    response.read()
    token = response.getheader('X-Subject-Token')
    return list_and_post(url, token, host, pool, conn)[1]


if __name__ == '__main__':
    codes = _drain(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    print(' '.join(str(code) for code in codes))
