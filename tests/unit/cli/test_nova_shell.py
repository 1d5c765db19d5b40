"""``nova live-migration-force-complete`` through the real nova shell.

Like python-novaclient's own shell tests, these run
``novaclient.shell.main`` in-process with credentials in the environment,
but nothing below the HTTP layer is mocked: keystoneauth authenticates
against a mocked Keystone token response, novaclient discovers the
version, loads this package through its entry point, and the requests the
command sends are answered by a small fake Nova (requests-mock) that
honours microversions the way Nova does (nova/api/openstack/wsgi.py: 406
above the maximum, 404 for a method below its minimum).
"""

import io
import re
import subprocess
import sys

import fixtures
import novaclient.shell
import requests
from keystoneauth1 import fixture as ks_fixture
from requests_mock.contrib import fixture as rm_fixture

from novaclient_force import diagnosis
from novaclient_force.v2 import server_migrations
from tests import testcase

IDENTITY = 'http://identity.example.test/v3'
COMPUTE = 'http://compute.example.test/v2.1'
# IDs from Nova's api-samples (server-migrations/v2.80/migrations-*.json).
SERVER_ID = '4cfba335-03d8-49b2-8c52-e69043d1e8fe'
MIGRATION_UUID = '12341d4b-346a-40d0-83c6-5f4f6892b650'
MIGRATION_ID = 7

ENV = {
    'OS_AUTH_URL': IDENTITY,
    'OS_USERNAME': 'admin',
    'OS_PASSWORD': 'secret',
    'OS_PROJECT_NAME': 'admin',
    'OS_USER_DOMAIN_ID': 'default',
    'OS_PROJECT_DOMAIN_ID': 'default',
}

DEPRECATION = 'nova CLI is deprecated'
FORCE_COMPLETE_URL = re.compile(
    re.escape(COMPUTE) + r'/servers/[^/]+/migrations/[^/]+/action$')


def _version(text):
    major, minor = text.split('.')
    return int(major), int(minor)


def migration_row(status='running', processed=1 << 30, total=4 << 30):
    """An in-progress row as Nova's index shows it (2.80 sample shape)."""
    return {
        'id': MIGRATION_ID, 'uuid': MIGRATION_UUID, 'server_uuid': SERVER_ID,
        'status': status, 'source_compute': 'compute-1',
        'dest_compute': 'compute-2', 'source_node': 'compute-1',
        'dest_node': 'compute-2', 'dest_host': '192.0.2.12',
        'memory_total_bytes': total, 'memory_processed_bytes': processed,
        'memory_remaining_bytes': total - processed,
        'disk_total_bytes': 0, 'disk_processed_bytes': 0,
        'disk_remaining_bytes': 0,
        'created_at': '2016-01-29T13:42:02.000000',
        'updated_at': '2016-01-29T13:42:02.000000',
        'user_id': '8dbaa0f0-ab95-4ffe-8cb4-9c89d2ac9d24',
        'project_id': '5f705771-3aa9-4f4c-8660-0d9522ffdbea',
    }


