"""Start-up cost this package adds to the CLIs.

The same command runs in the upstream-only venv and in the venv with this
package too, interleaved (the order alternates every round), and the
medians are compared. ``openstack`` imports every ``openstack.cli.extension``
plugin module while it builds its option parser, so ``--version`` pays for
ours. ``nova --version`` exits while parsing its base options, before it
loads extensions, so it cannot show a difference; ``nova help`` is measured
as well because it loads extensions and builds every subcommand parser,
as every real ``nova`` command does.

The in-process part times the import of each module of ours that a
program loads on every run: ``openstack`` imports the plugin module while
it builds its option parser, and every run past that (all but
``--version``) imports every command group's modules too (cliff loads
them through stevedore), ours after OSC's own, for which
``openstackclient.compute.v2.server`` stands here; ``nova`` imports the
extension module after its own client.
"""

import json
import os
import subprocess
import time

import clirun

COMMANDS = (('openstack', '--version'), ('nova', '--version'),
            ('nova', 'help'))
# Our modules each program imports at start-up, and what that program has
# imported by then without us (its shell and, for nova, its v2 client).
PLUGINS = (('novaclient_force.osc.plugin', ('openstackclient.shell',)),
           ('novaclient_force.osc.v2.force_complete',
            ('openstackclient.shell', 'openstackclient.compute.v2.server')),
           ('novaclient_force.v2.shell',
            ('novaclient.shell', 'novaclient.v2.shell',
             'novaclient.v2.client')))
# Run in the upstream venv: the modules its programs load at start-up.
_LOADED = ('import importlib, json, sys\n'
           'for name in sys.argv[1:]: importlib.import_module(name)\n'
           'print(json.dumps(sorted(sys.modules)))\n')
# Modules whose import loads every installed OSC plugin (ours included).
_LOADS_PLUGINS = ('openstackclient.shell',
                  'openstackclient.common.clientmanager')
# Run in ours: load those first (each one that exists), then time ours.
_MARGINAL = ('import importlib, json, sys, time\n'
             'for name in json.load(sys.stdin):\n'
             '    try: importlib.import_module(name)\n'
             '    except Exception: pass\n'
             'before = set(sys.modules)\n'
             'began = time.perf_counter()\n'
             'importlib.import_module(sys.argv[1])\n'
             'seconds = time.perf_counter() - began\n'
             'print(json.dumps([seconds, sorted(set(sys.modules) - before'
             ')]))\n')


def _environ():
    """No cloud settings: nothing here may reach the network."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith('OS_') and key != 'PYTHONPATH'}


def _time(argv, env):
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          timeout=120)
    seconds = time.perf_counter() - began
    if done.returncode:
        tail = done.stderr.decode(errors='replace').strip()[-200:]
        raise RuntimeError(
            f"{' '.join(argv)} exited {done.returncode}: {tail}")
    return seconds


def measure(upstream, ours, rounds):
    """[(command, upstream median s, ours median s)]."""
    env = _environ()
    times = {}
    for command in COMMANDS:          # warm the OS caches, not measured
        for venv in (upstream, ours):
            _time([os.path.join(venv.bindir, command[0]), *command[1:]], env)
    for round_no in range(rounds):
        for command in COMMANDS:
            order = (upstream, ours) if round_no % 2 == 0 else (ours,
                                                                upstream)
            for venv in order:
                argv = [os.path.join(venv.bindir, command[0]), *command[1:]]
                times.setdefault((command, venv.name), []).append(
                    _time(argv, env))
    return [(' '.join(command), clirun.median(times[command, 'upstream']),
             clirun.median(times[command, 'ours'])) for command in COMMANDS]


def import_cost(upstream, ours, rounds):
    """[(module, median seconds, modules it added)]: the import of our
    start-up module in a process that has already imported what the
    upstream program imports at start-up: the cost we add, without the
    process-to-process noise of the wall-clock comparison."""
    env = _environ()
    rows = []
    for module, program_modules in PLUGINS:
        loaded = subprocess.run(
            [upstream.python, '-I', '-c', _LOADED, *program_modules],
            env=env, capture_output=True, text=True, check=True).stdout
        loaded = json.dumps([name for name in json.loads(loaded)
                             if name not in _LOADS_PLUGINS])
        samples, added = [], []
        for _ in range(rounds):
            out = subprocess.run(
                [ours.python, '-I', '-c', _MARGINAL, module], input=loaded,
                env=env, capture_output=True, text=True, check=True).stdout
            seconds, added = json.loads(out)
            samples.append(seconds)
        rows.append((module, clirun.median(samples), added))
    return rows
