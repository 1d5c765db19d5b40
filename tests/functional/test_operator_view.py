"""What operators see: the real ``openstack`` and ``nova`` programs
against the reference server, for the words and statuses both commands
print (suggestions, summaries, advice, exit statuses)."""

from tests.functional import test_osc_cli


class TestUnknownHost(test_osc_cli.OpenStackCLITest):

    def test_a_typo_gets_the_one_close_name(self):
        self.assertOneLineError(
            self.force('--host', 'compute2'), 1,
            'No compute host is named compute2; did you mean compute-2?')

    def test_a_name_as_close_to_several_lists_the_hosts(self):
        self.assertOneLineError(
            self.force('--host', 'compute-9'), 1,
            'No compute host is named compute-9; known hosts: compute-1, '
            'compute-2, compute-3')
