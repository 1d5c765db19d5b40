"""The SDK logs negotiation, retries and wait readings at DEBUG on its
module loggers (what ``openstack --debug`` and ``nova --debug`` show)."""

import logging

import fixtures
import requests

from novaclient_force import exceptions, waiting
from tests.unit.sdk import sdk_fakes as f
from tests.unit.sdk import test_sdk_negotiation as negotiation_tests

ACTION = f'/servers/{f.SERVER}/migrations/7/action'
INDEX = f.COMPUTE + f'/servers/{f.SERVER}/migrations'


class TestDebugLog(f.SDKTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='novaclient_force', level=logging.DEBUG,
            format='%(name)s %(message)s'))

    def lines(self):
        return self.log.output.splitlines()

    def test_negotiation(self):
        self.requests.post(f.COMPUTE + ACTION,
                           [negotiation_tests.NOT_SUPPORTED,
                            {'status_code': 202}])
        self.requests.get(f.COMPUTE,
                          **negotiation_tests.version_doc('2.60'))
        self.client().server_migrations.force_complete(f.SERVER, 7)
        self.assertEqual([
            'novaclient_force.negotiation Compute API refused microversion '
            '2.80 (406): discovering its maximum',
            f'novaclient_force.negotiation Compute API {f.COMPUTE}: maximum '
            'microversion 2.60',
            'novaclient_force.negotiation Compute API microversion 2.60 '
            'negotiated'], self.lines())

    def test_every_retry(self):
        manager = self.manager()
        self.requests.get(INDEX, [
            f.fault(503, 'serviceUnavailable', 'busy'),
            {'exc': requests.exceptions.ConnectionError('refused')},
            {'json': {'migrations': [f.migration_row()]}}])
        self.requests.post(f.COMPUTE + ACTION, status_code=202)
        manager.force_complete(f.SERVER)
        retries = [line for line in self.lines() if 'retrying' in line]
        self.assertEqual(2, len(retries), self.log.output)
        self.assertIn(f'GET /servers/{f.SERVER}/migrations: HTTP 503; '
                      'retrying in 0.5s', retries[0])
        self.assertIn('retrying in 1.0s', retries[1])

    def test_every_wait_reading(self):
        clock = f.FakeClock()
        outage = exceptions.EndpointUnreachable('Cannot reach the cloud')
        outage.transient = True
        answers = iter([
            waiting.Reading('running', memory_remaining_bytes=300,
                            memory_total_bytes=1000),
            outage,
            waiting.Reading('completed', done=True, outcome='completed',
                            reason='on compute-2')])

        def read(deadline):
            answer = next(answers)
            if isinstance(answer, Exception):
                raise answer
            return answer

        waiting.wait_for_outcome(read, timeout=60, clock=clock,
                                 sleep=clock.sleep)
        self.assertEqual([
            'novaclient_force.waiting Wait reading after 0.0s: status '
            'running, 300 of 1000 bytes left to copy',
            'novaclient_force.waiting Wait reading after 0.5s failed '
            '(Cannot reach the cloud); retrying in 0.5s',
            'novaclient_force.waiting Wait reading after 1.0s: status '
            'completed, outcome completed (on compute-2)'], self.lines())
