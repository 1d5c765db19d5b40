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
    """The issues' targets, met or missed, and anything that went wrong."""

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
            print('ERROR: %s' % problem)
        return 1 if self.problems else 0


def section(title):
    print('\n== %s ==' % title, flush=True)


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
    print('command: %s' % command)
    print('machine: %d CPUs (nproc), %s, Python %s' % (
        os.cpu_count(), platform.machine(), platform.python_version()))
    for venv in (upstream, ours):
        print('%-8s venv: %s' % (venv.name, ', '.join(
            '%s %s' % item for item in sorted(venv.versions().items()))))
    print('mode: %s' % ('quick (small N, few runs)' if settings.quick
                        else 'full'))


def _ratio(a, b):
    return '%.2fx' % (a / b) if b else 'n/a'


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
    return ', '.join('%s x%d' % item for item in counts.items())


def _counts(runs):
    """'compute/identity' of the runs (all alike, else every value)."""
    seen = sorted({(len(r.compute), len(r.identity)) for r in runs})
    return ' or '.join('%d / %d' % pair for pair in seen)


def requests(runs, rounds, targets, latency=''):
    section('%s. Requests per force-complete, counted at the reference '
            'server (compute / identity), and wall time of one command%s '
            '(median of %d runs each, interleaved)'
            % ('7' if latency else '1', latency, rounds))
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
                targets.note('%s %s (%s): %s' % (
                    case.program, case.label, name, failed[0].error()))
                continue
            cells.append(_counts(these))
            times[name] = clirun.median([r.seconds for r in these])
            details.append('%s %s, %s: %s' % (
                case.program, case.label, name, _lines(
                    these[0].identity + these[0].compute)))
        for name in ('upstream', 'ours'):
            cells.append('%.3f s' % times[name] if name in times else '-')
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
            'issue 3 targets)')
    out = []
    for case, compute, identity, status in rows:
        met = len(compute) == case.target
        targets.check('SDK %s: %d compute request(s)' % (
            case.label, case.target), met, len(compute))
        out.append((case.label, len(compute), len(identity), case.target,
                     'met' if met else 'MISSED', status, _lines(compute)))
    table(('arguments', 'compute', 'identity', 'target', 'result',
           'outcome', 'compute requests'), out)


def startup(rows, rounds):
    section('2. Start-up cost added by this package (median of %d '
            'interleaved runs each)' % rounds)
    table(('command', 'upstream only', 'with ours', 'added', 'ratio'),
          [(command, '%.0f ms' % (up * 1000), '%.0f ms' % (ours * 1000),
            '%+.0f ms' % ((ours - up) * 1000), _ratio(ours, up))
           for command, up, ours in rows])


def import_cost(rows):
    print('\nimport of our start-up module after what the upstream program '
          'has already imported at start-up (median, in-process timer):')
    table(('module', 'import time', 'modules it adds'),
          [(module, '%.2f ms' % (seconds * 1000), len(added))
           for module, seconds, added in rows])


def drain(results, settings, targets):
    section('4. Host drain: N running live migrations leaving one host '
            '(pool of 8; medians of %d interleaved runs; the upstream loop '
            'runs once)' % settings.drain_repeats)
    rows, notes = [], []
    for result in results:
        cli = clirun.median(result.ours_cli)
        sdk = clirun.median(result.sdk)
        bare = clirun.median(result.bare)
        loop = result.loop_total
        loop_cell = '%.1f s' % loop
        if result.loop_extrapolated:
            loop_cell += ' (est.)'
            notes.append(
                'N=%d: upstream loop = the listing process (%.2f s, '
                'measured) + %d x the mean of %d measured force '
                'processes (%.2f s); extrapolated, not run'
                % (result.size, result.loop_list, result.size,
                   result.loop_measured,
                   sum(result.loop_each) / len(result.loop_each)))
        bare_cli = clirun.median(result.bare_process)
        session = clirun.median(result.session)
        rows.append((result.size, '%.3f s' % cli,
                     ' or '.join(str(n) for n in sorted(
                         set(result.ours_requests))),
                     loop_cell, _ratio(loop, cli), '%.3f s' % bare_cli,
                     _ratio(cli, bare_cli), '%.3f s' % sdk,
                     '%.3f s' % session, '%.3f s' % bare, _ratio(sdk, bare),
                     _ratio(session, bare)))
        if result.size == _DRAIN_TARGET_SIZE:
            targets.check('ours --host >= %gx faster than the upstream '
                          'loop at N=%d' % (LOOP_TARGET, result.size),
                          loop / cli >= LOOP_TARGET, _ratio(loop, cli))
            targets.check('ours --host within %gx of the bare client '
                          'process at N=%d' % (BARE_TARGET, result.size),
                          cli / bare_cli <= BARE_TARGET,
                          _ratio(cli, bare_cli))
            targets.check('SDK drain within %gx of bare POSTs at N=%d'
                          % (BARE_TARGET, result.size),
                          sdk / bare <= BARE_TARGET, _ratio(sdk, bare))
    table(('N', 'ours --host', 'ours req', 'upstream loop', 'loop/ours',
           'bare process', 'ours/bare', 'SDK drain', 'ksa POSTs',
           'bare POSTs', 'SDK/bare', 'ksa/bare'), rows)
    for note in notes:
        print('  ' + note)
    for result in results:
        print('  N=%d, ours --host compute requests: %s'
              % (result.size, _grouped(result.ours_lines)))
    for result in results:
        startup = clirun.median(result.osc_startup)
        after = clirun.median(result.ours_cli) - startup
        print('  N=%d: `openstack --version` takes %.3f s in the same venv; '
              'ours --host beyond that: %.3f s, %s the bare process'
              % (result.size, startup, after, _ratio(
                  after, clirun.median(result.bare_process))))
    print('  ours --host, the upstream loop and the bare process are whole '
          'processes (start-up, authentication and listing included); the '
          'SDK drain (listing included), the POSTs through a keystoneauth '
          'session (ksa) and the bare POSTs run in this process with a '
          'token in hand.')
    if _DRAIN_TARGET_SIZE not in settings.drain_sizes:
        print('  (the targets apply at N=%d, not measured in this mode)'
              % _DRAIN_TARGET_SIZE)


