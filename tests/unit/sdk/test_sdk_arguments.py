"""The arguments both CLIs and the SDK check."""


from novaclient_force import arguments, exceptions
from tests import testcase
from tests.unit.sdk import sdk_fakes as f

UUID = '5c2e9c4d-9a49-4d0b-9a49-4b1e3c2f1a10'


class TestMigration(testcase.TestCase):

    def test_none_means_the_one_in_progress(self):
        self.assertIsNone(arguments.migration(None))

    def test_integer_id(self):
        self.assertEqual(42, arguments.migration(' 42 '))

    def test_uuid_is_made_canonical(self):
        self.assertEqual(UUID, arguments.migration(UUID.upper()))
        self.assertEqual(UUID, arguments.migration(UUID.replace('-', '')))

    def test_anything_else_is_refused_naming_the_value(self):
        for text in ('abc', '7.5', '-3', '', '\u0661\u0662', UUID[:-1]):
            error = self.assertRaises(exceptions.InvalidArgument,
                                      arguments.migration, text)
            self.assertIn(repr(text.strip()), str(error))
            self.assertEqual(exceptions.EXIT_USAGE, error.exit_code)


class TestSDKArguments(f.SDKTestCase):
    """The SDK's own checks name its parameters, not the CLIs' flags."""

    def test_thresholds_name_the_parameters(self):
        manager = self.manager()
        for name in ('stalled_after', 'force_after'):
            for call in (manager.force_complete, manager.force_complete_host):
                error = self.assertRaises(exceptions.InvalidArgument, call,
                                          'vm', **{name: 'soon'})
                self.assertIn(f'Invalid {name} ', str(error))
                self.assertNotIn('--', str(error))

    def test_one_concurrency_cap(self):
        manager = self.manager()
        for value in (0, arguments.MAX_CONCURRENCY + 1, 10000):
            error = self.assertRaises(exceptions.InvalidArgument,
                                      manager.force_complete_host, 'h',
                                      concurrency=value)
            self.assertIn(f'from 1 to {arguments.MAX_CONCURRENCY}',
                          str(error))
        self.assertEqual([], self.compute_calls())
