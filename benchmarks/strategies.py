"""Drain strategies side by side on ``host-evacuation``, in simulated time.

    python3 benchmarks/strategies.py [--servers N] [--limits 1 4]
                                     [--stalled-after S] [--loop-sleep S]
                                     [--working-sets] [--timeline]

For each ``max_concurrent_live_migrations`` limit, a fresh in-process
reference server runs the ``host-evacuation`` scenario (every live
migration of compute-1 requested at once; busy guests that never converge
unaided, idle and active ones that do), and one strategy empties the host:

(a) ``upstream loop``: what an operator writes today with the upstream
    clients (python-novaclient's managers, i.e. ``openstack server
    migration list --host``, ``... force complete`` and ``openstack server
    list --host``): list the running migrations, force each, sleep
    ``--loop-sleep`` seconds, repeat until no server is left on the host;
(b) ``ours, force all``: ``force_complete_host(host, wait=True)``;
(c) ``ours, stall policy``: the same with ``stalled_after``;
(e) ``ours, --auto``: the same with ``auto=True``;
(d) ``Nova timeout action``: no client at all; every compute host runs
    with ``live_migration_timeout_action = force_complete`` and Nova's
    default ``live_migration_completion_timeout`` (800 s per GiB);
(f) ``Nova default (abort)``: no client either, Nova's default action:
    the timeout aborts what has not converged, which stays on the host;
(g) ``best possible client``: reads the server's ground truth, which no
    Nova client sees, and forces each migration that will not converge
    unaided (at its share of the link) at the first stats save after its
    first pass over memory. No client that reads Nova's API and pauses no
    guest that would converge can force sooner: before that save every
    guest's counters look alike (QEMU counts nothing newly dirtied before
    its first bitmap sync, and Nova shows only what it saved). It is what
    ``--auto`` can at best achieve.

Beside them, the physical floor: every guest's RAM once over the link.
Pre-copy runs as QEMU runs it (rounds, bitmap syncs, the guests'
writable working sets: all of their RAM, or with ``--working-sets`` the
realistic ones of WORKING_SETS).

Time is simulated: the server's clock stands still (time scale 1e-9)
and the clients' sleeps advance it through the control API (the SDK takes
an injected clock and sleep), so the figures do not depend on this
machine's speed or load, and a run takes seconds. Everything reported is
the server's ground truth, which no Nova client sees: when each migration
ended, whether and how long its guest was paused; and the compute API
reads (GETs) each strategy sent, as the server's request log has them.
Nothing here asserts a timing.
"""

import argparse
import dataclasses
import math
import os
import sys
import tempfile

import requestlog
import yaml
from novaclient import client as upstream_client

from novaclient_force import client
from novaclient_force.refserver import fixture
from novaclient_force.refserver.state import scenarios, simulator
from novaclient_force.v2 import server_migrations

HOST = 'compute-1'
GIB = 1024 ** 3
FROZEN = 1e-9            # simulated seconds per real second
LEAVING = ('accepted', 'queued', 'preparing', 'running',
           'running (post-copy)')
#: A guest counts as paused when it stood still longer than the downtime
#: Nova allows a converging copy's final stop-and-copy
#: (``[libvirt] live_migration_downtime``, 500 ms): that is a force.
DOWNTIME = 0.5
#: Simulated seconds between two looks at the host when nothing but the
#: clock acts (strategy d), and the cap on any strategy's run.
STEP = 10.0
CAP = 48 * 3600.0
#: Nova's ``[libvirt] live_migration_monitor_interval``: the scenario's.
MONITOR_INTERVAL = 5.0


class SimClock:
    """The reference server's simulated clock, as a clock and a sleep."""

    def __init__(self, cloud):
        self.cloud = cloud

    def __call__(self):
        return self.cloud.clock()['time']

    def sleep(self, seconds):
        if seconds > 0:
            self.cloud.advance_clock(seconds)


@dataclasses.dataclass
class Result:
    strategy: str
    limit: int
    host_empty_after: float
    paused: int
    paused_would_converge: int
    total_pause: float
    longest_pause: float
    not_completed: int
    forced_requests: int
    timeline: tuple = ()     # (server, queued, running, paused, pause, end)
    reads: int = 0           # compute API GETs the strategy sent


