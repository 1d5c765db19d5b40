"""Emptying a host with ``drain_host``, per policy, in simulated time.

    python3 benchmarks/host_empty.py [--servers N] [--limit L]
                                     [--deadline S]

Two measurements, each on a fresh in-process reference server whose clock
stands still and is advanced by the SDK's own sleeps (as in
``strategies.py``), so the figures do not depend on this machine:

1. ``host-evacuation`` (every live migration of compute-1 already
   requested, busy, idle and active guests in turn) drained with each
   policy: when the host was empty, guests forced and paused.
2. The same servers with nothing requested yet, and a deadline that
   cannot be met for all: how many guests each order moves by then,
   ``--deadline`` (smallest first, forcing what would overrun it) against
   first-come order (``listed``) forcing at once and with a stall policy.

Everything reported is the server's ground truth. Nothing here asserts a
timing.
"""

import argparse
import os
import sys
import tempfile

import yaml
from strategies import CAP, SimClock

from novaclient_force import client
from novaclient_force.refserver import fixture
from novaclient_force.refserver.state import scenarios
from novaclient_force.v2 import server_migrations

HOST = 'compute-1'
FROZEN = 1e-9
DOWNTIME = 0.5      # a longer standstill than Nova's allowed downtime


def unrequested_file(servers, directory):
    """``host-evacuation``'s servers, sizes shuffled by name, with no
    migration requested yet."""
    built = scenarios.host_evacuation(servers)
    doc = {'name': 'host-evacuation-unrequested',
           'hosts': [h.name for h in built.hosts],
           'servers': [{'name': s.name, 'host': s.host,
                        'memory': s.memory_bytes, 'dirty_rate': s.dirty_rate}
                       for s in built.servers]}
    path = os.path.join(directory, 'unrequested.yaml')
    with open(path, 'w') as stream:
        yaml.safe_dump(doc, stream)
    return path


def drain(scenario, servers, limit, **options):
    """Drain compute-1; (ground truth of its migrations, start, rows)."""
    with fixture.RefServer(
            scenario=scenario, servers=None if scenario.endswith('.yaml')
            else servers, time_scale=FROZEN, in_process=True,
            max_concurrent_live_migrations=limit) as cloud:
        clock = SimClock(cloud)
        nc = client.Client(session=cloud.session())
        manager = server_migrations.ServerMigrationsManager(
            nc.compute, pinned=None, clock=clock, sleep=clock.sleep)
        start = clock()
        rows = manager.drain_host(HOST, timeout=CAP, **options)
        truth = [m for m in cloud.migrations_truth()
                 if m['source_compute'] == HOST]
        return truth, start, rows


def policies(args):
    return (('--force-after 0 (at once)', {'force_after': 0}),
            ('--auto (default)', {}),
            (f'--stalled-after {args.stalled_after:g}',
             {'stalled_after': args.stalled_after}),
            (f'--force-after {args.force_after:g}',
             {'force_after': args.force_after}),
            (f'--deadline {args.deadline:g}',
             {'deadline': args.deadline, 'stalled_after': CAP}),
            ('--no-force', {'force': False}))


def per_policy(args):
    print(f'1. host-evacuation, {args.servers} servers, limit {args.limit}')
    print('policy                          empty after (s)  forced  '
          'paused  total pause (s)  exit')
    for name, options in policies(args):
        truth, start, rows = drain('host-evacuation', args.servers,
                                   args.limit, **options)
        ends = [m['finished_at'] for m in truth]
        empty = max(ends) - start if None not in ends else float('inf')
        pauses = [(m['ground_truth'] or {}).get('paused_seconds') or 0.0
                  for m in truth]
        print(f'{name:<32}{empty:>15.0f}  {sum(r.forced for r in rows):>6}'
              f'  {sum(p > DOWNTIME for p in pauses):>6}'
              f'  {sum(pauses):>15.1f}  {rows.exit_code:>4}')


def by_deadline(args, directory):
    path = unrequested_file(args.servers, directory)
    print()
    print(f'2. the same servers, nothing requested yet: guests moved by a '
          f'deadline of {args.deadline:g} s')
    for name, options in (
            (f'--deadline {args.deadline:g} (smallest first)',
             {'deadline': args.deadline, 'stalled_after': CAP}),
            ('first come, force at once',
             {'order': 'listed', 'force_after': 0}),
            (f'first come, --stalled-after {args.stalled_after:g}',
             {'order': 'listed', 'stalled_after': args.stalled_after})):
        truth, start, rows = drain(path, args.servers, args.limit,
                                   **options)
        moved = sum(1 for m in truth if m['status'] == 'completed'
                    and m['finished_at'] - start <= args.deadline)
        empty = max(m['finished_at'] for m in truth) - start
        paused = sum(1 for m in truth if ((m['ground_truth'] or {}).get(
            'paused_seconds') or 0.0) > DOWNTIME)
        print(f'{name:<44} {moved:>2} of {len(rows)} moved by the deadline'
              f' (host empty after {empty:.0f} s, {paused} guests paused)')


def main(argv=None):
    parse = argparse.ArgumentParser(prog='benchmarks/host_empty.py',
                                    description=__doc__.splitlines()[0])
    parse.add_argument('--servers', type=int, default=12)
    parse.add_argument('--limit', type=int, default=1)
    parse.add_argument('--stalled-after', type=float, default=20.0)
    parse.add_argument('--force-after', type=float, default=60.0)
    parse.add_argument('--deadline', type=float, default=60.0)
    args = parse.parse_args(argv)
    given = ' '.join(sys.argv[1:] if argv is None else argv)
    print(f'command: python3 benchmarks/host_empty.py {given}')
    per_policy(args)
    with tempfile.TemporaryDirectory() as directory:
        by_deadline(args, directory)
    return 0


if __name__ == '__main__':
    sys.exit(main())