class FakeNova:
    """Answers compute requests like Nova would, at ``max_version``.

    ``index`` is the list of successive answers of the server's migration
    index (the last one repeats); ``final_status`` is the status
    /os-migrations reports once the migration has left the index;
    ``accepted`` holds the URL of every force-complete answered 202.
    """

    def __init__(self, mocker, max_version='2.104'):
        self.max_version = max_version
        self.index = [[migration_row()]]
        self.final_status = 'completed'
        self.force_complete_answer = (202, None)
        self.accepted = []
        self.servers = [{'id': SERVER_ID, 'name': 'busy-vm'}]
        mocker.get(COMPUTE, json=self._version_doc)
        mocker.get(COMPUTE + '/', json=self._version_doc)
        mocker.get(re.compile(re.escape(COMPUTE) + r'/servers(\?.*)?$'),
                   json=self._servers)
        mocker.get(re.compile(re.escape(COMPUTE) + r'/servers/[0-9a-f-]+$'),
                   json=self._server)
        mocker.get(re.compile(
            re.escape(COMPUTE) + r'/servers/[^/]+/migrations$'),
            json=self._index)
        mocker.delete(re.compile(
            re.escape(COMPUTE) + r'/servers/[^/]+/migrations/\d+$'),
            status_code=202)
        mocker.get(re.compile(re.escape(COMPUTE) + r'/os-migrations'),
                   json=self._os_migrations)
        mocker.post(FORCE_COMPLETE_URL, json=self._force_complete)

    def _version_doc(self, request, context):
        return {'version': {
            'id': 'v2.1', 'status': 'CURRENT', 'version': self.max_version,
            'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
            'links': [{'rel': 'self', 'href': COMPUTE + '/'}]}}

    def _microversion(self, request, context):
        """The request's version, or a 406 fault body when too high."""
        header = request.headers.get('X-OpenStack-Nova-API-Version', '2.1')
        if _version(header) > _version(self.max_version):
            context.status_code = 406
            return None, {'computeFault': {'code': 406, 'message': (
                f'Version {header} is not supported by the API. Minimum is '
                f'2.1 and maximum is {self.max_version}.')}}
        context.headers['X-OpenStack-Nova-API-Version'] = header
        context.headers['OpenStack-API-Version'] = 'compute ' + header
        return _version(header), None

    def _servers(self, request, context):
        _, fault = self._microversion(request, context)
        if fault:
            return fault
        name = request.qs.get('name', [''])[0]
        return {'servers': [
            dict(s, links=[]) for s in self.servers
            if re.search(name, s['name'], re.IGNORECASE)]}

    def _server(self, request, context):
        _, fault = self._microversion(request, context)
        if fault:
            return fault
        return {'server': dict(self.servers[0], status='MIGRATING',
                               links=[])}

    def _index(self, request, context):
        _, fault = self._microversion(request, context)
        if fault:
            return fault
        rows = self.index[0] if len(self.index) == 1 else self.index.pop(0)
        return {'migrations': rows}

    def _os_migrations(self, request, context):
        _, fault = self._microversion(request, context)
        if fault:
            return fault
        row = dict(migration_row(status=self.final_status),
                   migration_type='live-migration')
        return {'migrations': [row]}

    def _force_complete(self, request, context):
        version, fault = self._microversion(request, context)
        if fault:
            return fault
        if version < (2, 22):
            context.status_code = 404
            return {'itemNotFound': {
                'code': 404, 'message': 'The resource could not be found.'}}
        assert request.json() == {'force_complete': None}
        context.status_code, body = self.force_complete_answer
        if context.status_code == 202:
            self.accepted.append(request.url)
        return body


class TTYBuffer(io.StringIO):
    def isatty(self):
        return True


class NovaShellTestCase(testcase.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch('os.environ', dict(ENV)))
        self.requests = self.useFixture(rm_fixture.Fixture())
        self.register_keystone('admin')
        self.nova = FakeNova(self.requests)

    def register_keystone(self, role):
        token = ks_fixture.V3Token(user_name=ENV['OS_USERNAME'],
                                   project_name=ENV['OS_PROJECT_NAME'])
        token.add_role(name=role)
        token.add_service('compute').add_standard_endpoints(
            public=COMPUTE, region='RegionOne')
        self.requests.get(IDENTITY, json={'version': ks_fixture.V3Discovery(
            IDENTITY)})
        self.requests.post(IDENTITY + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'a-token'})

    def run_nova(self, *argv, stdout=None, stderr=None):
        """Run ``nova *argv``; (exit status, stdout, stderr lines)."""
        out = stdout if stdout is not None else io.StringIO()
        err = stderr if stderr is not None else io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        try:
            novaclient.shell.main(list(argv))
            status = 0
        except SystemExit as exc:
            status = exc.code
        lines = [line for line in err.getvalue().splitlines()
                 if not line.startswith(DEPRECATION)]
        return status, out.getvalue(), lines

    def compute_requests(self, method=None):
        """Requests our command sent to compute (nova's own discovery of
        the version document excluded)."""
        return [r for r in self.requests.request_history
                if r.url.startswith(COMPUTE + '/')
                and r.url.rstrip('/') != COMPUTE
                and (method is None or r.method == method)]

    def assert_one_error(self, err, kind):
        self.assertEqual(1, len(err), err)
        self.assertTrue(err[0].startswith(f'ERROR ({kind}): '), err[0])
        self.assertNotIn('Traceback', err[0])

    def force_complete_posts(self):
        return [r for r in self.compute_requests('POST')
                if FORCE_COMPLETE_URL.match(r.url)]


