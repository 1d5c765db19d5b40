"""Run one CLI process against the reference server, timed and counted."""

import dataclasses
import statistics
import subprocess
import time

import requestlog

COMMAND_TIMEOUT = 300


@dataclasses.dataclass
class Run:
    """One finished process: exit status, wall time, what it sent."""

    argv: tuple
    returncode: int
    seconds: float
    compute: list
    identity: list
    stdout: str
    stderr: str

    @property
    def ok(self):
        return self.returncode == 0

    def error(self):
        """The last line the command wrote on stderr, for a failed run."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        command = ' '.join(self.argv[:2])
        last = lines[-1] if lines else 'no output'
        return f'{command}: exit {self.returncode}: {last}'


def run(argv, env, log=None):
    """Run ``argv`` to completion; count its requests when given a
    RequestLog (taken right after, so only this process's requests)."""
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)
    seconds = time.perf_counter() - began
    compute, identity = requestlog.split(log.take()) if log else ([], [])
    return Run(tuple(argv), done.returncode, seconds, compute, identity,
               done.stdout, done.stderr)


def nova_env(server, username, project):
    """python-novaclient reads no clouds.yaml: classic OS_* variables."""
    env = server.env()
    del env['OS_CLOUD'], env['OS_CLIENT_CONFIG_FILE']
    env.update(OS_AUTH_URL=server.auth_url, OS_USERNAME=username,
               OS_PASSWORD='secret', OS_PROJECT_NAME=project,
               OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
               OS_REGION_NAME='RegionOne')
    return env


def median(values):
    return statistics.median(values) if values else float('nan')
