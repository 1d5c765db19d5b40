"""tests/testcase.py: a test that blocks fails on its own, cleanups
included, instead of holding its worker until CI gives up."""

import time

import fixtures
import testtools

from tests import testcase


def _run(case):
    result = testtools.TestResult()
    started = time.monotonic()
    case.run(result)
    return result, time.monotonic() - started


def _blocks(name):
    """One test of a class bounded to a second (defined here, so that the
    loader does not collect it)."""

    class Blocks(testcase.TestCase):
        timeout = 1

        def test_in_its_body(self):
            time.sleep(30)

        def test_in_a_cleanup(self):
            self.addCleanup(time.sleep, 30)

        def test_quick(self):
            pass

    return Blocks(name)


class TestTimeout(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable('OS_TEST_TIMEOUT'))

    def assert_timed_out(self, name):
        result, took = _run(_blocks(name))
        self.assertLess(took, 10)
        self.assertEqual(1, len(result.errors))
        self.assertIn('TimeoutException', result.errors[0][1])

    def test_a_blocked_body_fails(self):
        self.assert_timed_out('test_in_its_body')

    def test_a_blocked_cleanup_fails(self):
        self.assert_timed_out('test_in_a_cleanup')

    def test_a_quick_test_passes_and_leaves_no_alarm(self):
        result, _ = _run(_blocks('test_quick'))
        self.assertTrue(result.wasSuccessful())
        time.sleep(1.5)

    def test_the_environment_overrides_the_class(self):
        self.useFixture(fixtures.EnvironmentVariable('OS_TEST_TIMEOUT', '2'))
        result, took = _run(_blocks('test_in_its_body'))
        self.assertGreater(took, 1.5)
        self.assertIn('TimeoutException', result.errors[0][1])
