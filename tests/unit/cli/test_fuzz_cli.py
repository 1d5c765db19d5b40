"""Property tests over both commands' arguments, in process.

Hypothesis builds command lines for ``nova live-migration-force-complete``
and ``openstack server migration force complete`` from any unicode for
server, migration and host, and odd numbers for --timeout and
--concurrency. Each runs through the real shell (python-novaclient's
``main``, OSC's ``OpenStackShell``) with HTTP answered by requests-mock.
Whatever the arguments, a run ends with exit status 0 or with a one-line
error, never a traceback; when the arguments are refused as invalid
(exit 2) nothing was sent to the compute API (OSC: nothing at all, not
even a token request).
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from novaclient_force import exceptions
from tests import testcase
from tests.unit.cli import test_nova_shell, test_osc_command

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
# Exit statuses a run may end with (exceptions.py and outcome.py).
KNOWN_EXITS = {0, 1, 2, 3, 4, 5, 6}

_UNICODE = st.text(st.characters(blacklist_categories=('Cs',)), max_size=24)
_NEAR_MISSES = st.sampled_from(
    ['', ' ', '-', '--', '-1', '0', '7', '007', '7.5', '1e3', 'nan', 'inf',
     '-inf', '0x10', '٣', '²', ' 7 ', '7\n', 'latest', 'busy-vm',
     'busy-vm*', '.*', '^busy', test_nova_shell.SERVER_ID,
     test_nova_shell.MIGRATION_UUID, f'{{{test_nova_shell.MIGRATION_UUID}}}',
     test_nova_shell.MIGRATION_UUID.upper(), 'compute-1', '\x00',
     'a' * 300, '\u202e', '%s', '%(x)s', '{}', "'", '"'])
_VALUES = st.one_of(_NEAR_MISSES, _UNICODE,
                    st.text(string.digits + '.-+e', max_size=8))


def _dashless(value):
    """A positional argument argparse will not read as an option."""
    return value if not value.startswith('-') else ' ' + value


class TestNovaArguments(test_nova_shell.NovaShellTestCase):

    @SETTINGS
    @given(server=_VALUES, migration=st.none() | _VALUES,
           wait=st.booleans(), timeout=st.none() | _VALUES)
    def test_any_arguments(self, server, migration, wait, timeout):
        argv = ['live-migration-force-complete', _dashless(server)]
        if migration is not None:
            argv.append(_dashless(migration))
        if wait:
            argv.append('--wait')
        if timeout is not None:
            argv.append('--timeout=' + timeout)
        sent = len(self.compute_requests())
        code, out, err = self.run_nova(*argv)
        self.assertIn(code, KNOWN_EXITS, (argv, err))
        self.assertNotIn('Traceback', out + '\n'.join(err))
        if code == 0:
            self.assertEqual([], err, argv)
            return
        if err and err[0].startswith('usage: nova'):
            # nova's own first pass reads --timeout as its global HTTP
            # timeout (a float) and answers a bad one with argparse's
            # usage text, before any command of an extension runs.
            self.assertEqual(exceptions.EXIT_USAGE, code)
            self.assertIn('error: argument --timeout', '\n'.join(err))
        else:
            self.assertEqual(1, len(err), (argv, err))
            self.assertTrue(err[0].startswith('ERROR'), (argv, err))
        if code == exceptions.EXIT_USAGE:
            # nova itself authenticates and reads the version document
            # before parsing the command's arguments; our command sends
            # nothing more.
            self.assertEqual(sent, len(self.compute_requests()), argv)


class TestOpenStackArguments(testcase.TestCase):
    """Run by the real OSC shell with the real SDK over requests-mock:
    Keystone answers; the compute API has no answers registered, so a
    request that gets that far ends in a one-line connection error."""

    def setUp(self):
        super().setUp()
        self.openstack = self.useFixture(test_osc_command.OpenStackRun())

    @SETTINGS
    @given(server=st.none() | _VALUES, migration=st.none() | _VALUES,
           host=st.none() | _VALUES, wait=st.booleans(),
           timeout=st.none() | _VALUES, concurrency=st.none() | _VALUES,
           all_projects=st.booleans())
    def test_any_arguments(self, server, migration, host, wait, timeout,
                           concurrency, all_projects):
        argv = list(test_osc_command.COMMAND)
        if server is not None:
            argv.append(_dashless(server))
            if migration is not None:
                argv.append(_dashless(migration))
        for option, value in (('--host', host), ('--timeout', timeout),
                              ('--concurrency', concurrency)):
            if value is not None:
                argv.append(f'{option}={value}')
        if wait:
            argv.append('--wait')
        if all_projects:
            argv.append('--all-projects')
        sent = len(self.openstack.http.request_history)
        code, out, err = self.openstack(*argv)
        self.assertIn(code, KNOWN_EXITS, (argv, err))
        self.assertNotIn('Traceback', out + err)
        if code == 0:
            return
        self.assertEqual(1, len(err.splitlines()), (argv, err))
        if code == exceptions.EXIT_USAGE:
            self.assertEqual(
                [], self.openstack.http.request_history[sent:], argv)
