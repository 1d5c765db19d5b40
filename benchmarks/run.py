"""Benchmarks side by side with upstream; prints ratios.

    python3 benchmarks/run.py [--quick] [--only SECTION ...]
                              [--latency MS[,SERVER_MS]]

Sections: ``requests`` (requests per command, counted at the reference
server, and one command's wall time), ``startup`` (what this package adds
to ``openstack``/``nova`` start-up), ``drain`` (host drain of N migrations
vs the upstream loop and bare POSTs), ``throughput`` (the reference
server, benchmarks/refserver_throughput.py), ``strategies`` (drain
strategies in simulated time, benchmarks/strategies.py), ``latency``
(one command, one call from each library and the drain at several pool
sizes, through a proxy that adds ``--latency`` milliseconds per direction
and per request at the server: benchmarks/latency.py), ``latency-drain``
(only that section's drain).

It first builds (or reuses) two venvs, one with the upstream clients only
and one with them plus this checkout (see envs.py), then runs itself again
in the second one; everything is measured in one run on this machine.
Absolute times on a shared machine are noise: read the ratios. Benchmarks
are not tests: nothing here asserts a timing.
"""

import argparse
import os
import subprocess
import sys

import envs
import report
import single

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
SECTIONS = ('requests', 'startup', 'drain', 'throughput', 'strategies',
            'latency', 'latency-drain')
DEFAULT_LATENCY = '35'      # ms per direction: a cloud a few hops away


class Settings:
    """How much to measure: full, or --quick for CI (a few minutes)."""

    def __init__(self, quick):
        self.quick = quick
        self.rounds = 2 if quick else 10            # single command runs
        self.startup_rounds = 3 if quick else 15
        self.drain_sizes = (10,) if quick else (20, 100, 200)
        self.drain_repeats = 2 if quick else 9
        self.loop_cap = 3 if quick else 20
        self.latency_rounds = 1 if quick else 3
        self.latency_cases = single.BY_IDS if quick else single.CASES
        self.latency_drain_size = 8 if quick else 100
        self.latency_pools = (8, 16) if quick else (8, 16, 32)
        self.latency_repeats = 1 if quick else 3


def parser():
    parse = argparse.ArgumentParser(
        prog='benchmarks/run.py', description=__doc__.splitlines()[0])
    parse.add_argument('--quick', action='store_true',
                       help='small N and few runs (for CI)')
    parse.add_argument('--only', nargs='+', choices=SECTIONS,
                       metavar='SECTION', default=list(SECTIONS),
                       help=f'run only these sections: {", ".join(SECTIONS)}')
    parse.add_argument('--latency', metavar='MS[,SERVER_MS]',
                       type=_latency, default=DEFAULT_LATENCY,
                       help='the latency section: delay per direction and '
                            'per request at the server, in milliseconds '
                            '(default: %(default)s)')
    parse.add_argument('--venv-dir', default=envs.default_dir(),
                       help='where the two venvs are kept '
                            '(default: %(default)s)')
    parse.add_argument('--inside', action='store_true',
                       help=argparse.SUPPRESS)
    return parse


def _latency(text):
    import latency

    try:
        return latency.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f'invalid --latency {text!r}: {error}') from None


def prepare(args, argv):
    """Build the venvs, then run this script again inside ``ours``, one
    run at a time."""
    with envs.exclusive(args.venv_dir):
        print(f'preparing venvs in {args.venv_dir} ...', flush=True)
        try:
            _, ours = envs.ensure(args.venv_dir, CHECKOUT)
        except envs.SetupError as error:
            print(f'benchmarks: error: {error}', file=sys.stderr)
            return 2
        environ = {key: value for key, value in os.environ.items()
                   if key != 'PYTHONPATH'}
        return subprocess.call(
            [ours.python, os.path.abspath(__file__), *argv, '--inside'],
            env=environ)