#: Writable working sets of the realistic scenario, by dirty rate: a
#: busy guest rewrites 1 GiB of its 4 (a database's buffer pool), an
#: active one 1 GiB, an idle one 256 MiB.
WORKING_SETS = {scenarios.BUSY_DIRTY_RATE: GIB,
                scenarios.ACTIVE_DIRTY_RATE: GIB,
                scenarios.IDLE_DIRTY_RATE: GIB // 4}


def evacuation_file(servers, directory, action='abort', working_sets=False):
    """``host-evacuation`` as a scenario file with Nova's timeout
    ``action`` and, with ``working_sets``, the realistic working sets;
    everything else as built in."""
    built = scenarios.host_evacuation(servers)
    doc = {
        'name': f'host-evacuation-{action}',
        'config': {'live_migration_timeout_action': action},
        'hosts': [h.name for h in built.hosts],
        'servers': [dict({'name': s.name, 'host': s.host,
                          'memory': s.memory_bytes,
                          'dirty_rate': s.dirty_rate},
                         **({'working_set': WORKING_SETS[s.dirty_rate]}
                            if working_sets else {}))
                    for s in built.servers],
        'migrations': [{'server': m.server, 'dest': m.dest,
                        'started_ago': m.started_ago, 'id': m.id}
                       for m in built.migrations],
    }
    suffix = '-ws' if working_sets else ''
    path = os.path.join(directory, f'evacuation-{action}{suffix}.yaml')
    with open(path, 'w') as stream:
        yaml.safe_dump(doc, stream)
    return path


def upstream_loop(cloud, clock, loop_sleep):
    """(a): list, force whatever runs, sleep, until the host is empty."""
    nova = upstream_client.Client('2.80', session=cloud.session())
    sent = 0
    end = clock() + CAP
    while clock() < end:
        for migration in nova.migrations.list(host=HOST, status='running'):
            if migration.source_compute != HOST:
                continue
            try:
                nova.server_migrations.live_migrate_force_complete(
                    migration.instance_uuid, migration.id)
                sent += 1
            except Exception:      # noqa: BLE001 - what a shell loop does
                pass
        if not nova.servers.list(search_opts={'host': HOST,
                                              'all_tenants': 1}):
            return sent
        clock.sleep(loop_sleep)
    return sent


def ours(cloud, clock, **policy):
    """(b) and (c): the SDK's drain, on the simulated clock."""
    nc = client.Client(session=cloud.session())
    manager = server_migrations.ServerMigrationsManager(
        nc.compute, pinned=None, clock=clock, sleep=clock.sleep)
    results = manager.force_complete_host(HOST, wait=True, timeout=CAP,
                                          **policy)
    return sum(1 for r in results if r.forced)


def nova_timeout_action(cloud, clock):
    """(d): nothing but time; Nova's monitor forces at the timeout."""
    end = clock() + CAP
    while clock() < end:
        if not any(m['status'] in LEAVING for m in cloud.migrations_truth()
                   if m['source_compute'] == HOST):
            return 0
        clock.sleep(STEP)
    return 0


def best_client(cloud, clock, servers, working_sets):
    """(g): force, at a stats save, what the save can first prove stuck
    and the ground truth says will not converge."""
    built = {s.uuid: s for s in scenarios.host_evacuation(servers).servers}
    nova = upstream_client.Client('2.80', session=cloud.session())
    forced = set()
    end = clock() + CAP
    while clock() < end:
        leaving = [m for m in cloud.migrations_truth()
                   if m['source_compute'] == HOST]
        if not any(m['status'] in LEAVING for m in leaving):
            break
        running = [m for m in leaving if m['status'] == 'running'
                   and m['id'] not in forced]
        now = clock()
        for migration in running:
            truth = migration['ground_truth']
            shown = _last_save(truth['running_at'], now)
            if truth['first_sync_at'] is not None and (
                    shown >= truth['first_sync_at']) and not would_converge(
                    built[migration['server_uuid']], truth['transfer_rate'],
                    working_sets):
                nova.server_migrations.live_migrate_force_complete(
                    migration['server_uuid'], migration['id'])
                forced.add(migration['id'])
        # Wake at the next save of what runs; a migration that starts
        # meanwhile is seen within a second, long before its first save.
        saves = [_next_save(m['ground_truth']['running_at'], now)
                 for m in running if m['id'] not in forced]
        clock.sleep(min([*saves, now + 1.0]) - now)
    return len(forced)


def _last_save(running_at, now):
    """Nova's latest stats save by ``now`` (every
    ``live_migration_monitor_interval`` from the start of running; the
    start itself saves only the status)."""
    return running_at + math.floor(
        (now - running_at) / MONITOR_INTERVAL + 1e-9) * MONITOR_INTERVAL


def _next_save(running_at, now):
    """Nova's next stats save after ``now``."""
    return _last_save(running_at, now) + MONITOR_INTERVAL


def measure(strategy, limit, servers, scenario, run, working_sets):
    with fixture.RefServer(
            scenario=scenario, servers=None if scenario.endswith('.yaml')
            else servers, time_scale=FROZEN, in_process=True,
            max_concurrent_live_migrations=limit) as cloud:
        clock = SimClock(cloud)
        start = clock()
        log = requestlog.RequestLog(cloud)
        sent = run(cloud, clock)
        compute, _ = requestlog.split(log.take())
        result = summarize(strategy, limit, servers, cloud, start, sent,
                           working_sets)
        result.reads = sum(1 for r in compute if r.method == 'GET')
        return result


def would_converge(server, link, working_sets):
    """Whether ``server``'s live migration converges unaided over
    ``link`` bytes/s (its share), Nova's downtime steps included."""
    params = simulator.MigrationParams(
        memory_bytes=server.memory_bytes, dirty_rate=server.dirty_rate,
        bandwidth=link,
        working_set_bytes=(WORKING_SETS[server.dirty_rate] if working_sets
                           else None),
        config=simulator.LiveMigrationConfig(completion_timeout=0))
    return simulator.finished_at(params) != float('inf')


def summarize(strategy, limit, servers, cloud, start, sent, working_sets):
    """The Result, from the server's ground truth."""
    built = {s.uuid: s for s in scenarios.host_evacuation(servers).servers}
    leaving = [m for m in cloud.migrations_truth()
               if m['source_compute'] == HOST]
    pauses = [(m['ground_truth'] or {}).get('paused_seconds') or 0.0
              for m in leaving]
    paused = [m for m, pause in zip(leaving, pauses, strict=True)
              if pause > DOWNTIME]
    ends = [m['finished_at'] for m in leaving]
    not_completed = sum(1 for m in leaving if m['status'] != 'completed')
    empty = (max(ends) - start) if None not in ends and not (
        not_completed) else float('inf')
    timeline = tuple(
        (built[m['server_uuid']].name, m['created_at'] - start,
         _since(m['ground_truth']['running_at'], start),
         _since(m['ground_truth']['paused_at'], start), pause,
         _since(m['finished_at'], start))
        for m, pause in zip(leaving, pauses, strict=True))
    return Result(
        strategy, limit, empty, len(paused),
        sum(1 for m in paused if would_converge(
            built[m['server_uuid']], m['ground_truth']['transfer_rate'],
            working_sets)),
        sum(pauses), max(pauses, default=0.0), not_completed, sent,
        timeline)


def _since(at, start):
    return None if at is None else at - start


#: Characters of a timeline: queued, copying (running), paused.
QUEUED, COPYING, PAUSED = '.', '=', '#'


def print_timelines(results, width=72):
    """One timeline per strategy and limit, from the ground truth: each
    migration queued (``.``), copying (``=``) and its guest paused
    (``#``, a force or the last stop-and-copy), on a common time axis
    (the longer of the strategy's run and the floor's)."""
    for result in results:
        ends = [row[5] for row in result.timeline if row[5] is not None]
        span = max(ends + [1.0]) if ends else 1.0
        if math.isinf(result.host_empty_after) and ends:
            span = max(ends)
        step = span / width
        print()
        print(f'limit {result.limit}: {result.strategy}: one column = '
              f'{step:.2f} s; {QUEUED} queued, {COPYING} copying, '
              f'{PAUSED} paused')
        for name, queued, running, paused, pause, end in sorted(
                result.timeline):
            cells = []
            for column in range(width):
                at = (column + 0.5) * step
                last = span if end is None else end
                if at < queued or at >= last:
                    cells.append(' ')
                elif paused is not None and paused <= at < paused + pause:
                    cells.append(PAUSED)
                elif running is None or at < running:
                    cells.append(QUEUED)
                else:
                    cells.append(COPYING)
            print(f'  {name} |{"".join(cells)}|')


def floor(servers, limit):
    """The physical floor: every guest's RAM once over its link, in
    queue order: one after the other at limit 1; at a higher limit the
    links to each destination carry theirs side by side."""
    built = scenarios.host_evacuation(servers)
    memory = {s.name: s.memory_bytes for s in built.servers}
    per_link = {}
    for migration in built.migrations:
        per_link[migration.dest] = (per_link.get(migration.dest, 0)
                                    + memory[migration.server])
    if limit == 1:
        return sum(per_link.values()) / scenarios.DEFAULT_BANDWIDTH
    return max(per_link.values()) / scenarios.DEFAULT_BANDWIDTH


def print_table(results):
    headers = ('limit', 'strategy', 'host empty after (s)',
               'guests paused', 'paused but would converge',
               'total pause (s)', 'longest pause (s)', 'not completed',
               'force requests', 'compute reads')
    rows = [(r.limit, r.strategy, f'{r.host_empty_after:.0f}', r.paused,
             r.paused_would_converge, f'{r.total_pause:.1f}',
             f'{r.longest_pause:.1f}', r.not_completed, r.forced_requests,
             r.reads)
            for r in results]
    widths = [max(len(h), *(len(str(row[i])) for row in rows))
              for i, h in enumerate(headers)]
    for row in (headers, ['-' * w for w in widths], *rows):
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths,
                                                      strict=True)).rstrip())


