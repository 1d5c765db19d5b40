"""The drain command's checks and its summary line, without a cloud."""


from novaclient_force import emptied, exceptions, outcome
from novaclient_force.cli import draining
from tests import testcase


class TestChecked(testcase.TestCase):

    def test_defaults(self):
        options = draining.checked('compute-1')
        self.assertEqual(dict(
            host='compute-1', stalled_after=None, force_after=None,
            auto=None, force=True, deadline=None, target_host=None,
            cold_migrate_stopped=False, disable=True, disable_reason=None,
            order='soonest', dry_run=False, timeout=None), options)

    def test_values_are_read(self):
        options = draining.checked('h', force_after='0', deadline='90',
                                   timeout='600', keep_enabled=True)
        self.assertEqual((0.0, 90.0, 600.0, False),
                         (options['force_after'], options['deadline'],
                          options['timeout'], options['disable']))

    def test_refusals_name_the_option(self):
        for typed, words in (
                (dict(host=' '), '<host>'),
                (dict(host='h', deadline='0'), '--deadline'),
                (dict(host='h', deadline='inf'), '--deadline'),
                (dict(host='h', timeout='-1'), '--timeout'),
                (dict(host='h', stalled_after='x'), '--stalled-after'),
                (dict(host='h', no_force=True, force_after='5'),
                 '--no-force'),
                (dict(host='h', no_force=True, auto=True), '--auto'),
                (dict(host='h', keep_enabled=True, disable_reason='x'),
                 '--disable-reason')):
            error = self.assertRaises(exceptions.InvalidArgument,
                                      draining.checked, **typed)
            self.assertIn(words, str(error))
            self.assertEqual(2, error.exit_code)


class TestSummary(testcase.TestCase):

    def test_counts_and_names(self):
        rows = [emptied.ServerOutcome('a', 1, outcome.COMPLETED,
                                      server_name='vm-a', forced=True,
                                      estimated_pause=1.5),
                emptied.ServerOutcome('b', None, emptied.LEFT,
                                      server_name='vm\nb')]
        self.assertEqual("moved 1, forced 1, left 1 ('vm\\nb'), total "
                         'estimated pause 1.5s', draining.summary(rows))

    def test_a_drained_host_exits_0_and_says_so(self):
        result = emptied.Emptied([emptied.ServerOutcome(
            'a', 1, outcome.COMPLETED, server_name='vm-a')], 'compute-1')
        result.empty = True
        report = draining.ended(result)
        self.assertEqual(0, report.exit_code)
        self.assertTrue(report.message.startswith('compute-1 is drained'))

    def test_servers_left_exit_9_naming_them(self):
        result = emptied.Emptied([emptied.ServerOutcome(
            's', None, emptied.LEFT, server_name='stopped-vm')], 'compute-1')
        result.still_there = ['stopped-vm']
        report = draining.ended(result)
        self.assertEqual(9, report.exit_code)
        self.assertIn('still on it: stopped-vm', report.message)