def measure(args):
    settings = Settings(args.quick)
    upstream = envs.Env('upstream', os.path.join(args.venv_dir, 'upstream',
                                                 'bin'))
    ours = envs.Env('ours', os.path.join(args.venv_dir, 'ours', 'bin'))
    report.header(settings, upstream, ours, sys.argv)
    targets = report.Targets()
    if 'requests' in args.only:
        from novaclient_force.refserver import fixture

        pool = single.targets(single.servers_needed(settings.rounds))
        with fixture.RefServer('host-maintenance',
                               servers=len(pool)) as server:
            runs = single.measure_clis(server, upstream, ours,
                                       settings.rounds, pool)
            sdk_rows = single.measure_sdk(server, pool)
        report.requests(runs, settings.rounds, targets)
        report.sdk_requests(sdk_rows, targets)
    if 'startup' in args.only:
        import startup

        try:
            report.startup(startup.measure(upstream, ours,
                                           settings.startup_rounds),
                           settings.startup_rounds)
            report.import_cost(startup.import_cost(
                upstream, ours, settings.startup_rounds))
        except (RuntimeError, subprocess.CalledProcessError) as error:
            targets.note(f'start-up: {error}')
    if 'drain' in args.only:
        import host_drain

        results = []
        for size in settings.drain_sizes:
            print(f'draining {size} migrations ...', flush=True)
            try:
                results.append(host_drain.measure(
                    upstream, ours, size, settings.drain_repeats,
                    settings.loop_cap))
            except host_drain.DrainError as error:
                targets.note(f'drain of {size}: {error}')
        if results:
            report.drain(results, settings, targets)
    if 'throughput' in args.only:
        report.section('5. Reference server throughput '
                       '(benchmarks/refserver_throughput.py)')
        code = subprocess.call(
            [sys.executable, os.path.join(HERE, 'refserver_throughput.py')]
            + (['--quick'] if args.quick else []))
        if code:
            targets.note(f'refserver_throughput.py exited {code}')
    if 'strategies' in args.only:
        report.section('6. Drain strategies in simulated time '
                       '(benchmarks/strategies.py)')
        code = subprocess.call(
            [sys.executable, os.path.join(HERE, 'strategies.py')]
            + (['--servers', '6'] if args.quick else []))
        if code:
            targets.note(f'strategies.py exited {code}')
    if 'latency' in args.only:
        measure_latency(args, settings, upstream, ours, targets)
    if 'latency' in args.only or 'latency-drain' in args.only:
        measure_latency_drain(args, settings, ours, targets)
    return targets.summary()


def measure_latency(args, settings, upstream, ours, targets):
    """Sections 1 and 1b again through the delaying proxy."""
    import at_latency
    import latency

    from novaclient_force.refserver import fixture

    delay, server_delay = args.latency
    rounds = settings.latency_rounds
    cases = settings.latency_cases
    pool = single.targets(single.servers_needed(rounds, cases)
                          + at_latency.libraries_needed(rounds))
    print(f'latency {delay * 1000:g} ms per direction, '
          f'{server_delay * 1000:g} ms per request at the server ...',
          flush=True)
    with fixture.RefServer('host-maintenance', servers=len(pool)) as server:
        proxied = latency.Proxied(server, delay, server_delay)
        try:
            runs = single.measure_clis(proxied, upstream, ours, rounds,
                                       pool, cases)
            libraries = at_latency.measure_libraries(proxied, pool, rounds)
        finally:
            proxied.close()
    title = _latency_title(args)
    report.requests(runs, rounds, targets, title)
    report.libraries(libraries, title)


def measure_latency_drain(args, settings, ours, targets):
    """Section 4 again through the delaying proxy, at several pools."""
    import at_latency
    import host_drain

    delay, server_delay = args.latency
    print(f'drain at latency {delay * 1000:g} ms per direction, '
          f'{server_delay * 1000:g} ms per request at the server ...',
          flush=True)
    try:
        drain = at_latency.measure_drain(
            ours, settings.latency_drain_size, settings.latency_pools,
            settings.latency_repeats, delay, server_delay)
    except (host_drain.DrainError, RuntimeError) as error:
        targets.note(f'drain at latency: {error}')
        return
    report.latency_drain(drain, settings, _latency_title(args), targets)


def _latency_title(args):
    delay, server_delay = args.latency
    return (f' at {delay * 1000:g} ms per direction + '
            f'{server_delay * 1000:g} ms at the server')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if not args.inside:
        return prepare(args, argv)
    return measure(args)


if __name__ == '__main__':
    sys.exit(main())