def print_ratios(results, servers):
    """Each strategy's time to empty the host against (b) and the
    physical floor, and its total pause against (b)'s; --auto's time
    against the best possible client's."""
    print()
    for limit in sorted({r.limit for r in results}):
        least = floor(servers, limit)
        print(f'limit {limit}: physical floor {least:.1f} s (every '
              'guest\'s RAM once over its link)')
        here = {r.strategy[:3]: r for r in results if r.limit == limit}
        for result in here.values():
            empty = result.host_empty_after
            print(f'limit {limit}: {result.strategy} empties the host in '
                  f"{_ratio(empty, here['(b)'].host_empty_after)} the time "
                  f'of (b), {_ratio(empty, least)} the floor; total pause '
                  f"{_ratio(result.total_pause, here['(b)'].total_pause)} "
                  '(b)\'s')
        if '(e)' in here and '(g)' in here:
            auto, best = here['(e)'], here['(g)']
            print(f'limit {limit}: (e) --auto empties the host in '
                  f'{_ratio(auto.host_empty_after, best.host_empty_after)}'
                  ' the time of (g), the best possible client')


def _ratio(value, reference):
    """``value / reference`` as ``1.23x``, or ``n/a`` where either never
    happened (a host never emptied)."""
    if math.isinf(value) or math.isinf(reference) or not reference:
        return 'n/a'
    return f'{value / reference:.2f}x'


