"""--timeout bounds everything: every request of a wait, finding the
server and the migration and listing the host included, and nothing
mutating is sent after it."""

import re

import requests

from novaclient_force import exceptions, hosts, outcome
from tests.unit.sdk import sdk_fakes as f

SLOW = 45.0     # seconds a slow endpoint takes to answer


class TestDeadlines(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.queue = f.HostQueue(self.requests, self.clock)
        self.queue.add('busy')
        self.timeouts = []          # of the requests slow() answered

    def slow(self, path, answer):
        """``path`` answers after SLOW seconds (on the fake clock), or
        times out as requests does when the request's timeout is less."""
        def respond(request, context):
            self.timeouts.append(request.timeout)
            if request.timeout is not None and request.timeout < SLOW:
                self.clock.now += request.timeout
                raise requests.exceptions.ReadTimeout('Read timed out.')
            self.clock.now += SLOW
            return answer(request, context)
        self.requests.get(path, json=respond)

    def test_finding_the_migration_is_bounded(self):
        self.slow(re.compile(f.COMPUTE + '/servers/[^/]+/migrations$'),
                  self.queue._index)
        server = self.queue.migrations[0]['server']
        result = self.manager().force_complete(server, wait=True,
                                               timeout=10)
        self.assertEqual([], self.queue.posts)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertIn('not forced (the time ran out while finding it',
                      result.reason)
        self.assertLess(self.clock() - 100.0, 10 + 5)

    def test_the_host_listing_is_bounded(self):
        self.slow(f.COMPUTE + '/os-migrations', self.queue._list)
        self.assertRaises(exceptions.EndpointUnreachable,
                          self.manager().force_complete_host,
                          'compute-1', wait=True, timeout=10)
        self.assertEqual([], self.queue.posts)
        self.assertTrue(self.timeouts)
        self.assertEqual([], [t for t in self.timeouts
                              if t is None or t > 10])

    def test_the_name_lookup_is_bounded_without_a_timeout(self):
        self.slow(f.COMPUTE + '/servers', self.queue._servers)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([(outcome.ACCEPTED, '')],
                         [(r.status, r.server_name) for r in results])
        self.assertTrue(self.timeouts)
        self.assertEqual([], [t for t in self.timeouts
                              if t is None or t > hosts.NAMES_WITHIN])


class TestWaitNeedsReadings(f.SDKTestCase):
    """A wait reads live migrations (2.23): refused before the POST."""

    def test_a_pin_too_low_sends_nothing(self):
        manager = self.manager('2.22')
        for call, kwargs in ((manager.force_complete, {'wait': True}),
                             (manager.force_complete, {'force_after': 5}),
                             (manager.force_complete_host, {})):
            err = self.assertRaises(exceptions.VersionPinnedTooLow, call,
                                    f.SERVER if call != (
                                        manager.force_complete_host)
                                    else 'compute-1', **kwargs)
            self.assertEqual(2, err.exit_code)
            self.assertIn('needs 2.23', str(err))
        self.assertEqual([], self.compute_calls())

    def test_a_pin_below_the_force_sends_nothing_at_all(self):
        # Not even the name lookup: the choice is refused as a bad
        # argument (exit status 2).
        manager = self.manager('2.21')
        for migration in (None, 7, '7'):
            err = self.assertRaises(exceptions.VersionPinnedTooLow,
                                    manager.force_complete, 'busy-vm',
                                    migration)
            self.assertEqual(2, err.exit_code)
            self.assertIn('needs 2.22', str(err))
        err = self.assertRaises(
            exceptions.VersionPinnedTooLow, self.manager('2.30')
            .force_complete, 'busy-vm', '4e8d9c3a-5b2f-4a1e-9c7d-2b3a4c5d6e7f')
        self.assertIn('needs 2.59', str(err))
        self.assertEqual([], self.compute_calls())

    def test_a_cloud_too_old_is_found_before_the_post(self):
        self.requests.get(f.COMPUTE, json={'version': {
            'id': 'v2.1', 'version': '2.22', 'min_version': '2.1'}})
        err = self.assertRaises(
            exceptions.CloudTooOld, self.manager().force_complete,
            f.SERVER, 7, wait=True)
        self.assertIn('needs compute API 2.23', str(err))
        self.assertEqual([('GET', '/compute/v2.1')], self.compute_calls())
