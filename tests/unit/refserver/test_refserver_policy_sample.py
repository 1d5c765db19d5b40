"""The policy defaults are registered under ``oslo.policy.policies``, so
oslo.policy's own tool writes a sample file for ``--policy-file`` users."""

import os
import subprocess
import sys

import fixtures
import yaml

from novaclient_force.refserver.edge import policy
from tests import testcase

NAMESPACE = 'novaclient-force-refserver'
GENERATOR = os.path.join(os.path.dirname(sys.executable),
                         'oslopolicy-sample-generator')


class TestPolicySample(testcase.TestCase):

    def test_sample_generator_writes_every_default(self):
        path = self.useFixture(fixtures.TempDir()).join('policy.yaml')
        done = subprocess.run([GENERATOR, '--namespace', NAMESPACE,
                               '--output-file', path],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(0, done.returncode, done.stderr)
        with open(path) as stream:
            lines = stream.read().splitlines()
        # Each default is there, commented out; uncommented, the file is
        # exactly the defaults, and the server loads it.
        rules = yaml.safe_load('\n'.join(
            line[1:] for line in lines if line.startswith('#"')))
        self.assertEqual({rule.name: rule.check_str
                          for rule in policy.defaults()}, rules)
        uncommented = self.useFixture(fixtures.TempDir()).join('p.yaml')
        with open(uncommented, 'w') as stream:
            yaml.safe_dump(rules, stream)
        policy.Policy(uncommented)
