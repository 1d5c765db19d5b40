"""Reference server throughput: does a request's cost depend on cloud size?

Starts the real server (``python -m novaclient_force.refserver``) with the
``host-maintenance`` scenario at N = 10, 1000 and 10,000 servers (10,000
is left out with ``--quick``), each with a running live migration, times
its start-up (process start to its ``listening on`` line, best of 3, wall
and the server process's CPU, with its bytecode cached as an installed
package's is), times a
1000-item page of ``/os-migrations?source_compute=compute-1`` and of
``/servers/detail`` (the first page, and at 10,000 the page after a marker
half-way), one client, best of 5, and drives it with 8 concurrent
keep-alive clients (one ``requests.Session`` per thread):

* migration show: ``GET /servers/{id}/migrations/{mid}`` at 2.80;
* force complete: ``POST /servers/{id}/migrations/{mid}/action``
  ``{"force_complete": null}`` at 2.22.

The simulated clock runs slowly (``--time-scale``) so forced migrations stay
``running`` and every force complete takes the accepted (202) path. Prints
start-up seconds, page milliseconds, requests per second, p50 and p99
latency, the status codes seen, and the ratios between sizes; it never
asserts on timing.

    python benchmarks/refserver_throughput.py [--quick]
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time

import requests

CLIENTS = 8
SIZES = (10, 1000, 10000)
QUICK_SIZES = (10, 1000)
PAGE = 1000
PAGE_REPEATS = 5
STARTS = 3
LISTENING = 'listening on '
AUTH_BODY = {'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'}, 'password': 'secret'}}},
    'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}


class Server:
    """The reference server in a subprocess, on a free loopback port."""

    def __init__(self, servers, time_scale, env):
        self.log = tempfile.TemporaryFile()
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'novaclient_force.refserver',
             '--port', '0', '--scenario', 'host-maintenance',
             '--servers', str(servers), '--time-scale', str(time_scale)],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        self.url = self._wait_listening(timeout=120)
        self.startup = time.perf_counter() - began
        self.startup_cpu = _cpu_seconds(self.process.pid)

    def _wait_listening(self, timeout):
        lines = []
        reader = threading.Thread(
            target=lambda: lines.append(self.process.stdout.readline()),
            daemon=True)
        reader.start()
        reader.join(timeout)
        if not lines or not lines[0].startswith(LISTENING):
            self.stop()
            self.log.seek(0)
            tail = self.log.read().decode('utf-8', 'replace').strip()
            last = (tail.splitlines()[-1:] or ['no output'])[0]
            raise SystemExit(f'refserver did not start: {last}')
        return lines[0][len(LISTENING):].strip()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def token(url):
    response = requests.post(url + '/identity/v3/auth/tokens',
                             json=AUTH_BODY, timeout=30)
    response.raise_for_status()
    return response.headers['X-Subject-Token']


def running_migrations(session, compute):
    """(server UUID, migration ID) of every running live migration, paged
    through ``GET /os-migrations`` (2.59 markers)."""
    found, marker = [], None
    while True:
        params = {'status': 'running', 'limit': 500}
        if marker:
            params['marker'] = marker
        response = session.get(compute + '/os-migrations', params=params,
                               headers=version('2.80'), timeout=30)
        response.raise_for_status()
        page = response.json()['migrations']
        if not page:
            return found
        found += [(item['instance_uuid'], item['id']) for item in page]
        marker = page[-1]['uuid']


def version(microversion):
    return {'OpenStack-API-Version': f'compute {microversion}'}


def show(session, compute, server, migration):
    return session.get(
        f'{compute}/servers/{server}/migrations/{migration}',
        headers=version('2.80'), timeout=30)


def force_complete(session, compute, server, migration):
    return session.post(
        f'{compute}/servers/{server}/migrations/{migration}/action',
        json={'force_complete': None}, headers=version('2.22'), timeout=30)


def drive(call, compute, auth, targets, per_client):
    """Run ``per_client`` calls on each of CLIENTS threads; return the
    wall time, the latencies and the status codes."""
    latencies, statuses = [], collections.Counter()
    lock = threading.Lock()
    start_line = threading.Barrier(CLIENTS + 1)

    def client(offset):
        session = requests.Session()
        session.headers['X-Auth-Token'] = auth
        mine, codes = [], collections.Counter()
        # one warm-up call opens the keep-alive connection
        call(session, compute, *targets[offset % len(targets)])
        start_line.wait()
        for index in range(per_client):
            server, migration = targets[
                (offset + index * CLIENTS) % len(targets)]
            began = time.perf_counter()
            response = call(session, compute, server, migration)
            mine.append(time.perf_counter() - began)
            codes[response.status_code] += 1
        session.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(offset,))
               for offset in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, sorted(latencies), statuses


def page_costs(session, compute, servers):
    """(name, best milliseconds) of 1000-item pages, read one at a time."""
    pages = [('os-migrations page', '/os-migrations',
              {'source_compute': 'compute-1'}, 'migrations', 'uuid'),
             ('servers/detail page', '/servers/detail',
              {'all_tenants': '1'}, 'servers', 'id')]
    costs = []
    for name, path, query, key, marker_key in pages:
        params = dict(query, limit=PAGE)
        if servers > 2 * PAGE:
            # a page from the middle: the marker is found where it is
            listing = session.get(compute + path, params=dict(
                query, limit=servers // 2), headers=version('2.80'),
                timeout=60).json()[key]
            params['marker'] = listing[-1][marker_key]
        best = None
        for _ in range(PAGE_REPEATS):
            began = time.perf_counter()
            response = session.get(compute + path, params=params,
                                   headers=version('2.80'), timeout=60)
            spent = time.perf_counter() - began
            response.raise_for_status()
            best = spent if best is None else min(best, spent)
        costs.append((name, best * 1000))
    return costs


def percentile(ordered, fraction):
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def server_env(pycache):
    """The environment to start the server in: its bytecode cached (in
    ``pycache``, outside the checkout) as an installed package's is, even
    where PYTHONDONTWRITEBYTECODE is set; a first, untimed start writes
    it."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=pycache)
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    return env


