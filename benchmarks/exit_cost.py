"""What skipping the last garbage collection at exit saves our command.

Runs ``openstack server migration force complete --host compute-1``
against one reference server (``host-maintenance``, N running live
migrations, a slow simulated clock so every force is accepted) as it is,
and with its exit handler (``novaclient_force/osc/v2/force_complete.py``,
``_no_collection_at_exit``) taken out, interleaved, and prints the median
wall times, their ratio, and the exit statuses and output sizes of both
(which must be the same). It never asserts on timing.

    python benchmarks/exit_cost.py [--servers N] [--rounds R]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from novaclient_force.refserver import fixture

ENTRY = ('import sys\n'
         'from openstackclient.shell import main\n'
         'sys.exit(main(sys.argv[1:]))\n')
WITHOUT = ('from novaclient_force.osc.v2 import force_complete\n'
           'force_complete._no_collection_at_exit = lambda: None\n' + ENTRY)
COMMAND = ('server', 'migration', 'force', 'complete', '--host',
           'compute-1')


def measure(servers, rounds):
    """{variant: (wall times, exit statuses, stdout line counts)}."""
    results = {'as shipped': ([], set(), set()),
               'collecting at exit': ([], set(), set())}
    with fixture.RefServer(scenario='host-maintenance', servers=servers,
                           time_scale=0.001) as cloud:
        for _ in range(rounds):
            for name, program in (('as shipped', ENTRY),
                                  ('collecting at exit', WITHOUT)):
                began = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, '-c', program, *COMMAND],
                    env=cloud.env(), capture_output=True, text=True,
                    timeout=600)
                times, codes, lines = results[name]
                times.append(time.perf_counter() - began)
                codes.add(done.returncode)
                lines.add(done.stdout.count('\n'))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--servers', type=int, default=100)
    parser.add_argument('--rounds', type=int, default=9)
    args = parser.parse_args(argv)
    print(f'exit cost: --host at N={args.servers}, {args.rounds} rounds, '
          f'{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}')
    results = measure(args.servers, args.rounds)
    for name, (times, codes, lines) in results.items():
        print(f'{name:<20} median {statistics.median(times):.3f} s  '
              f'exit {sorted(codes)}  stdout lines {sorted(lines)}')
    shipped = statistics.median(results['as shipped'][0])
    collecting = statistics.median(results['collecting at exit'][0])
    print(f'ratio as shipped / collecting at exit {shipped / collecting:.3f} '
          f'({(collecting - shipped) * 1000:.0f} ms saved)')


if __name__ == '__main__':
    main()
