"""Microversion negotiation: optimistic path, 406 fallback, pins."""

import json
import threading
from concurrent import futures

import requests
from keystoneauth1 import session as ksa_session
from novaclient import client as nova_client

from novaclient_force import errors, exceptions, negotiation
from novaclient_force.v2 import server_migrations
from tests import testcase
from tests.unit.sdk import sdk_fakes as f

ACTION = f'/servers/{f.SERVER}/migrations/7/action'
INDEX = f'/servers/{f.SERVER}/migrations'
NOT_SUPPORTED = f.fault(
    406, 'computeFault', 'Version 2.80 is not supported by the API. '
    'Minimum is 2.1 and maximum is 2.60.')


def version_doc(maximum):
    return {'json': {'version': {
        'id': 'v2.1', 'status': 'CURRENT', 'version': maximum,
        'min_version': '2.1' if maximum else '', 'links': []}}}


class TestOptimistic(f.SDKTestCase):

    def test_accepted_version_costs_one_request(self):
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        nc = self.client()
        nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual([('POST', '/compute/v2.1' + ACTION)],
                         self.compute_calls())
        self.assertEqual(['compute 2.80'], self.versions_sent())
        # Both headers go out (keystoneauth does this for compute).
        sent = self.requests.request_history[-1].headers
        self.assertEqual('2.80', sent['X-OpenStack-Nova-API-Version'])
        self.assertEqual('2.80', nc.api_version.get_string())
        self.assertEqual(1, len(self.compute_calls()))
        # novaclient's own managers now use the negotiated version too.
        self.assertEqual('2.80', nc.compute.api_version.get_string())

    def test_api_version_before_any_request_discovers_once(self):
        self.requests.get(f.COMPUTE, **version_doc('2.104'))
        nc = self.client()
        self.assertEqual('2.80', nc.api_version.get_string())
        self.assertEqual('2.80', nc.api_version.get_string())
        self.assertEqual([('GET', '/compute/v2.1')], self.compute_calls())
        # Discovery sends no microversion header.
        self.assertNotIn('OpenStack-API-Version',
                         self.requests.request_history[-1].headers)

    def test_old_cloud_api_version_is_its_maximum(self):
        self.requests.get(f.COMPUTE, **version_doc('2.42'))
        self.assertEqual('2.42', self.client().api_version.get_string())


