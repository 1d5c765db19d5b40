"""The one escaping helper, table shorthands and quoted hints."""


from novaclient_force import hints, terminal
from tests import testcase


class TestPrintable(testcase.TestCase):

    def test_printable_text_is_shown_as_is(self):
        self.assertEqual("busy-vm 'prod' ü", terminal.printable(
            "busy-vm 'prod' ü"))

    def test_controls_are_escaped_on_one_line(self):
        for hostile in ('a\nb', 'a\rb', '\x1b]0;title\x07', 'a\u202eb',
                        'nul\x00', 'tab\t'):
            shown = terminal.printable(hostile)
            self.assertTrue(shown.isprintable(), shown)
            self.assertNotIn('\x1b', shown)
            self.assertEqual(hostile, eval(shown))  # nothing is lost

    def test_escaping_twice_changes_nothing(self):
        once = terminal.printable('a\nb')
        self.assertEqual(once, terminal.printable(once))

    def test_none_and_numbers(self):
        self.assertEqual('', terminal.printable(None))
        self.assertEqual('7', terminal.printable(7))


class TestBrief(testcase.TestCase):

    def test_first_clause_only(self):
        self.assertEqual('still running after 2s', terminal.brief(
            'still running after 2s; the migration may still finish'))

    def test_long_text_is_cut_at_a_word(self):
        text = ('cancelled: the migration was aborted, or Nova\'s '
                'live_migration_completion_timeout ran out')
        shown = terminal.brief(text)
        self.assertLessEqual(len(shown), terminal.BRIEF)
        self.assertTrue(shown.endswith('...'), shown)
        self.assertTrue(text.startswith(shown[:-3]), shown)

    def test_seconds_have_their_unit(self):
        self.assertEqual('31.0s', terminal.seconds(31))


class TestHints(testcase.TestCase):

    def test_every_word_is_quoted_for_the_shell(self):
        self.assertEqual("openstack server unlock 'vm; touch /tmp/x'",
                         hints.unlock('vm; touch /tmp/x'))
        self.assertEqual("nova migration-list --instance-uuid 'my vm'",
                         hints.follow('my vm', 'nova'))
