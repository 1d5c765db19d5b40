"""Start-up cost this package adds to the CLIs (issue 6 item 2).

The same command runs in the upstream-only venv and in the venv with this
package too, interleaved (the order alternates every round), and the
medians are compared. ``openstack`` imports every ``openstack.cli.extension``
plugin module while it builds its option parser, so ``--version`` pays for
ours. ``nova --version`` exits while parsing its base options, before it
loads extensions, so it cannot show a difference; ``nova help`` is measured
as well because it loads extensions and builds every subcommand parser,
as every real ``nova`` command does.
"""

import os
import subprocess
import time

import clirun

COMMANDS = (('openstack', '--version'), ('nova', '--version'),
            ('nova', 'help'))


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
        raise RuntimeError('%s exited %d: %s' % (
            ' '.join(argv), done.returncode,
            done.stderr.decode(errors='replace').strip()[-200:]))
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
