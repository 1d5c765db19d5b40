"""The shell sessions of doc/source/troubleshooting.rst and draining.rst,
run as written against the reference server started as troubleshooting.rst
says: each ``$`` command must print what the page shows (request IDs,
ports and other numbers aside, which vary from run to run), and each
example of an exit status must end with that status."""

import os
import re
import subprocess
import sys

from novaclient_force.refserver import fixture
from tests import testcase

DOCS = os.path.join(os.path.dirname(__file__), '..', '..', 'doc', 'source')
STATUS = '@@@ status '


def read(name):
    with open(os.path.join(DOCS, name), encoding='utf-8') as f:
        return f.read()


def sessions(text):
    """[(exit status the example is under, or None, [(command, output
    lines)])] for every literal block holding ``$`` commands."""
    found = []
    status = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        term = re.match(r'^(\d+)(?:, \d+)*: ', lines[i])
        if term:
            status = int(term.group(1))
        elif lines[i] and not lines[i].startswith(' '):
            status = None if lines[i].startswith('=') else status
        if lines[i].endswith('::'):
            block, i = _block(lines, i + 1)
            if any(line.startswith('$ ') for line in block):
                found.append((status, _commands(block)))
            continue
        i += 1
    return found


def _block(lines, i):
    while i < len(lines) and not lines[i].strip():
        i += 1
    indent = len(lines[i]) - len(lines[i].lstrip())
    block = []
    while i < len(lines) and (not lines[i].strip()
                              or lines[i].startswith(' ' * indent)):
        block.append(lines[i][indent:])
        i += 1
    while block and not block[-1]:
        block.pop()
    return block, i


def _commands(block):
    commands = []
    for line in block:
        if line.startswith('$ '):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    return commands


def masked(lines):
    """Lines with what varies from run to run made constant."""
    out = []
    for line in lines:
        line = re.sub(r'req-[0-9a-f-]{36}', 'req-ID', line)
        line = re.sub(r'[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', 'UUID',
                      line)
        out.append(re.sub(r'\d+(\.\d+)?', 'N', line.rstrip()))
    return out


def run_session(commands, env):
    """Each command's (output lines, exit status), run in one shell."""
    script = []
    for command, _ in commands:
        script.append(command)
        # Keep $? for the next command (an example may echo it).
        script.append(f's=$?; echo "{STATUS}$s"; (exit $s)')
    done = subprocess.run(['bash', '-c', '\n'.join(script)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)
    results, output = [], []
    for line in done.stdout.splitlines():
        if line.startswith(STATUS):
            results.append((output, int(line[len(STATUS):])))
            output = []
        else:
            output.append(line)
    return results


class TestDocSessions(testcase.TestCase):
    # Its commands have their own bound; this one is above it.
    timeout = 360

    def test_the_server_is_started_as_the_sessions_expect(self):
        text = read('troubleshooting.rst')
        self.assertIn('    novaclient-force-refserver --port 18774 '
                      '--time-scale 20 --clouds-yaml clouds.yaml &\n', text)
        self.assertIn('    export OS_CLIENT_CONFIG_FILE=$PWD/clouds.yaml '
                      'OS_CLOUD=refserver-admin\n', text)
        self.assertIn('    refserver=http://127.0.0.1:18774/_refserver\n',
                      text)

    def test_sessions_print_what_the_pages_show(self):
        cloud = self.useFixture(fixture.RefServer(time_scale=20))
        env = cloud.env()
        env['PATH'] = (os.path.dirname(sys.executable) + os.pathsep
                       + env.get('PATH', ''))
        env['refserver'] = f'{cloud.url}/_refserver'
        checked = 0
        for page in ('troubleshooting.rst', 'draining.rst'):
            for status, commands in sessions(read(page)):
                results = run_session(commands, env)
                self.assertEqual(len(commands), len(results), commands)
                for (command, expected), (output, _) in zip(
                        commands, results, strict=True):
                    self.assertEqual(masked(expected), masked(output),
                                     f'{page}: $ {command}')
                statuses = [code for _, code in results]
                if status is not None:
                    self.assertIn(status, statuses, f'{page}: {commands}')
                checked += len(commands)
        self.assertGreater(checked, 30)
