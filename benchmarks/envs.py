"""The two Python environments every comparison runs in.

``upstream`` has python-openstackclient and python-novaclient only, as an
operator has them today; ``ours`` has the same plus this checkout, installed
the way a user installs it (a regular, non-editable ``pip install``). Both
are plain venvs built with ``python -m venv`` and pip, so the benchmarks
need nothing but python3 and pip on a fresh machine. They are kept in a
cache directory (pip's own cache makes the first build quick) and this
checkout is reinstalled into ``ours`` on every run, so what is measured is
the code as it is now.

Standard library only: this module runs before the environments exist.
"""

import concurrent.futures
import contextlib
import dataclasses
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

UPSTREAM_PACKAGES = ('python-openstackclient', 'python-novaclient')
# The benchmark itself runs in ``ours`` and needs the RefServer fixture's
# library; both venvs get it so that they differ only by this package.
RUNNER_PACKAGES = ('fixtures',)
# Written once a venv is fully installed: a half-built one is rebuilt.
READY = 'novaclient-force-bench.ready'
# Not copied when the checkout is installed: VCS data, caches, venvs.
_NOT_SOURCE = shutil.ignore_patterns(
    '.git', '.venv', '.bench-venv', '.stestr', '.hypothesis', 'build',
    'dist', '*.egg-info', '__pycache__', '*.pyc')


class SetupError(Exception):
    """An environment could not be built; the message says which step."""


@dataclasses.dataclass(frozen=True)
class Env:
    """One venv; ``bindir`` holds its python, openstack and nova."""

    name: str
    bindir: str

    @property
    def python(self):
        return os.path.join(self.bindir, 'python')

    @property
    def openstack(self):
        return os.path.join(self.bindir, 'openstack')

    @property
    def nova(self):
        return os.path.join(self.bindir, 'nova')

    def versions(self):
        """``{distribution: version}`` of the packages compared."""
        code = ('import importlib.metadata as m\n'
                'for d in ("python-openstackclient", "python-novaclient",'
                ' "novaclient-force"):\n'
                '    try: print(d, m.version(d))\n'
                '    except m.PackageNotFoundError: pass\n')
        out = subprocess.run([self.python, '-I', '-c', code],
                             capture_output=True, text=True,
                             check=True).stdout
        return dict(line.split() for line in out.splitlines())


def default_dir():
    """Where the venvs are cached: the user's cache directory."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'novaclient-force-bench')


def _run(step, argv):
    done = subprocess.run(argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ['no output'])[-1]
        raise SetupError(f'{step} failed (exit {done.returncode}): {tail}')


def _build(path, packages):
    """A venv at ``path`` with ``packages``; reused when it already has
    them (a stamp file lists what was installed)."""
    env = Env(os.path.basename(path), os.path.join(path, 'bin'))
    stamp = os.path.join(path, READY)
    wanted = ' '.join(packages) + '\n'
    if os.path.exists(stamp):
        with open(stamp) as done:
            if done.read() == wanted:
                return env
        os.unlink(stamp)
    elif os.path.exists(path):
        shutil.rmtree(path)         # half-built: start again
    if not os.path.exists(path):
        _run(f'creating venv {path}', [sys.executable, '-m', 'venv', path])
    _run(f'pip install into {env.name}',
         [env.python, '-m', 'pip', 'install', '--quiet',
          '--disable-pip-version-check', *packages])
    with open(stamp, 'w') as done:
        done.write(wanted)
    return env


def _install_checkout(env, checkout):
    """Install the checkout as a regular package (pip always reinstalls
    a local directory, and adds any dependency it lacks), from a copy, so
    the build leaves nothing in the working tree; with the ``refserver``
    extra, whose server every section runs against."""
    with tempfile.TemporaryDirectory(prefix='nf-bench-src-') as tmp:
        source = os.path.join(tmp, 'src')
        shutil.copytree(checkout, source, ignore=_NOT_SOURCE)
        _run(f'installing the checkout into {env.name}',
             [env.python, '-m', 'pip', 'install', '--quiet',
              '--disable-pip-version-check', source + '[refserver]'])


@contextlib.contextmanager
def exclusive(venv_dir):
    """Hold the venvs for one run: ``ours`` is reinstalled from the
    checkout of whoever runs, so two runs at once (two checkouts, or two
    terminals) would otherwise measure each other's code or break each
    other's install. A second run waits for the first."""
    os.makedirs(venv_dir, exist_ok=True)
    with open(os.path.join(venv_dir, '.lock'), 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f'waiting for another benchmark run using {venv_dir} '
                  '...', flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure(venv_dir, checkout):
    """(upstream, ours): build what is missing (both at once), then put
    the current checkout into ``ours``."""
    os.makedirs(venv_dir, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        upstream, ours = pool.map(
            lambda name: _build(os.path.join(venv_dir, name),
                                UPSTREAM_PACKAGES + RUNNER_PACKAGES),
            ('upstream', 'ours'))
    _install_checkout(ours, checkout)
    return upstream, ours
