"""The test case every test here derives from: testtools' own, bounded in
time.

A test that blocks (a process that never answers, a pipe never closed)
would otherwise hold its stestr worker until CI gives up on the whole run,
with nothing saying which test it was. Bounded, it fails with the
traceback of where it was stuck, and the rest of the run goes on.
``OS_TEST_TIMEOUT`` (seconds, the variable OpenStack projects use) sets
the bound; a test class that legitimately runs longer says so in
``timeout``.
"""

import os

import fixtures
import testtools

DEFAULT_TIMEOUT = 300


class TestCase(testtools.TestCase):

    #: Seconds this class's tests may take, cleanups included.
    timeout = DEFAULT_TIMEOUT

    def setUp(self):
        super().setUp()
        seconds = int(os.environ.get('OS_TEST_TIMEOUT') or 0) or self.timeout
        # gentle: the test fails with its traceback rather than the worker
        # being killed. Added first, so its cleanup (cancelling the alarm)
        # runs last and the other cleanups are bounded too.
        self.useFixture(fixtures.Timeout(seconds, gentle=True))
