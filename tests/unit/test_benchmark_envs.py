"""The benchmarks' shared venvs are held by one run at a time."""

import os
import sys
import threading

import fixtures

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'benchmarks'))
import envs  # noqa: E402

from tests import testcase


class TestExclusive(testcase.TestCase):

    def test_a_second_run_waits_for_the_first(self):
        venvs = self.useFixture(fixtures.TempDir()).path
        events = []
        second_waiting = threading.Event()

        def second():
            second_waiting.set()
            with envs.exclusive(venvs):
                events.append('second')

        self.useFixture(fixtures.MonkeyPatch('builtins.print',
                                             lambda *a, **k: None))
        with envs.exclusive(venvs):
            thread = threading.Thread(target=second)
            thread.start()
            second_waiting.wait(5)
            thread.join(0.3)
            self.assertTrue(thread.is_alive())
            events.append('first')
        thread.join(5)
        self.assertEqual(['first', 'second'], events)
