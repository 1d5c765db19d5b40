"""The OSC command's arguments through the core's checks, and its rows."""



from novaclient_force import diagnosis, exceptions, outcome
from novaclient_force.cli import checks
from novaclient_force.osc.v2 import columns, force_complete
from tests import testcase

SERVER = '9a7b4c2e-52a8-5d4e-bd28-8f1f0f5c1d11'
MIGRATION_UUID = '12341d4b-346a-40d0-83c6-5f4f6892b650'


def parse(*argv):
    cmd = force_complete.ForceCompleteMigration(None, None)
    return cmd.get_parser('openstack server migration force complete') \
        .parse_args(list(argv))


def check(*argv):
    return checks.checked(**force_complete.request_arguments(parse(*argv)))


class TestValidated(testcase.TestCase):

    def test_upstream_form_server_and_integer_id(self):
        request = check('busy-vm', '42')
        self.assertEqual('busy-vm', request.server)
        self.assertEqual(42, request.migration)
        self.assertFalse(request.shows_rows)

    def test_migration_omitted_means_auto_detect(self):
        self.assertIsNone(check('busy-vm').migration)

    def test_uuid_is_normalised(self):
        request = check(SERVER, f'{{{MIGRATION_UUID.upper()}}}')
        self.assertEqual(MIGRATION_UUID, request.migration)

    def test_wait_and_timeout(self):
        request = check('busy-vm', '--wait', '--timeout', '90.5')
        self.assertEqual(90.5, request.timeout)
        self.assertTrue(request.shows_rows)

    def test_host_drain(self):
        request = check('--host', 'compute-1', '--concurrency', '16')
        self.assertEqual('compute-1', request.host)
        self.assertEqual(16, request.concurrency)
        self.assertIsNone(request.server)
        self.assertTrue(request.shows_rows)

    def assertRefused(self, argv, *words):
        err = self.assertRaises(exceptions.InvalidArgument, check, *argv)
        self.assertEqual(exceptions.EXIT_USAGE, err.exit_code)
        self.assertNotIn('\n', str(err))
        for word in words:
            self.assertIn(word, str(err))

    def test_thresholds(self):
        self.assertEqual(60.0, check('busy-vm', '--stalled-after', '60')
                         .stalled_after)
        self.assertEqual({'force_after': 0.0}, check(
            '--host', 'h', '--force-after', '0').policy)
        for bad in ('-1', 'soon', 'nan', 'inf', ''):
            self.assertRefused(['busy-vm', '--stalled-after', bad],
                               '--stalled-after')
            self.assertRefused(['busy-vm', '--force-after', bad],
                               '--force-after')

    def test_auto(self):
        self.assertEqual({'auto': True},
                         check('--host', 'h', '--auto').policy)
        self.assertEqual({}, check('busy-vm').policy)
        text = ' '.join(force_complete.ForceCompleteMigration(None, None)
                        .get_parser('x').format_help().split())
        self.assertIn(f'forced after {diagnosis.AUTO_GRACE:g} seconds',
                      text)

    def test_malformed_migration(self):
        self.assertRefused(['busy-vm', 'abc'], "'abc'", 'UUID')
        self.assertRefused(['busy-vm', '7.5'], 'integer migration ID')
        # Digits of other scripts pass str.isdigit() but are no Nova ID.
        self.assertRefused(['busy-vm', '\u0661\u0662'], 'integer migration ID')

    def test_host_with_server(self):
        self.assertRefused(['busy-vm', '--host', 'compute-1'], '--host')

    def test_all_projects_with_host(self):
        self.assertRefused(['--host', 'compute-1', '--all-projects'],
                           '--all-projects')

    def test_all_projects_with_server_is_accepted(self):
        self.assertEqual('busy-vm', check('busy-vm', '--all-projects').server)

    def test_nothing_to_act_on(self):
        self.assertRefused([], '<server>', '--host')

    def test_blank_names(self):
        self.assertRefused([' '], '<server>')
        self.assertRefused(['--host', ''], '--host')

    def test_bad_timeouts(self):
        for value in ('0', '-5', 'soon', 'nan', 'inf'):
            self.assertRefused(['busy-vm', '--wait', '--timeout', value],
                               '--timeout', repr(value))

    def test_timeout_without_wait(self):
        self.assertRefused(['busy-vm', '--timeout', '30'], '--wait')

    def test_bad_concurrency(self):
        for value in ('0', '65', '2.5', 'many'):
            self.assertRefused(
                ['--host', 'compute-1', '--concurrency', value],
                '--concurrency', repr(value))

    def test_concurrency_without_host(self):
        self.assertRefused(['busy-vm', '--concurrency', '4'], '--host')


def result(status, migration=7, reason='', name='busy-vm', error=None):
    return outcome.Outcome(
        server=SERVER, migration=migration, status=status, reason=reason,
        server_name=name, duration=12.345, error=error, force_to_end=4.44,
        migration_time=128.08)


class TestRows(testcase.TestCase):

    def test_row(self):
        cells = columns.row(result(outcome.COMPLETED))
        self.assertEqual(
            (SERVER, 'busy-vm', 7, 'completed', 'no', '', '', '4.4s',
             '128.1s', ''),
            tuple(c.human_readable() if hasattr(c, 'human_readable') else c
                  for c in cells))

    def test_row_for_machine_formats(self):
        self.assertEqual(
            (SERVER, 'busy-vm', 7, 'completed', False, None, None, 4.4,
             128.1, ''),
            tuple(c.machine_readable() if hasattr(c, 'machine_readable')
                  else c for c in columns.row(
                      result(outcome.COMPLETED), machine=True)))

    def test_row_for_a_terminal(self):
        cells = columns.row(result(outcome.COMPLETED))
        self.assertEqual((SERVER, 'busy-vm', 7, 'completed'), cells[:4])
        self.assertEqual(('4.4s', 4.4), (cells[7].human_readable(),
                                         cells[7].machine_readable()))
        blank = columns.row(outcome.Outcome(SERVER, 7, outcome.TIMED_OUT))
        self.assertEqual(('', None), (blank[8].human_readable(),
                                      blank[8].machine_readable()))

    def test_row_escapes_what_the_cloud_sent_for_a_terminal(self):
        hostile = 'vm\n\x1b]0;pwned\x07\r'
        cells = columns.row(result(outcome.COMPLETED, name=hostile))
        self.assertEqual(repr(hostile), cells[1])
        self.assertTrue(cells[1].isprintable())
        machine = columns.row(result(outcome.COMPLETED, name=hostile),
                              machine=True)
        self.assertEqual(hostile, machine[1])

    def test_timed_out_row_is_narrow_and_machine_formats_have_the_hint(self):
        reason = 'still running after 2s; the migration may still finish'
        timed_out = result(outcome.TIMED_OUT, reason=reason)
        timed_out.hint = f'openstack server migration list --server {SERVER}'
        cell = columns.row(timed_out)[9]
        self.assertEqual('still running after 2s', cell.human_readable())
        self.assertIn(timed_out.hint, cell.machine_readable())
        self.assertIn(timed_out.hint,
                      columns.row(timed_out, machine=True)[9])

    def test_row_falls_back_to_migration_uuid(self):
        done = result(outcome.ACCEPTED, migration=None)
        done.migration_uuid = MIGRATION_UUID
        self.assertEqual(MIGRATION_UUID, columns.row(done)[2])
