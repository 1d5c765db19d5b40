"""Where the reference server listens, and what it tells clients.

It used to print 127.0.0.1 when bound to every interface (0.0.0.0), and
could not bind an IPv6 address at all (``--bind ::1`` failed).
"""

import json
import signal
import socket
import subprocess
import sys
import urllib.request

import fixtures
import yaml

from tests import testcase


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(('::1', 0))
    except OSError:
        return False
    return True


class TestBind(testcase.TestCase):
    def start(self, *args, lines=1):
        """The first ``lines`` lines the server prints."""
        self.clouds = self.useFixture(fixtures.TempDir()).join('clouds.yaml')
        proc = subprocess.Popen(
            [sys.executable, '-m', 'novaclient_force.refserver',
             '--scenario', 'empty', '--clouds-yaml', self.clouds, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.wait, 60)
        self.addCleanup(proc.send_signal, signal.SIGTERM)
        first = proc.stdout.readline().rstrip('\n')
        if not first.startswith('listening on'):
            self.fail(f'did not start: {proc.communicate()[1]}')
        return [first] + [proc.stdout.readline().rstrip('\n')
                          for _ in range(lines - 1)]

    def auth_url(self):
        with open(self.clouds) as stream:
            clouds = yaml.safe_load(stream)['clouds']
        return clouds['refserver-admin']['auth']['auth_url']

    def assert_answers(self, url):
        with urllib.request.urlopen(f'{url}/identity/v3', timeout=30) as r:
            self.assertEqual('v3.14', json.load(r)['version']['id'])

    def test_every_ipv4_interface(self):
        lines = self.start('--bind', '0.0.0.0', lines=2)
        port = lines[0].rsplit(':', 1)[1]
        self.assertEqual(f'listening on http://0.0.0.0:{port}', lines[0])
        self.assertEqual(
            f'clients connect to http://127.0.0.1:{port} on this host, or '
            f'to http://{socket.gethostname()}:{port} from others', lines[1])
        self.assertEqual(f'http://127.0.0.1:{port}/identity',
                         self.auth_url())
        self.assert_answers(f'http://127.0.0.1:{port}')

    def test_ipv6_loopback(self):
        if not _ipv6_loopback():
            self.skipTest('no IPv6 loopback here')
        for given in ('::1', '[::1]'):
            (line,) = self.start('--bind', given)
            port = line.rsplit(':', 1)[1]
            self.assertEqual(f'listening on http://[::1]:{port}', line)
            self.assertEqual(f'http://[::1]:{port}/identity',
                             self.auth_url())
            self.assert_answers(f'http://[::1]:{port}')

    def test_loopback_prints_one_line(self):
        (line,) = self.start()
        port = line.rsplit(':', 1)[1]
        self.assertEqual(f'listening on http://127.0.0.1:{port}', line)
        self.assert_answers(f'http://127.0.0.1:{port}')
