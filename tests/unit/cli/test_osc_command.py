"""The command run by a real OpenStackShell, in process, over requests-mock.

Nothing is faked between ``openstack`` and HTTP except, in the outcome
tests, the SDK client (so every outcome can be produced on demand): the
shell parses, authenticates against a mocked Keystone, loads our plugin and
runs our command exactly as the ``openstack`` program does.
"""

import io
import json
import logging
import os
import warnings
from unittest import mock

import fixtures
import yaml
from keystoneauth1 import fixture as ks_fixture
from openstackclient import shell
from osc_lib import clientmanager
from requests_mock.contrib import fixture as rm_fixture

from novaclient_force import diagnosis, drain, exceptions, outcome, waiting
from novaclient_force.osc import plugin
from novaclient_force.v2.server_migrations import ServerMigrationsManager
from tests import testcase

AUTH_URL = 'http://keystone.test/identity/v3'
COMPUTE_URL = 'http://compute.test/compute/v2.1'
INTERNAL_COMPUTE_URL = 'http://compute-internal.test/compute/v2.1'
SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'
SERVER_2 = '0c4e2d1a-91f5-5b8e-a6a1-3e2b5f0d7c22'
GIB = 1024 ** 3
COMMAND = ('server', 'migration', 'force', 'complete')


class OpenStackRun(fixtures.Fixture):
    """Runs ``openstack`` in process with a clean environment.

    The shell configures the root logger and the warnings filters on every
    run and caches plugin clients on the ClientManager class; all of that
    is restored so tests do not leak into each other.
    """

    def __init__(self, roles=('admin',)):
        super().__init__()
        self.roles = roles

    def _setUp(self):
        for name in [n for n in os.environ if n.startswith('OS_')]:
            self.useFixture(fixtures.EnvironmentVariable(name))
        home = self.useFixture(fixtures.TempDir()).path
        for name, value in (('HOME', home), ('XDG_CONFIG_HOME', home),
                            ('OS_AUTH_URL', AUTH_URL),
                            ('OS_USERNAME', 'admin'),
                            ('OS_PASSWORD', 'secret'),
                            ('OS_PROJECT_NAME', 'admin'),
                            ('OS_USER_DOMAIN_NAME', 'Default'),
                            ('OS_PROJECT_DOMAIN_NAME', 'Default'),
                            ('OS_IDENTITY_API_VERSION', '3')):
            self.useFixture(fixtures.EnvironmentVariable(name, value))
        self._keep_logging()
        self.fake_client = None
        cls = clientmanager.ClientManager
        self.addCleanup(setattr, cls, plugin.API_NAME,
                        cls.__dict__[plugin.API_NAME])
        self.http = self.useFixture(rm_fixture.Fixture())
        self._mock_keystone()

    def _install_client(self):
        """Give this run a new plugin client (or the fake one set).

        OSC caches plugin clients on the ClientManager class, in a
        descriptor that builds the client when first read; a fresh one per
        run keeps runs independent, as separate ``openstack`` processes are.
        """
        client = self.fake_client
        if client is None:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', DeprecationWarning)
                client = clientmanager.ClientCache(plugin.make_client)
        setattr(clientmanager.ClientManager, plugin.API_NAME, client)

    def _keep_logging(self):
        root = logging.getLogger()
        saved = (root.handlers[:], root.level)
        levels = {name: logging.getLogger(name).level
                  for name in ('cliff', 'stevedore', 'requests', 'iso8601')}
        filters = warnings.filters[:]

        def restore():
            root.handlers[:], level = saved
            root.setLevel(level)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
            warnings.filters[:] = filters
        self.addCleanup(restore)

    def _mock_keystone(self):
        token = ks_fixture.V3Token(project_name='admin', user_name='admin')
        for role in self.roles:
            token.add_role(name=role)
        service = token.add_service('compute', name='nova')
        service.add_standard_endpoints(public=COMPUTE_URL,
                                       internal=INTERNAL_COMPUTE_URL,
                                       region='RegionOne')
        self.http.get(AUTH_URL, json=ks_fixture.V3Discovery(AUTH_URL))
        self.http.post(AUTH_URL + '/auth/tokens', json=token,
                       headers={'X-Subject-Token': 'a-token'})

    def __call__(self, *argv, stdout=None, stderr=None):
        """Run ``openstack argv``; return (exit status, stdout, stderr)."""
        self._install_client()
        stdout, stderr = stdout or io.StringIO(), stderr or io.StringIO()
        with fixtures.MonkeyPatch('sys.stdout', stdout), \
                fixtures.MonkeyPatch('sys.stderr', stderr):
            code = shell.OpenStackShell().run(list(argv))
        return code, stdout.getvalue(), stderr.getvalue()