def _cpu_seconds(pid):
    """User + system CPU seconds process ``pid`` has used so far, which
    other work on the machine inflates less than wall time (Linux's
    /proc; None elsewhere)."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def startup(servers, time_scale, env):
    """Best wall and CPU seconds of STARTS starts, each to the
    ``listening on`` line."""
    walls, cpus = [], []
    for _ in range(STARTS):
        server = Server(servers, time_scale, env)
        server.stop()
        walls.append(server.startup)
        cpus.append(server.startup_cpu)
    return min(walls), None if None in cpus else min(cpus)


def measure(servers, per_client, time_scale, env):
    server = Server(servers, time_scale, env)
    try:
        auth = token(server.url)
        compute = server.url + '/compute/v2.1'
        with requests.Session() as session:
            session.headers['X-Auth-Token'] = auth
            targets = running_migrations(session, compute)
            pages = page_costs(session, compute, servers)
        if len(targets) != servers:
            raise SystemExit(f'expected {servers} running migrations, '
                             f'found {len(targets)}')
        rows = []
        for name, call in (('migration show (2.80)', show),
                           ('force_complete (2.22)', force_complete)):
            wall, latencies, statuses = drive(call, compute, auth, targets,
                                              per_client)
            rows.append((servers, name, len(latencies) / wall,
                         percentile(latencies, 0.5) * 1000,
                         percentile(latencies, 0.99) * 1000, statuses))
        return pages, rows
    finally:
        server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='small request counts, for CI')
    parser.add_argument('--requests', type=int, metavar='N',
                        help='requests per client and operation '
                             '(default 250, 25 with --quick)')
    parser.add_argument('--time-scale', type=float, default=0.001,
                        help='simulated seconds per real second '
                             '(default 0.001: forced migrations stay running)')
    args = parser.parse_args(argv)
    per_client = args.requests or (25 if args.quick else 250)
    if per_client < 1:
        parser.error('--requests must be at least 1')
    print(f'refserver throughput: {CLIENTS} keep-alive clients, '
          f'{CLIENTS * per_client} requests per row, {os.cpu_count()} CPUs')
    sizes = QUICK_SIZES if args.quick else SIZES
    rows, startups, pages = [], {}, {}
    with tempfile.TemporaryDirectory(prefix='nf-bench-pycache-') as cache:
        env = server_env(cache)
        Server(sizes[0], args.time_scale, env).stop()     # writes bytecode
        for servers in sizes:
            startups[servers] = startup(servers, args.time_scale, env)
            pages[servers], measured = measure(
                servers, per_client, args.time_scale, env)
            rows += measured
    names = '  '.join(f'{name} ms' for name, _ in pages[sizes[0]])
    print(f'{"servers":>7}  {"start-up s":>10}  {"start-up CPU":>12}  '
          f'{names}')
    for servers in sizes:
        wall, cpu = startups[servers]
        cpu_cell = '-' if cpu is None else f'{cpu:.2f}'
        costs = '  '.join(f'{cost:{len(name) + 3}.1f}'
                          for name, cost in pages[servers])
        print(f'{servers:7d}  {wall:10.2f}  {cpu_cell:>12}  {costs}')
    print(f'{"servers":>7}  {"operation":<22} {"req/s":>9} {"p50 ms":>8} '
          f'{"p99 ms":>8}  statuses')
    for servers, name, rate, p50, p99, statuses in rows:
        counts = ' '.join(f'{code}x{count}'
                          for code, count in sorted(statuses.items()))
        print(f'{servers:7d}  {name:<22} {rate:9.1f} {p50:8.2f} {p99:8.2f}  '
              f'{counts}')
    small, large = sizes[0], sizes[-1]
    by_size = {size: {row[1]: row for row in rows if row[0] == size}
               for size in sizes}
    for name in by_size[small]:
        rate, p50, p99 = (by_size[large][name][column]
                          / by_size[small][name][column]
                          for column in (2, 3, 4))
        print(f'ratio {large}/{small} {name:<22} req/s {rate:.2f}  '
              f'p50 {p50:.2f}  p99 {p99:.2f}')
    print(f'ratio {large}/{small} start-up                '
          f'{startups[large][0] / startups[small][0]:.2f}')
    # Full pages only: at 10 servers a page holds 10 items.
    full = [size for size in sizes if size >= PAGE]
    for index, (name, cost) in enumerate(pages[full[0]]):
        if len(full) > 1:
            print(f'ratio {full[-1]}/{full[0]} {name:<22} '
                  f'{pages[full[-1]][index][1] / cost:.2f}')


if __name__ == '__main__':
    main()