class TestFallback(f.SDKTestCase):

    def test_406_discovers_once_and_resends_at_cloud_max(self):
        self.requests.post(f.COMPUTE + ACTION,
                           [NOT_SUPPORTED, {'status_code': 202}])
        self.requests.get(f.COMPUTE, **version_doc('2.60'))
        nc = self.client()
        result = nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual('accepted', result.status)
        self.assertEqual([('POST', '/compute/v2.1' + ACTION),
                          ('GET', '/compute/v2.1'),
                          ('POST', '/compute/v2.1' + ACTION)],
                         self.compute_calls())
        self.assertEqual(['compute 2.80', 'compute 2.60'],
                         [v for v in self.versions_sent() if v])
        self.assertEqual('2.60', nc.api_version.get_string())
        # A second operation needs no new discovery.
        nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual(4, len(self.compute_calls()))

    def test_too_old_cloud_refused_before_any_mutating_request(self):
        self.requests.post(f.COMPUTE + ACTION, **f.fault(
            406, 'computeFault', 'Version 2.80 is not supported by the '
            'API. Minimum is 2.1 and maximum is 2.21.'))
        self.requests.get(f.COMPUTE, **version_doc('2.21'))
        nc = self.client()
        exc = self.assertRaises(exceptions.CloudTooOld,
                                nc.server_migrations.force_complete,
                                f.SERVER, 7)
        self.assertIn('needs compute API 2.22', str(exc))
        self.assertIn('at most 2.21', str(exc))
        # Only the refused (406: nothing applied) POST went out.
        self.assertEqual(1, [m for m, _ in self.compute_calls()]
                         .count('POST'))
        # The next call fails at once, from the cache.
        self.assertRaises(exceptions.CloudTooOld,
                          nc.server_migrations.force_complete, f.SERVER, 7)
        self.assertEqual(2, len(self.compute_calls()))

    def test_cloud_without_microversions(self):
        self.requests.post(f.COMPUTE + ACTION, **NOT_SUPPORTED)
        self.requests.get(f.COMPUTE, **version_doc(''))
        exc = self.assertRaises(exceptions.CloudTooOld,
                                self.client().server_migrations
                                .force_complete, f.SERVER, 7)
        self.assertIn('2.0 (no microversions)', str(exc))

    def test_migration_uuid_needs_2_59(self):
        self.requests.get(f.COMPUTE + f'/servers/{f.SERVER}/migrations',
                          **NOT_SUPPORTED)
        self.requests.get(f.COMPUTE, **version_doc('2.58'))
        exc = self.assertRaises(exceptions.CloudTooOld,
                                self.client().server_migrations
                                .force_complete, f.SERVER, f.MIGRATION_UUID)
        self.assertIn('a migration UUID needs compute API 2.59', str(exc))
        self.assertIn('at most 2.58', str(exc))

    def test_project_id_endpoint_falls_back_to_the_root(self):
        self.requests.post(f.COMPUTE + ACTION,
                           [NOT_SUPPORTED, {'status_code': 202}])
        self.requests.get(f.COMPUTE, **f.fault(404, 'itemNotFound', 'no'))
        self.requests.get('http://nova.test/compute/', json={'versions': [
            {'id': 'v2.0', 'version': '', 'min_version': ''},
            {'id': 'v2.1', 'version': '2.65', 'min_version': '2.1'}]})
        nc = self.client()
        nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual('2.65', nc.api_version.get_string())


class TestPinned(f.SDKTestCase):

    def test_pinned_version_is_sent_as_is(self):
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        nc = self.client(api_version='2.30')
        nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual(['compute 2.30'], self.versions_sent())
        self.assertEqual('2.30', nc.api_version.get_string())

    def test_pinned_too_low_sends_nothing(self):
        nc = self.client(api_version='2.21')
        exc = self.assertRaises(exceptions.VersionPinnedTooLow,
                                nc.server_migrations.force_complete,
                                f.SERVER, 7)
        self.assertIn('2.21', str(exc))
        self.assertIn('force-complete needs 2.22', str(exc))
        self.assertEqual([], self.compute_calls())

    def test_pinned_but_unsupported_by_the_cloud(self):
        self.requests.post(f.COMPUTE + ACTION, **NOT_SUPPORTED)
        exc = self.assertRaises(
            exceptions.CloudTooOld,
            self.client(api_version='2.90').server_migrations
            .force_complete, f.SERVER, 7)
        self.assertIn('2.90', str(exc))
        self.assertEqual(406, exc.http_status)
        self.assertEqual(1, len(self.compute_calls()))

    def test_malformed_pin(self):
        for bad in ('latest', '2.022', 'v2.1', '3.1'):
            self.assertRaises(exceptions.InvalidArgument, self.client,
                              api_version=bad)

    def test_novaclient_client_version_is_taken_as_pinned(self):
        # How the nova CLI uses the manager: on its own client object.
        cs = nova_client.Client('2.25', session=self.session)
        manager = server_migrations.ServerMigrationsManager(cs)
        self.assertRaises(exceptions.VersionPinnedTooLow,
                          manager.force_complete, f.SERVER,
                          f.MIGRATION_UUID)
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        manager.force_complete(f.SERVER, 7)
        self.assertEqual(['compute 2.25'], self.versions_sent())

    def test_novaclient_client_can_ask_for_negotiation(self):
        cs = nova_client.Client('2.21', session=self.session)
        manager = server_migrations.ServerMigrationsManager(cs, pinned=None)
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        manager.force_complete(f.SERVER, 7)
        self.assertEqual(['compute 2.80'], self.versions_sent())

    def test_as_version(self):
        self.assertIsNone(negotiation.as_version(None))
        self.assertEqual('2.59', negotiation.as_version('2.59').get_string())
        version = negotiation.APIVersion('2.70')
        self.assertIs(version, negotiation.as_version(version))

    def test_pin_above_python_novaclients_maximum(self):
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        nc = self.client(api_version='2.100')
        nc.server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual(['compute 2.100'], self.versions_sent())
        self.assertEqual('2.96', nc.compute.api_version.get_string())