class TestForceComplete(NovaShellTestCase):

    def test_by_id_like_upstream(self):
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual((0, '', []), (status, out, err))
        self.assertEqual(1, len(self.nova.accepted))
        posts = self.force_complete_posts()
        self.assertEqual(1, len(posts))
        self.assertEqual(
            f'{COMPUTE}/servers/{SERVER_ID}/migrations/{MIGRATION_ID}/action',
            posts[0].url)
        self.assertGreaterEqual(_version(
            posts[0].headers['X-OpenStack-Nova-API-Version']), (2, 22))
        # A server ID and a migration ID need no lookup: the POST is all.
        self.assertEqual(1, len(self.compute_requests()))

    def test_by_name(self):
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', str(MIGRATION_ID))
        self.assertEqual((0, []), (status, err))
        lookups = self.compute_requests('GET')
        self.assertEqual(1, len(lookups))
        self.assertIn('name=', lookups[0].url)
        self.assertIn(f'/servers/{SERVER_ID}/migrations/{MIGRATION_ID}/action',
                      self.force_complete_posts()[0].url)

    def test_unknown_name(self):
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'no-such-vm', '3')
        self.assertEqual(1, status)
        self.assertEqual(1, len(err))
        self.assertTrue(err[0].startswith('ERROR (ServerNotFound): '),
                        err[0])
        self.assertIn('no-such-vm', err[0])
        self.assertEqual([], self.force_complete_posts())

    def test_migration_auto_detected(self):
        self.nova.index = [[migration_row()]]
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID)
        self.assertEqual((0, []), (status, err))
        self.assertIn(f'/migrations/{MIGRATION_ID}/action',
                      self.force_complete_posts()[0].url)

    def test_no_migration_in_progress(self):
        self.nova.index = [[]]
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm')
        self.assertEqual(1, status)
        self.assertEqual(1, len(err))
        self.assertTrue(err[0].startswith('ERROR (NoMigrationInProgress): '))
        self.assertIn('busy-vm', err[0])
        self.assertEqual([], self.force_complete_posts())

    def test_by_uuid(self):
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, MIGRATION_UUID)
        self.assertEqual((0, []), (status, err))
        # Nova's action takes the integer ID; the UUID is looked up.
        self.assertIn(f'/migrations/{MIGRATION_ID}/action',
                      self.force_complete_posts()[0].url)


