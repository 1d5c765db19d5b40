"""Which known host an unknown host name is a typo of (hosts.close_name)."""


from novaclient_force import hosts
from tests import testcase

NUMBERED = ['compute-1', 'compute-2', 'compute-3']


class TestCloseName(testcase.TestCase):

    def test_one_edit_closer_than_the_rest_is_suggested(self):
        for typed in ('compute1', 'comptue-1', 'Compute-1', 'compute-01'):
            self.assertEqual('compute-1', hosts.close_name(typed, NUMBERED),
                             typed)

    def test_a_number_of_the_series_is_no_typo_of_any(self):
        # compute-9 is one edit from each of them: no guess.
        self.assertIsNone(hosts.close_name('compute-9', NUMBERED))
        self.assertIsNone(hosts.close_name('compute-l', NUMBERED))

    def test_far_names_are_not_suggested(self):
        self.assertIsNone(hosts.close_name('storage-1', NUMBERED))
        self.assertIsNone(hosts.close_name('cn1', ['cn22', 'db7']))
        self.assertIsNone(hosts.close_name('compute-1', []))

    def test_a_swap_is_one_edit(self):
        self.assertEqual(1, hosts._edits('compute', 'comptue'))
        self.assertEqual(3, hosts._edits('kitten', 'sitting'))