def parser():
    parse = argparse.ArgumentParser(
        prog='benchmarks/strategies.py',
        description=__doc__.splitlines()[0])
    parse.add_argument('--servers', type=int, default=12,
                       help='servers on compute-1 (default %(default)s)')
    parse.add_argument('--limits', type=int, nargs='+', default=[1, 4],
                       help='max_concurrent_live_migrations values '
                            '(default: 1 4)')
    parse.add_argument('--stalled-after', type=float, default=30.0,
                       help='strategy (c)\'s threshold (default '
                            '%(default)s s)')
    parse.add_argument('--loop-sleep', type=float, default=10.0,
                       help='strategy (a)\'s sleep between rounds '
                            '(default %(default)s s)')
    parse.add_argument('--timeline', action='store_true',
                       help='print one timeline per strategy (queued, '
                            'copying, paused), from the ground truth')
    parse.add_argument('--working-sets', action='store_true',
                       help='give the guests realistic writable working '
                            'sets (WORKING_SETS) instead of all their RAM')
    return parse


def main(argv=None):
    args = parser().parse_args(argv)
    given = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'command: python3 benchmarks/strategies.py {given}')
    sets = ('realistic working sets' if args.working_sets
            else 'working set = RAM')
    print(f'scenario: host-evacuation, {args.servers} servers on {HOST}, '
          f'{sets}; simulated seconds')
    results = []
    with tempfile.TemporaryDirectory() as directory:
        base = evacuation_file(args.servers, directory,
                               working_sets=args.working_sets)
        timeout_file = evacuation_file(args.servers, directory,
                                       'force_complete', args.working_sets)
        strategies = (
            ('(a) upstream loop', base,
             lambda cloud, clock: upstream_loop(cloud, clock,
                                                args.loop_sleep)),
            ('(b) ours, force all', base, ours),
            ('(c) ours, stall policy', base,
             lambda cloud, clock: ours(cloud, clock,
                                       stalled_after=args.stalled_after)),
            ('(e) ours, --auto', base,
             lambda cloud, clock: ours(cloud, clock, auto=True)),
            ('(d) Nova timeout action', timeout_file, nova_timeout_action),
            ('(f) Nova default (abort)', base, nova_timeout_action),
            ('(g) best possible client', base,
             lambda cloud, clock: best_client(cloud, clock, args.servers,
                                              args.working_sets)),
        )
        for limit in args.limits:
            for name, scenario, run in strategies:
                print(f'limit {limit}: {name} ...', flush=True,
                      file=sys.stderr)
                results.append(measure(name, limit, args.servers,
                                       scenario, run, args.working_sets))
    print_table(results)
    print_ratios(results, args.servers)
    if args.timeline:
        print_timelines(results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