def sdk_answering(outcomes=(), error=None):
    """The SDK manager, autospecced from the real class so that every call
    is checked against its signature, answering from a script: one
    server's Outcome is ``outcomes[0]``, a host's are all of them (none:
    the SDK's note that nothing leaves the host)."""
    migrations = mock.create_autospec(ServerMigrationsManager, instance=True)
    migrations.force_complete.side_effect = error
    migrations.force_complete_host.side_effect = error
    if outcomes:
        migrations.force_complete.return_value = outcomes[0]
    found = drain.HostOutcomes(outcomes)
    if not outcomes:
        found.note = 'No live migration is leaving compute-1'
    migrations.force_complete_host.return_value = found
    return migrations


class FakeClient:
    def __init__(self, migrations):
        self.server_migrations = migrations


def result(status, server=SERVER, name='busy-vm', migration=7, reason=''):
    return outcome.Outcome(server=server, migration=migration,
                           status=status, reason=reason, server_name=name,
                           duration=31.04)


class TestBeforeAuthentication(testcase.TestCase):
    """Bad arguments are refused before anything is sent, token included."""

    def setUp(self):
        super().setUp()
        self.openstack = self.useFixture(OpenStackRun())

    def assertRefusedQuietly(self, *argv):
        code, out, err = self.openstack(*COMMAND, *argv)
        self.assertEqual(exceptions.EXIT_USAGE, code, err)
        self.assertEqual('', out)
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertEqual([], self.openstack.http.request_history)
        return err

    def test_malformed_migration(self):
        err = self.assertRefusedQuietly('busy-vm', 'last')
        self.assertIn("'last'", err)

    def test_host_with_server(self):
        self.assertIn('--host', self.assertRefusedQuietly(
            'busy-vm', '--host', 'compute-1'))

    def test_bad_timeout(self):
        self.assertIn('--timeout', self.assertRefusedQuietly(
            'busy-vm', '--wait', '--timeout', '-1'))

    def test_timeout_too_far_to_sleep_is_refused(self):
        # Beyond what a socket timeout or a sleep can hold (time_t).
        for text in ('1e10', '9999999999'):
            self.assertIn('at most 2592000 seconds', self.assertRefusedQuietly(
                'busy-vm', '--wait', '--timeout', text))

    def test_bad_concurrency(self):
        self.assertIn('--concurrency', self.assertRefusedQuietly(
            '--host', 'compute-1', '--concurrency', '0'))