class TestWait(NovaShellTestCase):

    def outcome_table(self, out):
        rows = {}
        for line in out.splitlines():
            cells = [c.strip() for c in line.strip('|').split('|')]
            if len(cells) == 2 and line.startswith('|'):
                rows[cells[0]] = cells[1]
        return rows

    def test_wait_until_completed(self):
        self.nova.index = [[]]
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', str(MIGRATION_ID),
            '--wait')
        self.assertEqual((0, []), (status, err))
        table = self.outcome_table(out)
        self.assertEqual('completed', table['status'])
        self.assertEqual(SERVER_ID, table['server'])
        self.assertEqual(str(MIGRATION_ID), table['migration'])
        self.assertIn('compute-2', table['reason'])

    def test_post_copy_is_followed_with_wait_refused_without(self):
        self.nova.force_complete_answer = (400, {'badRequest': {
            'code': 400, 'message': f'Migration {MIGRATION_ID} state of '
            f'instance {SERVER_ID} is running (post-copy). Cannot force '
            f'complete while the migration is in this state.'}})
        self.nova.index = [[]]
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', str(MIGRATION_ID),
            '--wait')
        self.assertEqual((0, []), (status, err))
        table = self.outcome_table(out)
        self.assertEqual(('completed', 'busy-vm'),
                         (table['status'], table['server_name']))
        self.assertIn('already switched to', table['reason'])

        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(1, status)
        self.assert_one_error(err, 'AlreadyPostCopy')

    def test_progress_drawn_on_a_terminal_only(self):
        # The first read finds the migration, the wait reads it once more
        # in progress, then it is gone from the index.
        self.nova.index = [[migration_row()], [migration_row()], []]
        tty = TTYBuffer()
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', '--wait',
            stderr=tty)
        self.assertEqual(0, status)
        # One line drawn, then erased before the outcome table.
        drawn = tty.getvalue().split('\r\033[K')[1:]
        self.assertEqual(2, len(drawn), tty.getvalue())
        self.assertIn(f'migration {MIGRATION_ID}: running', drawn[0])
        self.assertIn('3.0 of 4.0 GiB left to copy', drawn[0])
        self.assertIn('1.0 GiB sent', drawn[0])
        self.assertEqual('', drawn[1])
        self.assertEqual('completed', self.outcome_table(out)['status'])

    def test_no_progress_when_not_a_terminal(self):
        self.nova.index = [[migration_row()], [migration_row()], []]
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', '--wait')
        self.assertEqual((0, []), (status, err))

    def test_interrupted_wait_says_the_request_was_accepted(self):
        readings = iter([[migration_row()]])

        def index(request, context):
            for rows in readings:
                return {'migrations': rows}
            raise KeyboardInterrupt

        self.requests.get(re.compile(
            re.escape(COMPUTE) + r'/servers/[^/]+/migrations$'), json=index)
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', '--wait')
        self.assertEqual(130, status)
        self.assertEqual(1, len(self.force_complete_posts()))
        self.assertEqual(1, len(err))
        self.assertTrue(err[0].startswith(
            'ERROR (Interrupted): interrupted (SIGINT): '), err[0])
        self.assertIn('accepted', err[0])
        self.assertIn(f'`nova migration-list --instance-uuid {SERVER_ID}`',
                      err[0])

    def test_timed_out(self):
        self.nova.index = [[migration_row()]]
        status, out, err = self.run_nova(
            'live-migration-force-complete', 'busy-vm', '--wait',
            '--timeout', '0.01')
        self.assertEqual(5, status)
        self.assertEqual('timed out', self.outcome_table(out)['status'])
        self.assert_one_error(err, 'WaitTimedOut')
        self.assertIn(f'migration {MIGRATION_ID} of server busy-vm timed '
                      f'out: ', err[0])
        self.assertIn('may still finish', err[0])

    def test_cancelled(self):
        self.nova.index = [[]]
        self.nova.final_status = 'cancelled'
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait')
        self.assertEqual(4, status)
        self.assertEqual('cancelled', self.outcome_table(out)['status'])
        self.assert_one_error(err, 'MigrationCancelled')

    def test_failed(self):
        self.nova.index = [[]]
        self.nova.final_status = 'failed'
        self.requests.get(
            re.compile(re.escape(COMPUTE) + r'/servers/[^/]+/'
                       r'os-instance-actions$'),
            json={'instanceActions': []})
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait')
        self.assertEqual(3, status)
        self.assertEqual('failed', self.outcome_table(out)['status'])
        self.assert_one_error(err, 'MigrationFailed')


class TestPolicy(NovaShellTestCase):
    """--stalled-after / --force-after on the nova command."""

    def test_stalled_is_forced_then_waited_for(self):
        self.nova.index = [[migration_row()], [migration_row()], []]
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait', '--stalled-after', '0')
        self.assertEqual((0, []), (status, err))
        self.assertEqual(1, len(self.nova.accepted))
        self.assertRegex(out, r'\| forced +\| yes')
        self.assertIn('--stalled-after 0', out)

    def test_converging_is_left_alone(self):
        self.nova.index = [[migration_row(processed=1 << 30)], []]
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait', '--stalled-after', '60')
        self.assertEqual((0, []), (status, err))
        self.assertEqual([], self.force_complete_posts())
        self.assertRegex(out, r'\| forced +\| no')
        self.assertIn('without forcing', out)

    def test_auto_forces_what_the_counters_prove_stuck(self):
        # 4 GiB sent once, then 1.5 GiB of a second round, and all of it
        # pending again: the first sync found every page dirty again.
        stuck = dict(migration_row(processed=(4 << 30) + (3 << 29)),
                     memory_remaining_bytes=(4 << 30) - (3 << 29))
        self.nova.index = [[stuck], [stuck], []]
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait', '--auto')
        self.assertEqual((0, []), (status, err))
        self.assertEqual(1, len(self.nova.accepted))
        self.assertIn('(--auto)', out)

    def test_auto_leaves_the_first_pass_alone(self):
        self.nova.index = [[migration_row()], []]
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID),
            '--wait', '--auto')
        self.assertEqual((0, []), (status, err))
        self.assertEqual([], self.force_complete_posts())
        self.assertIn('without forcing', out)

    def test_auto_help_states_the_grace_time(self):
        status, out, err = self.run_nova(
            'help', 'live-migration-force-complete')
        self.assertEqual(0, status)
        text = ' '.join(out.split())
        self.assertIn(f'forced after {diagnosis.AUTO_GRACE:g} seconds',
                      text)

    def test_bad_threshold_sends_nothing(self):
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, '--force-after',
            'soon')
        self.assertEqual(2, status)
        self.assert_one_error(err, 'InvalidArgument')
        self.assertIn('--force-after', err[0])
        self.assertEqual([], self.compute_requests())


