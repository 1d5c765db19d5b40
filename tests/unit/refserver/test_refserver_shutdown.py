"""Stopping the reference server: signals during shutdown.

A supervisor (``timeout``, systemd, a test runner) may send SIGTERM twice
in quick succession; the second one arriving while the server closes must
not turn a clean stop into a traceback.
"""

import signal
import subprocess
import sys

from tests import testcase

TRIES = 5


class TestSignals(testcase.TestCase):

    def start(self):
        proc = subprocess.Popen(
            [sys.executable, '-m', 'novaclient_force.refserver',
             '--scenario', 'empty'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        line = proc.stdout.readline()
        if not line.startswith('listening on'):
            self.fail(f'did not start: {proc.communicate()[1]}')
        return proc

    def assert_clean_stop(self, *signals):
        for _ in range(TRIES):
            proc = self.start()
            for signum in signals:
                proc.send_signal(signum)
            _, err = proc.communicate(timeout=60)
            self.assertEqual(0, proc.returncode, err)
            self.assertNotIn('Traceback', err)

    def test_two_sigterms(self):
        self.assert_clean_stop(signal.SIGTERM, signal.SIGTERM)

    def test_sigterm_then_sigint(self):
        self.assert_clean_stop(signal.SIGTERM, signal.SIGINT)