class TestOutcomes(testcase.TestCase):
    """Formatting and exit statuses, with the SDK answering from a script."""

    def setUp(self):
        super().setUp()
        self.openstack = self.useFixture(OpenStackRun())

    def use_sdk(self, migrations):
        self.openstack.fake_client = FakeClient(migrations)
        return migrations

    def test_accepted_prints_nothing_like_upstream(self):
        sdk = self.use_sdk(sdk_answering([result(outcome.ACCEPTED)]))
        code, out, err = self.openstack(*COMMAND, 'busy-vm', '7')
        self.assertEqual((0, '', ''), (code, out, err))
        sdk.force_complete.assert_called_once_with(
            'busy-vm', 7, wait=False, timeout=None, progress=None)
        # The command authenticated (after checking its arguments).
        self.assertEqual(
            ['GET', 'POST'],
            [r.method for r in self.openstack.http.request_history])

    def test_wait_prints_a_table_cliff_can_format(self):
        sdk = self.use_sdk(sdk_answering([result(outcome.COMPLETED)]))
        code, out, err = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '--timeout', '60', '-f', 'json')
        self.assertEqual((0, ''), (code, err))
        self.assertEqual([{
            'Server': SERVER, 'Server Name': 'busy-vm', 'Migration': 7,
            'Status': 'completed', 'Forced': False, 'Diagnosis': None,
            'Estimated Pause': None, 'Force To End': None,
            'Migration Time': None, 'Reason': ''}],
            json.loads(out))
        # stderr is no terminal here, so no progress display was given.
        sdk.force_complete.assert_called_once_with(
            'busy-vm', None, wait=True, timeout=60.0, progress=None)

    def test_progress_is_drawn_on_a_terminal_then_erased(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True
        sdk = self.use_sdk(sdk_answering())

        def force_complete(server, migration=None, wait=False, timeout=None,
                           progress=None, **policy):
            progress(waiting.Progress(SERVER, 7, 'running', 2 * GIB, GIB,
                                      4 * GIB, 3.0))
            return result(outcome.COMPLETED)
        sdk.force_complete.side_effect = force_complete
        code, out, err = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '-f', 'value', '-c', 'Status',
            stderr=Terminal())
        self.assertEqual((0, 'completed\n'), (code, out))
        self.assertEqual(
            '\r\x1b[Kmigration 7: running, 1.0 of 4.0 GiB left to copy, '
            '2.0 GiB sent, 3s\r\x1b[K', err)

    def test_columns_can_be_chosen(self):
        self.use_sdk(sdk_answering([result(outcome.COMPLETED)]))
        code, out, _ = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '-f', 'value', '-c', 'Status',
            '-c', 'Migration')
        self.assertEqual((0, '7 completed\n'), (code, out))

    def test_timed_out_has_its_exit_status_and_one_line(self):
        self.use_sdk(sdk_answering([result(
            outcome.TIMED_OUT, reason='still running after 60s')]))
        code, out, err = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '-f', 'yaml')
        self.assertEqual(outcome.EXIT_CODES[outcome.TIMED_OUT], code)
        self.assertEqual('timed out', yaml.safe_load(out)[0]['Status'])
        self.assertEqual('migration 7 of server busy-vm timed out: still '
                         'running after 60s\n', err)

    def test_sdk_error_is_one_line_with_its_exit_status(self):
        self.use_sdk(sdk_answering(error=exceptions.EndpointUnreachable(
            'Cannot reach compute at http://compute.test')))
        code, out, err = self.openstack(*COMMAND, 'busy-vm')
        self.assertEqual((exceptions.EXIT_UNREACHABLE, ''), (code, out))
        self.assertEqual('Cannot reach compute at http://compute.test\n',
                         err)

    def test_host_drain_rows_and_worst_exit_status(self):
        sdk = self.use_sdk(sdk_answering([
            result(outcome.COMPLETED),
            result(outcome.FAILED, server=SERVER_2, name='vm-2',
                   migration=8, reason='Migration pre-check error')]))
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', '--wait', '--concurrency',
            '4', '-f', 'json')
        self.assertEqual(outcome.EXIT_CODES[outcome.FAILED], code)
        rows = json.loads(out)
        self.assertEqual([('busy-vm', 'completed'), ('vm-2', 'failed')],
                         [(r['Server Name'], r['Status']) for r in rows])
        self.assertEqual('1 of 2 live migrations leaving compute-1 did not '
                         'complete: 1 completed, 1 failed; 0 forced, 2 left '
                         'alone\n', err)
        sdk.force_complete_host.assert_called_once_with(
            'compute-1', wait=True, timeout=None, concurrency=4,
            progress=None)

    def test_host_drain_without_wait_lists_accepted_rows(self):
        sdk = self.use_sdk(sdk_answering([result(outcome.ACCEPTED)]))
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', '-f', 'value', '-c', 'Status')
        self.assertEqual((0, 'accepted\n', '1 live migration leaving '
                          'compute-1: 1 accepted; 0 forced, 1 left alone\n'),
                         (code, out, err))
        # Without --concurrency the SDK's own default applies.
        sdk.force_complete_host.assert_called_once_with(
            'compute-1', wait=False, timeout=None, progress=None)

    def test_empty_host_is_an_empty_list_and_one_line(self):
        self.use_sdk(sdk_answering([]))
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', '-f', 'json')
        self.assertEqual((0, [], 'No live migration is leaving compute-1\n'),
                         (code, json.loads(out), err))

    def test_empty_host_in_a_table_is_only_the_line(self):
        self.use_sdk(sdk_answering([]))
        code, out, err = self.openstack(*COMMAND, '--host', 'compute-1')
        self.assertEqual((0, '', 'No live migration is leaving compute-1\n'),
                         (code, out, err))
        # Asked for, cliff's empty table is still drawn.
        code, out, _ = self.openstack(*COMMAND, '--host', 'compute-1',
                                      '--print-empty', '-c', 'Status')
        self.assertEqual(0, code)
        self.assertIn('| Status |', out)

    def test_unknown_host_is_one_line(self):
        self.use_sdk(sdk_answering(error=exceptions.UnknownHost(
            'No compute host is named compute-9; did you mean compute-1?')))
        code, out, err = self.openstack(*COMMAND, '--host', 'compute-9')
        self.assertEqual((1, '', 'No compute host is named compute-9; did '
                          'you mean compute-1?\n'), (code, out, err))

    def test_not_forced_rows_exit_9_and_say_why(self):
        queued = result(outcome.NOT_FORCED, server=SERVER_2, migration=8,
                        reason='queued: Nova runs ...')
        self.use_sdk(sdk_answering([result(outcome.ACCEPTED), queued]))
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', '-f', 'value', '-c', 'Status',
            '-c', 'Forced', '-c', 'Reason')
        self.assertEqual(9, code)
        self.assertEqual(['accepted False ', 'not forced False queued: Nova '
                          'runs ...'], out.splitlines())
        self.assertEqual('1 of 2 live migrations leaving compute-1 were not '
                         'forced or did not complete: 1 accepted, 1 not '
                         'forced; 0 forced, 2 left alone\n', err)

    def test_policy_options_reach_the_sdk(self):
        stalled = result(outcome.COMPLETED)
        stalled.forced = True
        stalled.diagnosis = diagnosis.Diagnosis(
            diagnosis.STALLED, remaining_bytes=GIB, transfer_rate=GIB / 2,
            dirty_rate=GIB, estimated_pause=2.0, stalled_for=61)
        sdk = self.use_sdk(sdk_answering([stalled]))
        code, out, err = self.openstack(
            *COMMAND, '--host', 'compute-1', '--wait', '--stalled-after',
            '60', '--force-after', '600', '-f', 'json')
        self.assertEqual((0, '1 live migration leaving compute-1: 1 '
                          'completed; 1 forced, 0 left alone; estimated '
                          'pause 2.0s in all\n'), (code, err))
        sdk.force_complete_host.assert_called_once_with(
            'compute-1', wait=True, timeout=None, progress=None,
            stalled_after=60.0, force_after=600.0)
        row, = json.loads(out)
        self.assertIs(True, row['Forced'])
        self.assertEqual(2.0, row['Estimated Pause'])
        self.assertEqual('stalled', row['Diagnosis']['state'])
        self.assertEqual(GIB / 2, row['Diagnosis']['transfer_rate'])
        code, out, _ = self.openstack(
            *COMMAND, 'busy-vm', '--force-after', '0', '-f', 'value',
            '-c', 'Diagnosis')
        sdk.force_complete.assert_called_once_with(
            'busy-vm', None, wait=False, timeout=None, progress=None,
            force_after=0.0)

    def test_diagnosis_in_words_in_a_table(self):
        stalled = result(outcome.COMPLETED)
        stalled.diagnosis = diagnosis.Diagnosis(
            diagnosis.CONVERGING, remaining_bytes=GIB, eta=12.0)
        self.use_sdk(sdk_answering([stalled]))
        code, out, _ = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '-c', 'Forced', '-c', 'Diagnosis')
        self.assertEqual(0, code)
        self.assertIn('| no     | converging, ETA 12s |', out)

    def test_diagnosis_in_words_in_value_format(self):
        converging = result(outcome.COMPLETED)
        converging.diagnosis = diagnosis.Diagnosis(
            diagnosis.CONVERGING, remaining_bytes=GIB, eta=12.0)
        self.use_sdk(sdk_answering([converging]))
        code, out, _ = self.openstack(
            *COMMAND, 'busy-vm', '--wait', '-f', 'value', '-c', 'Diagnosis')
        self.assertEqual((0, 'converging, ETA 12s\n'), (code, out))

    def test_a_drain_table_is_followed_by_its_advice_once(self):
        queued = [result(outcome.NOT_FORCED, server=SERVER_2, migration=m,
                         reason='queued: Nova runs a few at a time; rerun '
                                'with --wait to force each one as it runs')
                  for m in (8, 9)]
        timed_out = result(outcome.TIMED_OUT, migration=7,
                           reason='still running after 60s; the migration '
                                  'may still finish')
        timed_out.hint = 'openstack server migration list --server x'
        self.use_sdk(sdk_answering([timed_out, *queued]))
        code, out, err = self.openstack(*COMMAND, '--host', 'compute-1')
        self.assertEqual(9, code)
        self.assertNotIn('rerun', out)
        self.assertNotIn('follow', out)
        self.assertEqual([
            'migration 7 (busy-vm): still running after 60s; the migration '
            'may still finish',
            'migrations 8, 9: queued: Nova runs a few at a time; rerun with '
            '--wait to force each one as it runs',
            'follow migration 7 (busy-vm) with: openstack server migration '
            'list --server x',
            '3 of 3 live migrations leaving compute-1 were not forced or did '
            'not complete: 1 timed out, 2 not forced; 0 forced, 3 left alone'],
            err.splitlines())


