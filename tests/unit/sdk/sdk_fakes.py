"""A fake cloud for the SDK unit tests: keystone token + compute mocks.

requests-mock serves Keystone (a real v3 token with a catalog, built with
keystoneauth's fixture) and whatever compute answers a test registers; the
request history is what round-trip assertions count.
"""

import datetime
import http.client
import json
import math
import re

import fixtures
import requests
import urllib3
from keystoneauth1 import fixture as ksa_fixture
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3
from requests_mock.contrib import fixture as rm_fixture

from novaclient_force import client
from novaclient_force.v2 import server_migrations
from tests import testcase

AUTH_URL = 'http://keystone.test/identity/v3'
COMPUTE = 'http://nova.test/compute/v2.1'
SERVER = '9128d044-7b61-403e-b766-7547076ff6c1'
MIGRATION_UUID = '12341d4b-346a-40d0-83c6-5f4f6892b650'
PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'


def fault(code, key, message):
    return {'json': {key: {'code': code, 'message': message}},
            'status_code': code}


def migration_row(mid=7, status='running', uuid=MIGRATION_UUID,
                  server=SERVER, processed=None, remaining=None, total=None,
                  **extra):
    row = {'id': mid, 'uuid': uuid, 'server_uuid': server,
           'status': status, 'source_compute': 'compute-1',
           'dest_compute': 'compute-2',
           'memory_processed_bytes': processed,
           'memory_remaining_bytes': remaining,
           'memory_total_bytes': total}
    row.update(extra)
    return row


def os_migration_row(mid=7, status='running', server=SERVER,
                     host='compute-1', uuid=None, **extra):
    row = {'id': mid,
           'uuid': uuid or f'{mid:08d}-0000-4000-8000-000000000000',
           'instance_uuid': server, 'status': status,
           'migration_type': 'live-migration', 'source_compute': host,
           'dest_compute': 'compute-2'}
    row.update(extra)
    return row