class VersionedCloud(requests.adapters.BaseAdapter):
    """A compute API with its maximum microversion, served to requests
    without sockets (requests-mock sends one request at a time): 406
    above the maximum, as Nova answers (nova/api/openstack/wsgi.py
    ``Resource._process_stack``). The first ``hold`` refusals are held
    until all of them are in flight, so that no discovery ends before
    every thread has sent its first request."""

    def __init__(self, maximum, hold):
        super().__init__()
        self.maximum = maximum
        self.hold = threading.Barrier(hold)
        self.refused = 0
        self.sent = []
        self.lock = threading.Lock()

    def send(self, request, **kwargs):
        header = request.headers.get('OpenStack-API-Version')
        with self.lock:
            self.sent.append((request.method, request.path_url, header))
        if header is None:
            return self.answer(request, 200, version_doc(self.maximum)['json'])
        sent = header.split()[1]
        if negotiation.APIVersion(sent) <= negotiation.APIVersion(
                self.maximum):
            return self.answer(request, 200,
                               {'migrations': [f.migration_row()]})
        with self.lock:
            self.refused += 1
            held = self.refused <= self.hold.parties
        if held:
            self.hold.wait(timeout=30)
        return self.answer(request, 406, {'computeFault': {
            'code': 406, 'message': f'Version {sent} is not supported by '
            f'the API. Minimum is 2.1 and maximum is {self.maximum}.'}})

    def answer(self, request, status, body):
        resp = requests.Response()
        resp.status_code = status
        resp.headers['Content-Type'] = 'application/json'
        resp._content = json.dumps(body).encode()
        resp.url = request.url
        resp.request = request
        return resp

    def close(self):
        pass


class TestConcurrentNegotiation(testcase.TestCase):
    """One client shared by a pool of threads, on a cloud below
    OPTIMISTIC: every first request goes out at 2.80 and is refused, and
    each must be re-sent at the version negotiated, whichever thread's
    discovery found it."""

    THREADS = 16

    def list_from_threads(self, cloud):
        http = requests.Session()
        http.mount(f.COMPUTE, cloud)
        nova = nova_client.Client('2.1', session=ksa_session.Session(
            session=http), endpoint_override=f.COMPUTE)
        compute = negotiation.Compute(nova.client)
        context = errors.Context('list', server=f.SERVER)
        with futures.ThreadPoolExecutor(self.THREADS) as pool:
            calls = [pool.submit(compute.get_json, INDEX,
                                 negotiation.MIGRATIONS, context)
                     for _ in range(self.THREADS)]
            failed = [str(call.exception()) for call in calls
                      if call.exception() is not None]
        return compute, failed

    def test_every_thread_is_answered_at_the_clouds_maximum(self):
        for maximum in ('2.23', '2.60', '2.79'):
            cloud = VersionedCloud(maximum, self.THREADS)
            compute, failed = self.list_from_threads(cloud)
            self.assertEqual([], failed, maximum)
            self.assertEqual(maximum, compute.version.get_string())
            self.assertEqual(
                1, [header for _, _, header in cloud.sent].count(None))
            self.assertEqual(
                [f'compute {maximum}'] * self.THREADS,
                [header for _, path, header in cloud.sent
                 if header and not header.endswith(' 2.80')])
