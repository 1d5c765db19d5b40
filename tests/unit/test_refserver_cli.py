"""Command-line options of the reference server (parsing only)."""

import contextlib
import io

import testtools

from novaclient_force.refserver import cli, clouds


class TestOptions(testtools.TestCase):
    def parse(self, *args):
        return cli.parser().parse_args(list(args))

    def test_defaults(self):
        args = self.parse()
        self.assertEqual(('127.0.0.1', 0, 'stuck-migration', 1.0, (2, 104)),
                         (args.bind, args.port, args.scenario,
                          args.time_scale, args.max_microversion))

    def test_max_microversion(self):
        self.assertEqual((2, 60),
                         self.parse('--max-microversion',
                                    '2.60').max_microversion)

    def test_bad_values_exit_2(self):
        for args in (['--max-microversion', '2.105'],
                     ['--max-microversion', 'latest'],
                     ['--time-scale', '0'], ['--port', '70000'],
                     ['--servers', 'many']):
            with contextlib.redirect_stderr(io.StringIO()) as err:
                error = self.assertRaises(SystemExit, self.parse, *args)
            self.assertEqual(2, error.code, args)
            self.assertIn('error:', err.getvalue())

    def test_bad_scenario_is_one_line(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--scenario', 'nope'])
        self.assertEqual(2, code)
        self.assertEqual(1, len(err.getvalue().strip().splitlines()))


class TestClouds(testtools.TestCase):
    def test_four_clouds(self):
        doc = clouds.document('http://127.0.0.1:1/identity')
        self.assertEqual({'refserver-admin', 'refserver-demo',
                          'refserver-manager', 'refserver-reader'},
                         set(doc['clouds']))
        manager = doc['clouds']['refserver-manager']['auth']
        self.assertEqual(('demo-manager', 'demo'),
                         (manager['username'], manager['project_name']))