class TestCoexistence(testcase.TestCase):
    """Ours replaces upstream's command and nothing else."""

    def setUp(self):
        super().setUp()
        self.openstack = self.useFixture(OpenStackRun())

    def test_help_shows_our_command(self):
        code, out, err = self.openstack('help', *COMMAND)
        self.assertEqual((0, ''), (code, err))
        self.assertIn('--host <host>', out)
        self.assertIn('[<migration>]', out)

    def test_global_compute_version_option_still_works(self):
        code, out, err = self.openstack('--os-compute-api-version', '2.95',
                                        'help', 'server', 'list')
        self.assertEqual((0, ''), (code, err))
        self.assertIn('--all-projects', out)

    def test_other_commands_are_upstreams(self):
        # cliff's help writes to the stdout the app saw when it was built.
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO())).new_value
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        app = shell.OpenStackShell()
        app.run(['help', 'server', 'list'])
        self.assertIn('List servers', out.getvalue())
        find = app.command_manager.find_command
        self.assertEqual('novaclient_force.osc.v2.force_complete',
                         find(list(COMMAND))[0].__module__)
        for name in (['server', 'list'], ['server', 'migration', 'list'],
                     ['server', 'migration', 'abort']):
            self.assertTrue(find(name)[0].__module__.startswith(
                'openstackclient.compute.'), name)


