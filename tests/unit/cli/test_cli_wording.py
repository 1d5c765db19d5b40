"""``openstack`` and ``nova`` refuse the same input in the same words."""

from tests.unit.cli import test_nova_shell, test_osc_command

OSC_COMMAND = test_osc_command.COMMAND
NOVA_PREFIX = 'ERROR (InvalidArgument): '


class TestSameRefusal(test_nova_shell.NovaShellTestCase):

    def osc_refusal(self, *argv):
        openstack = self.useFixture(test_osc_command.OpenStackRun())
        code, out, err = openstack(*OSC_COMMAND, *argv)
        self.assertEqual(2, code, err)
        (line,) = err.splitlines()
        return line

    def nova_refusal(self, *argv):
        status, out, err = self.run_nova('live-migration-force-complete',
                                         *argv)
        self.assertEqual(2, status, err)
        (line,) = err
        self.assertTrue(line.startswith(NOVA_PREFIX), line)
        return line[len(NOVA_PREFIX):]

    def test_refusals_read_the_same(self):
        # nova first: OpenStackRun mocks HTTP with its own requests-mock.
        cases = (('busy-vm', '--timeout', '60'), ('busy-vm', 'last'))
        nova = [self.nova_refusal(*argv) for argv in cases]
        self.assertEqual(nova, [self.osc_refusal(*argv) for argv in cases])
