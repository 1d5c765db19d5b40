"""Failures with no answer are read from the exceptions keystoneauth
wraps, not from their text, and name the endpoint the request went to."""

import errno

import requests
import urllib3
from keystoneauth1 import exceptions as ksa_exc

from novaclient_force import (
    errors,
    exceptions,
    keystoneauth_errors,
    negotiation,
)
from tests.unit.sdk import failing_connections
from tests.unit.sdk import sdk_fakes as f

INDEX = f'/servers/{f.SERVER}/migrations'
ACTION = f'/servers/{f.SERVER}/migrations/7/action'


class TestThroughTheSession(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.compute = negotiation.Compute(
            self.client().compute.client, clock=self.clock,
            sleep=self.clock.sleep)

    def get(self, url, failure):
        self.requests.get(url if '://' in url else f.COMPUTE + url,
                          exc=failure)
        return self.assertRaises(
            exceptions.EndpointUnreachable, self.compute.get_json, url,
            negotiation.MIGRATIONS, errors.Context('list'))

    def post(self, failure):
        self.requests.post(f.COMPUTE + ACTION, exc=failure)
        return self.assertRaises(
            exceptions.EndpointUnreachable, self.compute.request, 'POST',
            ACTION, negotiation.FORCE_COMPLETE, errors.Context(
                'force_complete', server_id=f.SERVER),
            json={'force_complete': None})

    def test_tls_spoken_to_plain_http(self):
        exc = self.get(INDEX, failing_connections.tls_to_plain_http())
        self.assertEqual(
            'Cannot reach http://nova.test (TLS error: wrong version '
            'number): check http or https in the URL, the port, and the CA '
            'certificate (--os-cacert)', str(exc))
        self.assertFalse(exc.transient)
        self.assertEqual([], self.clock.sleeps)

    def test_a_paging_link_names_its_own_endpoint(self):
        link = 'http://nova-2.test:8774/v2.1/os-migrations?marker=x'
        exc = self.get(link, failing_connections.refused(link))
        self.assertIn('Cannot reach http://nova-2.test:8774 (Connection '
                      'refused)', str(exc))

    def test_the_socket_error_is_read_not_the_text(self):
        # A message quoting another errno than the socket error's own.
        connecting = urllib3.exceptions.NewConnectionError(
            None, 'Failed to establish a new connection: [Errno 113] No '
            'route to host')
        connecting.__cause__ = ConnectionRefusedError(
            errno.ECONNREFUSED, 'Connection refused')
        exc = self.get(INDEX, requests.exceptions.ConnectionError(
            urllib3.exceptions.MaxRetryError(None, '/x', connecting)))
        self.assertEqual('Connection refused', exc.cause)

    def test_a_dropped_connection_after_a_post(self):
        exc = self.post(failing_connections.dropped())
        self.assertEqual(
            'No answer from http://nova.test in time: the request may have '
            'been applied; check with `openstack server migration list '
            f'--server {f.SERVER}` (connection closed without an answer)',
            str(exc))
        self.assertFalse(exc.transient)
        self.assertEqual(1, len(self.compute_calls()))

    def test_a_read_timeout_after_a_post(self):
        exc = self.post(failing_connections.read_timeout())
        self.assertIn('may have been applied', str(exc))
        self.assertEqual('timed out', exc.cause)

    def test_a_read_timeout_on_a_read_is_retried(self):
        self.get(INDEX, failing_connections.read_timeout())
        self.assertEqual([0.5, 1.0, 2.0, 4.0], self.clock.sleeps)


class TestAuthentication(f.SDKTestCase):

    def test_discovery_failure_names_the_identity_endpoint(self):
        # As keystoneauth's generic plugin raises it: DiscoveryFailure
        # while handling the ConnectFailure raised while handling
        # requests' error.
        connecting = ksa_exc.ConnectFailure('Unable to establish connection')
        connecting.__context__ = failing_connections.refused(f.AUTH_URL)
        discovery = ksa_exc.DiscoveryFailure(
            'Could not find versioned identity endpoints')
        discovery.__context__ = connecting
        cause = keystoneauth_errors.connection_cause(discovery)
        self.assertIsInstance(cause, ksa_exc.ConnectFailure)
        error = keystoneauth_errors.unreachable(cause)
        self.assertEqual(
            "Cannot reach http://keystone.test (Connection refused): check "
            "that the service is up and that the URL's host and port are "
            "right", str(error))

    def test_an_unresolved_identity_host_is_not_retried(self):
        self.requests.post(f.AUTH_URL + '/auth/tokens',
                           exc=failing_connections.unresolved(f.AUTH_URL))
        nc = self.client()
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                nc.server_migrations.force_complete,
                                f.SERVER, 7)
        self.assertIn('Cannot reach http://keystone.test (Name or service '
                      'not known): check the host name', str(exc))
        self.assertFalse(exc.transient)


class TestReasons(f.SDKTestCase):
    """The short reason of each kind of failure, from its fields."""

    def reason(self, failure):
        connecting = ksa_exc.ConnectFailure('Unable to establish connection')
        connecting.__context__ = failure
        return keystoneauth_errors.unreachable(connecting).cause

    def test_reasons(self):
        reset = failing_connections.dropped(closed=ConnectionResetError(
            errno.ECONNRESET, 'Connection reset by peer'))
        for failure, reason in [
                (failing_connections.refused(), 'Connection refused'),
                (failing_connections.unresolved(),
                 'Name or service not known'),
                (failing_connections.dropped(),
                 'connection closed without an answer'),
                (reset, 'Connection reset by peer'),
                (requests.exceptions.ConnectionError(
                    urllib3.exceptions.MaxRetryError(None, '/x')),
                 'ConnectFailure')]:
            self.assertEqual(reason, self.reason(failure))


class TestAnAnswerCutShort(TestThroughTheSession):
    """The connection closed in the middle of an answer (its body shorter
    than its Content-Length), or the answer to a read is not JSON: a
    failure of the transport or the cloud, never a traceback."""

    def test_a_read_cut_short_is_retried_then_unreachable(self):
        exc = self.get(INDEX, requests.exceptions.ChunkedEncodingError(
            urllib3.exceptions.ProtocolError('Connection broken')))
        self.assertIn('Cannot reach http://nova.test', str(exc))
        self.assertTrue(exc.transient)
        self.assertEqual([0.5, 1.0, 2.0, 4.0], self.clock.sleeps)

    def test_a_post_cut_short_may_have_been_applied(self):
        exc = self.post(requests.exceptions.ChunkedEncodingError(
            urllib3.exceptions.ProtocolError('Connection broken')))
        self.assertIn('the request may have been applied', str(exc))
        self.assertIn('connection closed in the middle of the answer',
                      str(exc))
        self.assertFalse(exc.transient)
        self.assertEqual(1, len(self.compute_calls()))

    def test_a_read_answered_with_no_json_is_a_transient_service_error(self):
        self.requests.get(f.COMPUTE + INDEX, text='')
        exc = self.assertRaises(
            exceptions.ServiceError, self.compute.get_json, INDEX,
            negotiation.MIGRATIONS, errors.Context('list'))
        self.assertIn('http://nova.test', str(exc))
        self.assertIn('not JSON', str(exc))
        self.assertTrue(exc.transient)
