"""The migration argument both CLIs accept."""

import testtools

from novaclient_force import arguments, exceptions

UUID = '5c2e9c4d-9a49-4d0b-9a49-4b1e3c2f1a10'


class TestMigration(testtools.TestCase):

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