def libraries(rows, latency):
    section('7b. One force_complete from a script, by server UUID and '
            'migration ID%s (new session each: token and version discovery '
            'included; medians)' % latency)
    ours = clirun.median([r[0] for r in rows['novaclient-force SDK']])
    table(('library', 'compute req', 'identity req', 'time', 'vs ours'),
          [(label, ' or '.join(sorted({str(r[1]) for r in these})),
            ' or '.join(sorted({str(r[2]) for r in these})),
            '%.3f s' % clirun.median([r[0] for r in these]),
            _ratio(clirun.median([r[0] for r in these]), ours))
           for label, these in rows.items()])


def latency_drain(result, settings, latency, targets):
    section('7c. Host drain of %d migrations%s (medians of %d interleaved '
            'runs)' % (result.size, latency, settings.latency_repeats))
    startup = clirun.median(result.osc_startup)
    median = {name: {pool: clirun.median(runs) for pool, runs in
                     getattr(result, name).items()}
              for name in ('ours_cli', 'bare_process', 'sdk', 'bare_listed',
                           'session_posts', 'bare_posts')}
    cli_rows = []
    for pool in result.pools:
        beyond = median['ours_cli'][pool] - startup
        process = median['bare_process'][pool]
        cli_rows.append((pool, '%.3f s' % median['ours_cli'][pool],
                         '%.3f s' % beyond, '%.3f s' % process,
                         _ratio(beyond, process)))
        targets.check('ours --host beyond start-up within %gx of the bare '
                      'client process at N=%d, pool %d%s'
                      % (BARE_TARGET, result.size, pool, latency),
                      beyond / process <= BARE_TARGET,
                      _ratio(beyond, process))
    table(('pool', 'ours --host', 'beyond start-up', 'bare process',
           'beyond/bare'), cli_rows)
    print('  ours --host --concurrency <pool>; "beyond start-up" subtracts '
          '`openstack --version` in the same venv (%.3f s, no request); the '
          'bare process (bare_client.py) gets a token, lists and POSTs from '
          'as many threads.' % startup)
    sdk_rows = []
    first = median['sdk'][result.pools[0]]
    for pool in result.pools:
        sdk = median['sdk'][pool]
        listed = median['bare_listed'][pool]
        session = median['session_posts'][pool]
        bare = median['bare_posts'][pool]
        sdk_rows.append((
            pool, '%.3f s' % sdk, '%.3f s' % listed, _ratio(sdk, listed),
            '%.3f s' % session, '%.3f s' % bare, _ratio(sdk, bare),
            _ratio(session, bare), _spread(result.sdk_connections[pool]),
            _spread(result.bare_connections[pool]), _ratio(first, sdk)))
        targets.check('SDK drain within %gx of the bare listing and POSTs '
                      'at N=%d, pool %d%s'
                      % (BARE_TARGET, result.size, pool, latency),
                      sdk / listed <= BARE_TARGET, _ratio(sdk, listed))
        targets.check('SDK drain within %gx of bare POSTs at N=%d, pool '
                      '%d%s' % (BARE_TARGET, result.size, pool, latency),
                      sdk / bare <= BARE_TARGET, _ratio(sdk, bare))
    table(('pool', 'SDK drain', 'bare list+POSTs', 'SDK/that',
           'keystoneauth POSTs', 'bare POSTs', 'SDK/bare POSTs',
           'keystoneauth/bare', 'SDK conns', 'bare conns',
           'SDK pool %d/this' % result.pools[0]), sdk_rows)
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
    return str(low) if low == high else '%d-%d' % (low, high)