class TestWithTheSDK(testcase.TestCase):
    """The plugin's client is the real SDK; only HTTP is mocked."""

    def setUp(self):
        super().setUp()
        self.openstack = self.useFixture(OpenStackRun())
        self.action = f'{COMPUTE_URL}/servers/{SERVER}/migrations/7/action'

    def compute_requests(self):
        return [r for r in self.openstack.http.request_history
                if r.hostname == 'compute.test']

    def test_upstream_form_is_one_post(self):
        self.openstack.http.post(self.action, status_code=202)
        code, out, err = self.openstack(*COMMAND, SERVER, '7')
        self.assertEqual((0, '', ''), (code, out, err))
        [post] = self.compute_requests()
        self.assertEqual({'force_complete': None}, post.json())
        version = post.headers['OpenStack-API-Version']
        self.assertTrue(version.startswith('compute 2.'), version)
        self.assertGreaterEqual(int(version.split('.')[1]), 22)

    def test_pinned_version_is_honoured(self):
        self.openstack.http.post(self.action, status_code=202)
        code, _, err = self.openstack(
            '--os-compute-api-version', '2.30', *COMMAND, SERVER, '7')
        self.assertEqual((0, ''), (code, err))
        [post] = self.compute_requests()
        self.assertEqual('compute 2.30',
                         post.headers['OpenStack-API-Version'])

    def test_pinned_too_low_is_refused_before_sending(self):
        code, out, err = self.openstack(
            '--os-compute-api-version', '2.21', *COMMAND, SERVER, '7')
        self.assertEqual((2, ''), (code, out))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('2.21', err)
        self.assertIn('2.22', err)
        self.assertEqual([], self.compute_requests())

    def test_policy_refusal_is_explained_in_one_line(self):
        self.openstack.http.post(self.action, status_code=403, json={
            'forbidden': {'code': 403, 'message': (
                'Policy doesn\'t allow os_compute_api:servers:migrations:'
                'force_complete to be performed.')}})
        code, out, err = self.openstack(*COMMAND, SERVER, '7')
        self.assertEqual((1, ''), (code, out))
        self.assertEqual(1, len(err.splitlines()), err)
        self.assertIn('force_complete', err)

    def test_interface_from_the_command_line_picks_the_endpoint(self):
        self.openstack.http.post(
            f'{INTERNAL_COMPUTE_URL}/servers/{SERVER}/migrations/7/action',
            status_code=202)
        code, _, err = self.openstack(
            '--os-interface', 'internal', *COMMAND, SERVER, '7')
        self.assertEqual((0, ''), (code, err))
        self.assertEqual(
            ['compute-internal.test'],
            [r.hostname for r in self.openstack.http.request_history
             if r.method == 'POST' and 'migrations' in r.path])
