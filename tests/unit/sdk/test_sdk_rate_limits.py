"""Rate limits of proxies and API gateways in front of Nova (429, or 503
with Retry-After) are transient, and Retry-After is honoured."""


from novaclient_force import errors, exceptions, negotiation, retrying
from tests import testcase
from tests.unit.sdk import sdk_fakes as f

INDEX = f'{f.COMPUTE}/servers/{f.SERVER}/migrations'
ACTION = f'{f.COMPUTE}/servers/{f.SERVER}/migrations/7/action'
RUNNING = {'json': {'migrations': [f.migration_row()]}}


class TestRateLimits(f.SDKTestCase):
    """A proxy or API gateway in front of Nova answers 429 (or 503 with
    Retry-After) to a request it did not pass on: resent, POSTs too, no
    sooner than Retry-After asks."""

    def setUp(self):
        super().setUp()
        self.compute = negotiation.Compute(
            self.client().compute.client, clock=self.clock,
            sleep=self.clock.sleep)

    def limited(self, status=429, **headers):
        return {'status_code': status, 'headers': headers, 'json': {
            'message': 'Too many requests'}}

    def post(self, deadline=None):
        return self.compute.request(
            'POST', ACTION.replace(f.COMPUTE, ''), negotiation.FORCE_COMPLETE,
            errors.Context('force_complete', server=f.SERVER, migration=7),
            json={'force_complete': None}, deadline=deadline)

    def posts(self):
        return [c for c in self.compute_calls() if c[0] == 'POST']

    def test_a_post_is_resent_after_retry_after_seconds(self):
        self.requests.post(ACTION, [self.limited(**{'Retry-After': '2'}),
                                    {'status_code': 202}])
        self.assertEqual(202, self.post().status_code)
        self.assertEqual([2.0], self.clock.sleeps)
        self.assertEqual(2, len(self.posts()))

    def test_without_retry_after_the_backoff_applies(self):
        self.requests.post(ACTION, [self.limited(), self.limited(),
                                    {'status_code': 202}])
        self.assertEqual(202, self.post().status_code)
        self.assertEqual([0.5, 1.0], self.clock.sleeps)

    def test_a_503_with_retry_after_is_resent_even_for_a_post(self):
        self.requests.post(ACTION, [
            self.limited(503, **{'Retry-After': '1'}), {'status_code': 202}])
        self.assertEqual(202, self.post().status_code)
        self.assertEqual([1.0], self.clock.sleeps)

    def test_an_http_date_counts_from_the_answers_date(self):
        self.requests.get(INDEX, [
            self.limited(**{'Date': 'Wed, 21 Oct 2015 07:28:00 GMT',
                            'Retry-After': 'Wed, 21 Oct 2015 07:28:03 GMT'}),
            RUNNING])
        self.compute.get_json(INDEX.replace(f.COMPUTE, ''),
                              negotiation.MIGRATIONS, errors.Context('list'))
        self.assertEqual([3.0], self.clock.sleeps)

    def test_a_wait_beyond_the_window_is_not_made(self):
        self.requests.post(ACTION, **self.limited(**{'Retry-After': '60'}))
        exc = self.assertRaises(exceptions.RateLimited, self.post)
        self.assertEqual([], self.clock.sleeps)
        self.assertEqual(1, len(self.posts()))
        self.assertEqual(60.0, exc.retry_after)
        self.assertTrue(exc.transient)
        self.assertEqual(exceptions.EXIT_SERVICE, exc.exit_code)
        self.assertIn('limiting the rate of requests', str(exc))
        self.assertIn('(HTTP 429)', str(exc))

    def test_a_wait_beyond_the_deadline_is_not_made(self):
        self.requests.post(ACTION, **self.limited(**{'Retry-After': '3'}))
        self.assertRaises(exceptions.RateLimited, self.post,
                          deadline=self.clock() + 2)
        self.assertEqual([], self.clock.sleeps)

    def test_a_read_rides_out_rate_limits_until_the_window_ends(self):
        self.requests.get(INDEX, **self.limited())
        self.assertRaises(exceptions.RateLimited, self.compute.get_json,
                          INDEX.replace(f.COMPUTE, ''),
                          negotiation.MIGRATIONS, errors.Context('list'))
        self.assertEqual([0.5, 1.0, 2.0, 4.0], self.clock.sleeps)


class TestRetryAfter(testcase.TestCase):
    """Retry-After in seconds or as an HTTP-date (RFC 9110 §10.2.3)."""

    def test_values(self):
        date = 'Wed, 21 Oct 2015 07:28:00 GMT'
        for headers, seconds in [
                ({'Retry-After': '120'}, 120.0),
                ({'Retry-After': ' 0 '}, 0.0),
                ({'Retry-After': 'Wed, 21 Oct 2015 07:29:00 GMT',
                  'Date': date}, 60.0),
                ({'Retry-After': 'Wed, 21 Oct 2015 07:27:00 GMT',
                  'Date': date}, 0.0),
                ({'Retry-After': '-5'}, None),
                ({'Retry-After': 'soon'}, None),
                ({}, None)]:
            self.assertEqual(seconds, retrying.retry_after(headers),
                             headers)

    def test_an_http_date_without_date_counts_from_now(self):
        self.assertEqual(30.0, retrying.retry_after(
            {'Retry-After': 'Wed, 21 Oct 2015 07:28:30 GMT'},
            now=lambda: 1445412480.0))