class TestRefusals(NovaShellTestCase):

    def test_cloud_too_old(self):
        self.nova.max_version = '2.21'
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(1, status)
        self.assert_one_error(err, 'CloudTooOld')
        self.assertIn('2.22', err[0])
        self.assertIn('at most 2.21', err[0])
        self.assertEqual([], self.nova.accepted)

    def test_pinned_too_low(self):
        status, out, err = self.run_nova(
            '--os-compute-api-version', '2.21',
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(2, status)
        self.assert_one_error(err, 'VersionPinnedTooLow')
        self.assertIn('2.21', err[0])
        self.assertIn('2.22', err[0])
        self.assertEqual([], self.compute_requests())

    def test_pinned_version_is_sent(self):
        status, out, err = self.run_nova(
            '--os-compute-api-version', '2.22',
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual((0, []), (status, err))
        self.assertEqual('2.22', self.force_complete_posts()[0].headers[
            'X-OpenStack-Nova-API-Version'])
        self.assertEqual(1, len(self.nova.accepted))

    def test_policy_refused(self):
        self.nova.force_complete_answer = (403, {'forbidden': {
            'code': 403, 'message': "Policy doesn't allow "
            "os_compute_api:servers:migrations:force_complete to be "
            "performed."}})
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(1, status)
        self.assert_one_error(err, 'PolicyRefused')
        self.assertIn('force_complete', err[0])

    def test_migration_not_running(self):
        self.nova.force_complete_answer = (400, {'badRequest': {
            'code': 400, 'message': f'Migration {MIGRATION_ID} state of '
            f'instance {SERVER_ID} is queued. Cannot force complete while '
            f'the migration is in this state.'}})
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(1, status)
        self.assert_one_error(err, 'MigrationNotRunning')

    def test_endpoint_unreachable(self):
        self.requests.post(FORCE_COMPLETE_URL,
                           exc=requests.exceptions.ConnectionError(
                               'Connection reset by peer'))
        status, out, err = self.run_nova(
            'live-migration-force-complete', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual(6, status)
        self.assert_one_error(err, 'EndpointUnreachable')

    def assert_refused_before_sending(self, *argv):
        status, out, err = self.run_nova(
            'live-migration-force-complete', *argv)
        self.assertEqual(2, status)
        self.assert_one_error(err, 'InvalidArgument')
        self.assertEqual([], self.compute_requests())
        return err[0]

    def test_bad_migration(self):
        for bad in ('abc', '1.5', '0x10', '12341d4b-346a'):
            message = self.assert_refused_before_sending('busy-vm', bad)
            self.assertIn(repr(bad), message)

    def test_timeout_refused_by_nova_itself(self):
        # nova's first pass reads --timeout as its HTTP timeout
        # (keystoneauth: a number above 0) before it even authenticates.
        for bad in ('-1', '0', 'soon'):
            status, out, err = self.run_nova(
                'live-migration-force-complete', 'busy-vm', '--wait',
                '--timeout', bad)
            self.assertEqual(2, status)
            self.assertIn(f'error: argument --timeout: {bad}',
                          '\n'.join(err))
        self.assertEqual([], self.requests.request_history)

    def test_timeout_without_wait(self):
        message = self.assert_refused_before_sending(
            'busy-vm', '--timeout', '60')
        self.assertIn('--wait', message)


class TestCoexistence(NovaShellTestCase):
    """Upstream's command of the same name is replaced, nothing else."""

    def test_help_lists_the_command_once(self):
        status, out, err = self.run_nova('help')
        self.assertEqual((0, []), (status, err))
        listed = [line for line in out.splitlines()
                  if line.strip().startswith('live-migration-force-complete')]
        self.assertEqual(1, len(listed))
        self.assertIn('server-migration-list', out)
        self.assertIn('live-migration-abort', out)

    def test_command_help_is_ours(self):
        status, out, err = self.run_nova(
            'help', 'live-migration-force-complete')
        self.assertEqual((0, []), (status, err))
        self.assertIn('[<migration>]', out)
        self.assertIn('--wait', out)
        self.assertIn('--timeout <seconds>', out)

    def test_subcommand_parser_builds_at_every_version(self):
        # The conflict ("conflicting subparser") would surface here, and
        # below 2.22 upstream's command is gone while ours refuses clearly.
        for version in ('2.1', '2.21', '2.22', '2.96'):
            status, out, err = self.run_nova(
                '--os-compute-api-version', version, 'help',
                'live-migration-force-complete')
            self.assertEqual((0, []), (status, err), version)
            self.assertIn('--wait', out)

    def test_our_manager_is_cs_server_migrations(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', io.StringIO()))
        shell = novaclient.shell.OpenStackComputeShell()
        shell.main(['server-migration-list', SERVER_ID])
        self.assertIsInstance(shell.cs.server_migrations,
                              server_migrations.ServerMigrationsManager)

    def test_server_migration_list_still_works(self):
        status, out, err = self.run_nova('server-migration-list', SERVER_ID)
        self.assertEqual((0, []), (status, err))
        row = [line for line in out.splitlines() if SERVER_ID in line]
        self.assertEqual(1, len(row))
        self.assertIn(f'| {MIGRATION_ID} ', row[0])
        self.assertIn('| running ', row[0])

    def test_live_migration_abort_still_works(self):
        status, out, err = self.run_nova(
            'live-migration-abort', SERVER_ID, str(MIGRATION_ID))
        self.assertEqual((0, '', []), (status, out, err))
        deletes = self.compute_requests('DELETE')
        self.assertEqual(1, len(deletes))
        self.assertTrue(deletes[0].url.endswith(
            f'/servers/{SERVER_ID}/migrations/{MIGRATION_ID}'))

    def test_other_commands_print_nothing_new(self):
        self.requests.get(COMPUTE + '/servers/detail', json={'servers': []})
        status, out, err = self.run_nova('list')
        self.assertEqual((0, []), (status, err))
        self.assertIn('| ID | Name | Status |', out.replace('  ', ' '))


class TestStartupCost(testcase.TestCase):
    """``nova`` imports the extension on every run, even ``nova list``.

    What it may load of ours before our command runs is the extension
    module and the manager class novaclient installs from it; the command's
    work (checks, waiting, diagnosis, drain, output) loads only when it
    runs. Anything more here is a cost every ``nova`` run pays.
    """

    #: Our modules ``nova`` may load on a run that is not our command.
    AT_START_UP = ['novaclient_force', 'novaclient_force.v2',
                   'novaclient_force.v2.server_migrations',
                   'novaclient_force.v2.shell']

    def run_python(self, code):
        return subprocess.run([sys.executable, '-c', code], check=True,
                              capture_output=True, text=True).stdout.split()

    def test_extension_module_adds_only_itself_and_the_manager(self):
        # After nova's own client is loaded, nothing but those modules of
        # ours: no other library or stdlib module either.
        added = self.run_python(
            'import sys, novaclient.shell, novaclient.v2.shell, '
            'novaclient.v2.client\n'
            'before = set(sys.modules)\n'
            'import novaclient_force.v2.shell\n'
            'print("\\n".join(sorted(set(sys.modules) - before)))\n')
        self.assertEqual(self.AT_START_UP, added)

    def test_nova_start_up_loads_no_command_code(self):
        # The real start-up: entry point discovery, the hook, every
        # subcommand parser (ours included, its help printed to prove it).
        loaded = self.run_python(
            'import contextlib, io, sys\n'
            'import novaclient.shell\n'
            'out = io.StringIO()\n'
            'with contextlib.redirect_stdout(out):\n'
            '    novaclient.shell.main(["help", '
            '"live-migration-force-complete"])\n'
            'print("--stalled-after" in out.getvalue())\n'
            'print("\\n".join(sorted(m for m in sys.modules\n'
            '                 if m.split(".")[0] == "novaclient_force")))\n')
        self.assertEqual(['True'] + self.AT_START_UP, loaded)
