"""Print what the benchmarks measured: tables, ratios, targets."""

import os
import platform
import re
import sys

import clirun
import single

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
_DRAIN_TARGET_SIZE = 100
LOOP_TARGET = 30.0          # ours --host at least 30x faster than the loop
BARE_TARGET = 1.5           # a drain within 1.5x of its bare floor


class Targets:
    """The benchmarks' targets, met or missed, and anything that went
    wrong."""

    def __init__(self):
        self.rows = []
        self.problems = []

    def check(self, name, met, detail):
        self.rows.append((name, 'met' if met else 'MISSED', detail))

    def note(self, problem):
        self.problems.append(problem)

    def summary(self):
        """Print the targets; exit status 1 if a measurement failed (a
        missed target is a result, not an error)."""
        section('Targets')
        if self.rows:
            table(('target', 'result', 'measured'), self.rows)
        for problem in self.problems:
            print(f'ERROR: {problem}')
        return 1 if self.problems else 0


def section(title):
    print(f'\n== {title} ==', flush=True)


def table(headers, rows):
    rows = [tuple(str(cell) for cell in row) for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows))
              for i, h in enumerate(headers)]
    for row in (headers, tuple('-' * w for w in widths), *rows):
        print('  '.join(str(cell).ljust(w)
                        for cell, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.flush()


def header(settings, upstream, ours, argv):
    command = ' '.join(['python3', 'benchmarks/run.py'] +
                       [a for a in argv[1:] if a != '--inside'])
    print(f'command: {command}')
    print(f'machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, '
          f'Python {platform.python_version()}')
    for venv in (upstream, ours):
        versions = ', '.join(f'{name} {version}' for name, version
                             in sorted(venv.versions().items()))
        print(f'{venv.name:<8} venv: {versions}')
    mode = 'quick (small N, few runs)' if settings.quick else 'full'
    print(f'mode: {mode}')


def _ratio(a, b):
    return f'{a / b:.2f}x' if b else 'n/a'


def _lines(requests):
    return ', '.join(_UUID.sub('<uuid>', r.short()) for r in requests)


def _grouped(requests):
    """``GET /os-migrations?... 200 x1, POST /servers/<uuid>/... 202 x10``:
    the request lines with IDs masked, counted."""
    counts = {}
    for request in requests:
        line = re.sub(r'/migrations/\d+/', '/migrations/<id>/',
                      _UUID.sub('<uuid>', request.short()))
        counts[line] = counts.get(line, 0) + 1
    return ', '.join(f'{line} x{count}' for line, count in counts.items())


def _counts(runs):
    """'compute/identity' of the runs (all alike, else every value)."""
    seen = sorted({(len(r.compute), len(r.identity)) for r in runs})
    return ' or '.join(f'{compute} / {identity}'
                       for compute, identity in seen)


def requests(runs, rounds, targets, latency=''):
    number = '7' if latency else '1'
    section(f'{number}. Requests per force-complete, counted at the '
            'reference server (compute / identity), and wall time of one '
            f'command{latency} (median of {rounds} runs each, interleaved)')
    rows, details = [], []
    for case in single.CASES:
        if not any((case, name) in runs for name in ('upstream', 'ours')):
            continue
        cells = [case.program, case.label]
        times = {}
        for name in ('upstream', 'ours'):
            these = runs.get((case, name))
            if these is None:
                cells.append('-')
                continue
            failed = [r for r in these if not r.ok]
            if failed:
                cells.append('FAILED')
                targets.note(f'{case.program} {case.label} ({name}): '
                             f'{failed[0].error()}')
                continue
            cells.append(_counts(these))
            times[name] = clirun.median([r.seconds for r in these])
            lines = _lines(these[0].identity + these[0].compute)
            details.append(f'{case.program} {case.label}, {name}: {lines}')
        for name in ('upstream', 'ours'):
            cells.append(f'{times[name]:.3f} s' if name in times else '-')
        cells.append(_ratio(times['upstream'], times['ours'])
                     if len(times) == 2 else '-')
        rows.append(cells)
    table(('command', 'arguments', 'upstream req', 'ours req',
           'upstream time', 'ours time', 'upstream/ours'), rows)
    print('\nrequest lines (first run; identity first, then compute):')
    for line in details:
        print('  ' + line)


def sdk_requests(rows, targets):
    section('1b. SDK requests per force_complete() (new client each; '
            'target: one compute request, plus one to look up a server name '
            'and one to find the migration)')
    out = []
    for case, compute, identity, status in rows:
        met = len(compute) == case.target
        targets.check(f'SDK {case.label}: {case.target} compute request(s)',
                      met, len(compute))
        out.append((case.label, len(compute), len(identity), case.target,
                     'met' if met else 'MISSED', status, _lines(compute)))
    table(('arguments', 'compute', 'identity', 'target', 'result',
           'outcome', 'compute requests'), out)


def startup(rows, rounds):
    section(f'2. Start-up cost added by this package (median of {rounds} '
            'interleaved runs each)')
    table(('command', 'upstream only', 'with ours', 'added', 'ratio'),
          [(command, f'{up * 1000:.0f} ms', f'{ours * 1000:.0f} ms',
            f'{(ours - up) * 1000:+.0f} ms', _ratio(ours, up))
           for command, up, ours in rows])


def import_cost(rows):
    print('\nimport of our start-up module after what the upstream program '
          'has already imported at start-up (median, in-process timer):')
    table(('module', 'import time', 'modules it adds'),
          [(module, f'{seconds * 1000:.2f} ms', len(added))
           for module, seconds, added in rows])


def drain(results, settings, targets):
    section('4. Host drain: N running live migrations leaving one host '
            f'(pool of 8; medians of {settings.drain_repeats} interleaved '
            'runs; the upstream loop runs once)')
    rows, notes = [], []
    for result in results:
        cli = clirun.median(result.ours_cli)
        sdk = clirun.median(result.sdk)
        bare = clirun.median(result.bare)
        loop = result.loop_total
        loop_cell = f'{loop:.1f} s'
        if result.loop_extrapolated:
            loop_cell += ' (est.)'
            each = sum(result.loop_each) / len(result.loop_each)
            notes.append(
                f'N={result.size}: upstream loop = the listing process '
                f'({result.loop_list:.2f} s, measured) + {result.size} x '
                f'the mean of {result.loop_measured} measured force '
                f'processes ({each:.2f} s); extrapolated, not run')
        bare_cli = clirun.median(result.bare_process)
        session = clirun.median(result.session)
        rows.append((result.size, f'{cli:.3f} s',
                     ' or '.join(str(n) for n in sorted(
                         set(result.ours_requests))),
                     loop_cell, _ratio(loop, cli), f'{bare_cli:.3f} s',
                     _ratio(cli, bare_cli), f'{sdk:.3f} s',
                     f'{session:.3f} s', f'{bare:.3f} s', _ratio(sdk, bare),
                     _ratio(session, bare)))
        if result.size == _DRAIN_TARGET_SIZE:
            targets.check(f'ours --host >= {LOOP_TARGET:g}x faster than '
                          f'the upstream loop at N={result.size}',
                          loop / cli >= LOOP_TARGET, _ratio(loop, cli))
            targets.check(f'ours --host within {BARE_TARGET:g}x of the bare '
                          f'client process at N={result.size}',
                          cli / bare_cli <= BARE_TARGET,
                          _ratio(cli, bare_cli))
            targets.check(f'SDK drain within {BARE_TARGET:g}x of bare POSTs '
                          f'at N={result.size}',
                          sdk / bare <= BARE_TARGET, _ratio(sdk, bare))
    table(('N', 'ours --host', 'ours req', 'upstream loop', 'loop/ours',
           'bare process', 'ours/bare', 'SDK drain', 'ksa POSTs',
           'bare POSTs', 'SDK/bare', 'ksa/bare'), rows)
    for note in notes:
        print('  ' + note)
    for result in results:
        print(f'  N={result.size}, ours --host compute requests: '
              f'{_grouped(result.ours_lines)}')
    for result in results:
        startup = clirun.median(result.osc_startup)
        after = clirun.median(result.ours_cli) - startup
        ratio = _ratio(after, clirun.median(result.bare_process))
        print(f'  N={result.size}: `openstack --version` takes '
              f'{startup:.3f} s in the same venv; ours --host beyond that: '
              f'{after:.3f} s, {ratio} the bare process')
    print('  ours --host, the upstream loop and the bare process are whole '
          'processes (start-up, authentication and listing included); the '
          'SDK drain (listing included), the POSTs through a keystoneauth '
          'session (ksa) and the bare POSTs run in this process with a '
          'token in hand.')
    if _DRAIN_TARGET_SIZE not in settings.drain_sizes:
        print(f'  (the targets apply at N={_DRAIN_TARGET_SIZE}, not '
              'measured in this mode)')


def libraries(rows, latency):
    section('7b. One force_complete from a script, by server UUID and '
            f'migration ID{latency} (new session each: token and version '
            'discovery included; medians)')
    ours = clirun.median([r[0] for r in rows['novaclient-force SDK']])
    table(('library', 'compute req', 'identity req', 'time', 'vs ours'),
          [(label, ' or '.join(sorted({str(r[1]) for r in these})),
            ' or '.join(sorted({str(r[2]) for r in these})),
            f'{clirun.median([r[0] for r in these]):.3f} s',
            _ratio(clirun.median([r[0] for r in these]), ours))
           for label, these in rows.items()])


def latency_drain(result, settings, latency, targets):
    section(f'7c. Host drain of {result.size} migrations{latency} '
            f'(medians of {settings.latency_repeats} interleaved runs)')
    startup = clirun.median(result.osc_startup)
    median = {name: {pool: clirun.median(runs) for pool, runs in
                     getattr(result, name).items()}
              for name in ('ours_cli', 'bare_process', 'sdk', 'bare_listed',
                           'session_posts', 'bare_posts')}
    cli_rows = []
    for pool in result.pools:
        beyond = median['ours_cli'][pool] - startup
        process = median['bare_process'][pool]
        cli_rows.append((pool, f"{median['ours_cli'][pool]:.3f} s",
                         f'{beyond:.3f} s', f'{process:.3f} s',
                         _ratio(beyond, process)))
        targets.check(f'ours --host beyond start-up within {BARE_TARGET:g}x '
                      f'of the bare client process at N={result.size}, '
                      f'pool {pool}{latency}',
                      beyond / process <= BARE_TARGET,
                      _ratio(beyond, process))
    table(('pool', 'ours --host', 'beyond start-up', 'bare process',
           'beyond/bare'), cli_rows)
    print('  ours --host --concurrency <pool>; "beyond start-up" subtracts '
          f'`openstack --version` in the same venv ({startup:.3f} s, no '
          'request); the bare process (bare_client.py) gets a token, lists '
          'and POSTs from '
          'as many threads.')
    sdk_rows = []
    first = median['sdk'][result.pools[0]]
    for pool in result.pools:
        sdk = median['sdk'][pool]
        listed = median['bare_listed'][pool]
        session = median['session_posts'][pool]
        bare = median['bare_posts'][pool]
        sdk_rows.append((
            pool, f'{sdk:.3f} s', f'{listed:.3f} s', _ratio(sdk, listed),
            f'{session:.3f} s', f'{bare:.3f} s', _ratio(sdk, bare),
            _ratio(session, bare), _spread(result.sdk_connections[pool]),
            _spread(result.bare_connections[pool]), _ratio(first, sdk)))
        targets.check(f'SDK drain within {BARE_TARGET:g}x of the bare '
                      f'listing and POSTs at N={result.size}, '
                      f'pool {pool}{latency}',
                      sdk / listed <= BARE_TARGET, _ratio(sdk, listed))
        targets.check(f'SDK drain within {BARE_TARGET:g}x of bare POSTs at '
                      f'N={result.size}, pool {pool}{latency}',
                      sdk / bare <= BARE_TARGET, _ratio(sdk, bare))
    table(('pool', 'SDK drain', 'bare list+POSTs', 'SDK/that',
           'keystoneauth POSTs', 'bare POSTs', 'SDK/bare POSTs',
           'keystoneauth/bare', 'SDK conns', 'bare conns',
           f'SDK pool {result.pools[0]}/this'), sdk_rows)
    print('  The SDK drain is force_complete_host(concurrency=pool) on a '
          'session holding a token: its listings, the POSTs, the names. '
          'In this process, with the token in hand: bare list+POSTs '
          '(http.client: one listing, then the POSTs from pool threads on a '
          'keep-alive connection each: the same work); keystoneauth POSTs '
          '(the POSTs alone through a keystoneauth session, nothing of '
          'ours); bare POSTs (the POSTs alone, targets known in advance). '
          'Conns: TCP connections the proxy accepted per run (the SDK\'s '
          'include its authentication).')


def _spread(values):
    """``33`` or ``32-33``: the range of a per-run count."""
    low, high = min(values), max(values)
    return str(low) if low == high else f'{low}-{high}'
