"""Drain a host of N running live migrations (the drain targets are in
report.py: at N=100, ours at least 30x faster than the upstream loop and
within 1.5x of the bare client), four ways on the same reference server:

* ours: ``openstack server migration force complete --host compute-1``
  (one process; default pool of 8);
* the upstream loop an operator writes today: ``openstack server migration
  list --host compute-1 --status running`` then one upstream ``openstack
  server migration force complete <server> <id>`` process per migration;
* the SDK: ``force_complete_host('compute-1')`` in this process, on a
  session that already holds a token (list + POSTs are timed);
* the same POSTs through one keystoneauth session on POOL threads (what
  any client built on keystoneauth pays per request);
* the physical limit (bare_client.py): N bare POSTs from ``http.client``
  on POOL threads, one keep-alive connection each; in this process with
  the token and targets known in advance (the floor for the SDK), and as
  a process that also gets a token and lists (the floor for a CLI).

The server runs with a very slow simulated clock, so a forced migration
stays ``running`` and forcing it again is accepted just like the first
time: every method finds all N migrations and gets N 202s.
"""

import concurrent.futures
import dataclasses
import sys
import time

import bare_client
import clirun
import requestlog
import single

HOST = 'compute-1'
POOL = 8            # ours' default --concurrency, and the bare pool size
TIME_SCALE = 0.0001


@dataclasses.dataclass
class DrainResult:
    size: int
    ours_cli: list = dataclasses.field(default_factory=list)      # seconds
    sdk: list = dataclasses.field(default_factory=list)
    bare: list = dataclasses.field(default_factory=list)
    bare_process: list = dataclasses.field(default_factory=list)
    session: list = dataclasses.field(default_factory=list)
    osc_startup: list = dataclasses.field(default_factory=list)
    ours_requests: list = dataclasses.field(default_factory=list)
    ours_lines: list = dataclasses.field(default_factory=list)  # 1st run
    loop_list: float = 0.0          # the upstream listing process
    loop_each: list = dataclasses.field(default_factory=list)
    loop_measured: int = 0          # how many force processes were run

    @property
    def loop_total(self):
        """Listing plus N force processes; extrapolated from the mean of
        the measured ones when fewer than N were run."""
        each = sum(self.loop_each) / len(self.loop_each)
        return self.loop_list + each * self.size

    @property
    def loop_extrapolated(self):
        return self.loop_measured < self.size


class DrainError(Exception):
    pass


def bare_posts(server, token, targets):
    """Seconds for the in-process bare POSTs; every answer must be 202."""
    seconds, statuses = bare_client.post_all(
        server.url, token, [(uuid, mid) for _, uuid, mid in targets], POOL)
    all_accepted('bare POSTs', statuses, len(targets))
    return seconds


def session_posts(server, session, targets, pool=POOL):
    """Seconds for the same concurrent POSTs through one keystoneauth
    session (requests underneath, its connection pool sized as the SDK's
    drain sizes it), the layer every OpenStack client and our SDK use: the
    floor for any client built on it."""
    from novaclient_force import drain

    drain.ensure_pool_size(session, pool)

    def post(target):
        _, uuid, migration = target
        return session.post(
            f'{server.compute_url}/servers/{uuid}/migrations/{migration}'
            '/action',
            json={'force_complete': None}, raise_exc=False,
            headers=dict(bare_client.VERSION_HEADERS)).status_code

    with concurrent.futures.ThreadPoolExecutor(pool) as executor:
        began = time.perf_counter()
        statuses = list(executor.map(post, targets))
        seconds = time.perf_counter() - began
    all_accepted('keystoneauth POSTs', statuses, len(targets))
    return seconds


def bare_process(server, size, pool=POOL):
    """Seconds for bare_client.py as a process: the floor for a CLI."""
    run = clirun.run([sys.executable, '-I', bare_client.__file__,
                      server.url, HOST, str(pool)], server.env())
    if not run.ok:
        raise DrainError(f'bare client process: {run.error()}')
    all_accepted('bare client process',
                  [int(code) for code in run.stdout.split()], size)
    return run.seconds


def all_accepted(what, statuses, size):
    accepted = statuses.count(202)
    if accepted != size or len(statuses) != size:
        raise DrainError(f'{what}: {accepted} of {size} accepted '
                         f'({sorted(set(statuses))})')


def sdk_drain(server, size, concurrency=POOL):
    """Seconds for the SDK's force_complete_host, auth excluded."""
    from novaclient_force import client, outcome

    session = server.session('admin', 'admin')
    session.get_token()
    nc = client.Client(session=session)
    began = time.perf_counter()
    results = nc.server_migrations.force_complete_host(
        HOST, concurrency=concurrency)
    seconds = time.perf_counter() - began
    accepted = [r for r in results if r.status == outcome.ACCEPTED]
    if len(accepted) != size:
        raise DrainError(f'SDK drain: {len(accepted)} of {size} accepted')
    session.session.close()
    return seconds


def cli_drain(server, ours, log, size, pool=None):
    """ours ``--host`` (``--concurrency pool`` when given)."""
    pool_option = ('--concurrency', str(pool)) if pool else ()
    run = clirun.run([ours.openstack, *single.FORCE, '--host', HOST,
                      *pool_option], server.env('refserver-admin'), log)
    posts = [r for r in run.compute if r.method == 'POST']
    if not run.ok or len(posts) != size:
        raise DrainError(f'ours --host: {run.error()} ({len(posts)} POSTs)')
    return run


def upstream_loop(server, upstream, log, result, measure):
    """The list process, then ``measure`` force processes."""
    env = server.env('refserver-admin')
    listing = clirun.run(
        [upstream.openstack, 'server', 'migration', 'list', '--host', HOST,
         '--status', 'running', '-f', 'value', '-c', 'Id',
         '-c', 'Server UUID'], env, log)
    rows = [line.split() for line in listing.stdout.splitlines()
            if line.strip()]
    if not listing.ok or len(rows) != result.size:
        raise DrainError(f'upstream list: {listing.error()} '
                         f'({len(rows)} rows)')
    result.loop_list = listing.seconds
    for migration, uuid in rows[:measure]:
        run = clirun.run([upstream.openstack, *single.FORCE, uuid,
                          migration], env, log)
        if not run.ok:
            raise DrainError(f'upstream force: {run.error()}')
        result.loop_each.append(run.seconds)
    result.loop_measured = len(result.loop_each)


def measure(upstream, ours, size, repeats, loop_cap):
    """One DrainResult for N = ``size``; the in-process and ours' runs are
    repeated and interleaved, the upstream loop runs once."""
    from novaclient_force.refserver import fixture

    result = DrainResult(size)
    with fixture.RefServer('host-maintenance', servers=size,
                           time_scale=TIME_SCALE) as server:
        log = requestlog.RequestLog(server)
        session = server.session('admin', 'admin')
        token = session.get_token()
        targets = single.targets(size)
        for _ in range(repeats):
            result.bare.append(bare_posts(server, token, targets))
            result.session.append(session_posts(server, session, targets))
            result.bare_process.append(bare_process(server, size))
            # what `openstack` costs before any command code runs
            result.osc_startup.append(clirun.run(
                [ours.openstack, '--version'], server.env()).seconds)
            result.sdk.append(sdk_drain(server, size))
            log.take()      # count only what ours' process sends
            run = cli_drain(server, ours, log, size)
            result.ours_cli.append(run.seconds)
            result.ours_requests.append(len(run.compute))
            result.ours_lines = result.ours_lines or run.compute
        upstream_loop(server, upstream, log, result, min(size, loop_cap))
    return result