class FakeClock:
    """Injectable clock and sleep: sleeping advances the clock."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []
        #: Simulated seconds a test may sleep in all: a wait without
        #: bound fails the test instead of hanging it.
        self.limit = 2 * 3600.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if sum(self.sleeps) > self.limit:
            raise AssertionError(f'slept more than {self.limit:g}s')


class SDKTestCase(testcase.TestCase):
    roles = ('admin',)

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.EnvironmentVariable(
            'NOVACLIENT_UUID_CACHE_DIR', self.useFixture(
                fixtures.TempDir()).path))
        self.requests = self.useFixture(rm_fixture.Fixture())
        token = ksa_fixture.V3Token(project_id=PROJECT)
        token.set_project_scope(id=PROJECT, name='demo')
        for role in self.roles:
            token.add_role(name=role)
        service = token.add_service('compute')
        service.add_standard_endpoints(public=COMPUTE, region='RegionOne')
        self.token = token
        self.requests.post(AUTH_URL + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'secret-token'},
                           status_code=201)
        auth = v3.Password(auth_url=AUTH_URL, username='admin',
                           password='secret', project_name='demo',
                           user_domain_id='default',
                           project_domain_id='default')
        self.session = ksa_session.Session(auth=auth)
        self.clock = FakeClock()
        # Nova's version document, for a client that must negotiate
        # before its first request (Nova HEAD's maximum).
        self.requests.get(COMPUTE, json={'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': '2.104',
            'min_version': '2.1', 'links': []}})

    def client(self, api_version=None):
        nc = client.Client(session=self.session, api_version=api_version)
        return nc

    def manager(self, api_version=None):
        """Our manager with the fake clock, on a fresh client."""
        nc = self.client(api_version)
        return server_migrations.ServerMigrationsManager(
            nc.compute, pinned=nc.server_migrations._pinned,
            clock=self.clock, sleep=self.clock.sleep)

    def compute_calls(self):
        return [(r.method, r.path + ('?' + r.query if r.query else ''))
                for r in self.requests.request_history
                if r.url.startswith('http://nova.test')]

    def versions_sent(self):
        return [r.headers.get('OpenStack-API-Version')
                for r in self.requests.request_history
                if r.url.startswith(COMPUTE + '/')]

    def url(self, path):
        return COMPUTE + path


def dropped():
    """What requests raises when the server closes the connection with no
    answer."""
    closed = http.client.RemoteDisconnected(
        'Remote end closed connection without response')
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError('Connection aborted.', closed))


class HostQueue:
    """One source host as stock Nova runs it, served over requests-mock.

    Migrations start in the order added, at most ``limit`` at a time (0:
    no limit); each is ``queued`` until a slot frees, ``preparing`` for
    PREPARING seconds, then ``running`` until it converges on its own
    (``converges_after`` seconds of running; None: never) or FORCED_END
    seconds after a force-complete reached it while running. Status and
    memory counters derive from the FakeClock, so a test drives time only
    by the SDK's own sleeps. Serves ``/os-migrations`` (filters, newest
    first, paging by ``page_size``), the server migration index, the
    force-complete action, ``/os-services`` and ``/servers?host=``.

    With ``stats_interval`` the counters are Nova's: saved as the job
    starts running and then every that many seconds, and every row has
    the ``updated_at`` of its latest save (status or counters).
    """

    PREPARING = 1.0
    FORCED_END = 2.0
    BANDWIDTH = 1.0e9
    MEMORY = 8 * 1024 ** 3

    def __init__(self, requests, clock, limit=1, host='compute-1',
                 page_size=1000, known_hosts=('compute-1', 'compute-2'),
                 project_only=None, stats_interval=None):
        #: A project ID: listings must be narrowed to it (a manager's).
        self.project_only = project_only
        self.clock = clock
        self.stats_interval = stats_interval
        self.limit = limit
        self.host = host
        self.page_size = page_size
        self.known_hosts = known_hosts
        self.migrations = []
        self.forced = []            # migration ids, in the order forced
        self.refused = []           # (migration id, status) answered 400
        self.faults = {}            # migration id: [fault, ...] (fail())
        self.posts = []             # (migration id, what it was answered)
        self.post_times = []        # when each POST arrived
        requests.get(COMPUTE + '/os-migrations', json=self._list)
        requests.get(re.compile(COMPUTE + '/servers/[^/]+/migrations$'),
                     json=self._index)
        requests.post(re.compile(
            COMPUTE + '/servers/[^/]+/migrations/[0-9]+/action$'),
            text=self._force)
        requests.get(COMPUTE + '/os-services', json=self._services)
        requests.get(COMPUTE + '/servers', json=self._servers)

    def add(self, name, converges_after=None, started_ago=2.0):
        """A live migration of server ``name`` requested ``started_ago``
        seconds ago; its ID."""
        mid = len(self.migrations) + 1
        self.migrations.append({
            'id': mid, 'uuid': f'{mid:08d}-0000-4000-8000-0000000000aa',
            'server': f'{mid:08d}-2222-4000-8000-000000000000',
            'name': name, 'converges_after': converges_after,
            'created': self.clock() - started_ago + mid * 1e-3,
            'forced_at': None})
        return mid

    def fail(self, mid, *faults):
        """The next force-completes of migration ``mid`` fail, one fault
        each: an HTTP status (nothing applied), 'before' (the connection
        closes before it is applied) or 'after' (applied, then the
        connection closes unanswered)."""
        self.faults.setdefault(mid, []).extend(faults)

    def _timeline(self):
        """{id: (running_at, end or None)} at the current time."""
        slots = []                  # end times of the migrations started
        timeline = {}
        for mig in self.migrations:
            if self.limit and len(slots) >= self.limit:
                free = min(slots, key=lambda e: math.inf if e is None else e)
                if free is None:
                    timeline[mig['id']] = (None, None)
                    continue
                slots.remove(free)
                start = max(free, mig['created'])
            else:
                start = mig['created']
            running_at = start + self.PREPARING
            end = None
            if mig['converges_after'] is not None:
                end = running_at + mig['converges_after']
            if mig['forced_at'] is not None:
                forced_end = mig['forced_at'] + self.FORCED_END
                end = forced_end if end is None else min(end, forced_end)
            slots.append(end)
            timeline[mig['id']] = (running_at, end)
        return timeline

    def status(self, mid):
        running_at, end = self._timeline()[mid]
        now = self.clock()
        if running_at is None or now < running_at - self.PREPARING:
            return 'queued'
        if now < running_at:
            return 'preparing'
        if end is None or now < end:
            return 'running'
        return 'completed'

    def _row(self, mig):
        row = {'id': mig['id'], 'uuid': mig['uuid'],
               'instance_uuid': mig['server'],
               'status': self.status(mig['id']),
               'migration_type': 'live-migration',
               'source_compute': self.host, 'dest_compute': 'compute-2'}
        if self.stats_interval:
            row['updated_at'] = datetime.datetime.fromtimestamp(
                self._saved_at(mig), datetime.timezone.utc).replace(
                tzinfo=None).isoformat()
        return row

    def _saved_at(self, mig):
        """When Nova last saved the migration: its status (``queued`` at
        creation, then ``preparing`` and ``running`` with the first
        counters), then its counters every ``stats_interval`` seconds."""
        running_at, end = self._timeline()[mig['id']]
        now = self.clock() if end is None else min(self.clock(), end)
        if running_at is None or now < running_at - self.PREPARING:
            return mig['created']
        if now < running_at:
            return running_at - self.PREPARING
        saves = (now - running_at) // self.stats_interval
        return running_at + saves * self.stats_interval

    def _list(self, request, context):
        query = request.qs
        if (self.project_only is not None
                and query.get('project_id') != [self.project_only]):
            context.status_code = 403
            return {'forbidden': {'code': 403, 'message': (
                "Policy doesn't allow os_compute_api:os-migrations:index:"
                "all_projects to be performed.")}}
        rows = [self._row(m) for m in reversed(self.migrations)]
        if 'status' in query:
            rows = [r for r in rows if r['status'] == query['status'][0]]
        if query.get('source_compute', [self.host])[0] != self.host:
            rows = []
        if 'instance_uuid' in query:
            rows = [r for r in rows
                    if r['instance_uuid'] == query['instance_uuid'][0]]
        if 'marker' in query:
            uuids = [r['uuid'] for r in rows]
            rows = rows[uuids.index(query['marker'][0]) + 1:]
        page = rows[:self.page_size]
        body = {'migrations': page}
        if len(page) == self.page_size and len(rows) > self.page_size:
            body['migrations_links'] = [{'rel': 'next', 'href': (
                f'{COMPUTE}/os-migrations?source_compute={self.host}'
                f"&marker={page[-1]['uuid']}")}]
        return body

    def _counters(self, mig):
        """libvirt's counters as QEMU's pre-copy makes them: a guest
        that converges sends its memory once at the pace that ends it on
        time and dirties nothing; a busy one re-dirties all of it every
        round, so its pending memory is a sawtooth below the total."""
        running_at, _ = self._timeline()[mig['id']]
        at = self._saved_at(mig) if self.stats_interval else self.clock()
        ran = max(at - running_at, 0)
        rate = self.BANDWIDTH
        if mig['converges_after']:
            rate = self.MEMORY / mig['converges_after']
        sent = ran * rate
        if sent < self.MEMORY:
            remaining = self.MEMORY - sent
        elif mig['converges_after']:
            remaining = 0
        else:
            remaining = self.MEMORY - (sent - self.MEMORY) % self.MEMORY
        return {'memory_total_bytes': self.MEMORY,
                'memory_processed_bytes': int(sent),
                'memory_remaining_bytes': int(remaining)}

    def _by_server(self, path):
        server = path.split('/servers/')[1].split('/')[0]
        return next(m for m in self.migrations if m['server'] == server)

    def _index(self, request, context):
        mig = self._by_server(request.path)
        row = dict(self._row(mig), server_uuid=mig['server'])
        if row['status'] == 'completed':
            return {'migrations': []}
        if row['status'] == 'running':
            row.update(self._counters(mig))
        return {'migrations': [row]}

    def _force(self, request, context):
        mig = self._by_server(request.path)
        status = self.status(mig['id'])
        fault = (self.faults.get(mig['id']) or [None]).pop(0) if status == (
            'running') else None
        self.posts.append((mig['id'], fault or status))
        self.post_times.append(self.clock())
        if isinstance(fault, int):
            context.status_code = fault
            return json.dumps({'computeFault': {'code': fault, 'message': (
                'Unexpected API Error.')}})
        if fault == 'after' and mig['forced_at'] is None:
            mig['forced_at'] = self.clock()
        if fault is not None:
            raise dropped()
        if status != 'running':
            self.refused.append((mig['id'], status))
            context.status_code = 400
            return json.dumps({'badRequest': {'code': 400, 'message': (
                f"Migration {mig['id']} state of instance {mig['server']} "
                f'is {status}. Cannot force complete while the migration '
                'is in this state.')}})
        if mig['forced_at'] is None:
            mig['forced_at'] = self.clock()
        self.forced.append(mig['id'])
        context.status_code = 202
        return ''

    def _services(self, request, context):
        return {'services': [{'binary': 'nova-compute', 'host': h}
                             for h in self.known_hosts]}

    def _servers(self, request, context):
        return {'servers': [{'id': m['server'], 'name': m['name']}
                            for m in self.migrations]}
