"""Command-line options of the reference server (parsing, seeding)."""

import contextlib
import io
import json
import os

import fixtures
import webob

import novaclient_force
from novaclient_force.refserver import cli, clouds
from novaclient_force.refserver.state import lifecycle, scenarios
from tests import testcase


class TestOptions(testcase.TestCase):
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

    def test_max_concurrent_live_migrations(self):
        self.assertIsNone(self.parse().max_concurrent_live_migrations)
        self.assertEqual(0, self.parse(
            '--max-concurrent-live-migrations', '0')
            .max_concurrent_live_migrations)
        with contextlib.redirect_stderr(io.StringIO()):
            error = self.assertRaises(
                SystemExit, self.parse, '--max-concurrent-live-migrations',
                '-1')
        self.assertEqual(2, error.code)

    def test_option_overrides_the_scenario_and_is_kept_on_resume(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'state.db')
        args = self.parse('--scenario', 'host-maintenance', '--state', path,
                          '--max-concurrent-live-migrations', '3')
        app, store = cli._build(args)
        with store.transaction() as db:
            self.assertEqual(3, lifecycle.limit(db))
        store.close()
        app, store = cli._build(self.parse('--state', path))
        store.close()
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--state', path,
                             '--max-concurrent-live-migrations', '1'])
        self.assertEqual(2, code)
        self.assertEqual(
            [f'novaclient-force-refserver: error: state file {path}: it runs '
             'max_concurrent_live_migrations 3; a resumed state keeps its '
             'limit'], err.getvalue().splitlines())

    def help_text(self):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            error = self.assertRaises(SystemExit, self.parse, '--help')
        self.assertEqual(0, error.code)
        return ' '.join(out.getvalue().split())

    def test_help_says_what_a_first_run_needs(self):
        text = self.help_text()
        for option in ('--time-scale', '--servers', '--max-microversion',
                       '--scenario', '--state', '--policy-file'):
            # argparse's default metavar is the option's name in capitals.
            metavar = option.strip('-').replace('-', '_').upper()
            self.assertNotIn(f'{option} {metavar}', text)
        for fragment in ('--max-microversion 2.N', '--scenario NAME|FILE',
                         '(default 2.104)',
                         '(default 1: real time; at most 10000)',
                         '(default 20 for host-maintenance, 12 for '
                         'host-evacuation)',
                         'listening on http://HOST:PORT', '/identity',
                         '/compute/v2.1', '/_refserver/',
                         'password "secret"', 'demo-manager (manager on '
                         'demo)', 'refserver-manager'):
            self.assertIn(fragment, text)
        self.assertIn(f"Built-in scenarios: {', '.join(scenarios.BUILTIN)}.",
                      text)

    def test_version(self):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            error = self.assertRaises(SystemExit, self.parse, '--version')
        self.assertEqual(0, error.code)
        self.assertEqual('novaclient-force-refserver '
                         f'{novaclient_force.__version__}\n', out.getvalue())

    def test_bad_scenario_is_one_line(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--scenario', 'nope'])
        self.assertEqual(2, code)
        self.assertEqual(1, len(err.getvalue().strip().splitlines()))


class TestClouds(testcase.TestCase):
    def test_four_clouds(self):
        doc = clouds.document('http://127.0.0.1:1/identity')
        self.assertEqual({'refserver-admin', 'refserver-demo',
                          'refserver-manager', 'refserver-reader'},
                         set(doc['clouds']))
        manager = doc['clouds']['refserver-manager']['auth']
        self.assertEqual(('demo-manager', 'demo'),
                         (manager['username'], manager['project_name']))


class TestTimeLimits(testcase.TestCase):
    """Times the server must turn into dates stay dates: a value too large
    for that is refused at start, in one line, rather than accepted and
    then failing every request with an OverflowError."""

    def test_too_large_values_are_refused_at_start(self):
        for option, too_large in (
                ('--time-scale', '10001'),
                ('--token-expiration', f'{10 * 365 * 86400 + 1}')):
            for value in ('inf', 'Infinity', '1e300', 'nan', too_large):
                with contextlib.redirect_stderr(io.StringIO()) as err:
                    error = self.assertRaises(
                        SystemExit, cli.parser().parse_args, [option, value])
                self.assertEqual(2, error.code, (option, value))
                self.assertIn(f'argument {option}: must be > 0 and <=',
                              err.getvalue())

    def test_the_largest_values_serve(self):
        from novaclient_force.refserver.state import store as store_mod

        app, store = cli._build(cli.parser().parse_args(
            ['--time-scale', '10000', '--token-expiration', '315360000']))
        self.addCleanup(store.close)

        def call(method, path, body=None, token=None):
            req = webob.Request.blank(path, method=method)
            if body is not None:
                req.body = json.dumps(body).encode()
                req.content_type = 'application/json'
            if token:
                req.headers['X-Auth-Token'] = token
            req.headers['OpenStack-API-Version'] = 'compute 2.30'
            return req.get_response(app)

        resp = call('POST', '/identity/v3/auth/tokens', {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'id': 'default'},
                'password': 'secret'}}},
            'scope': {'project': {'name': 'admin',
                                  'domain': {'id': 'default'}}}}})
        self.assertEqual(201, resp.status_int, resp.body)
        token = resp.headers['X-Subject-Token']
        # Close to the end of the year 9999, with time still to run.
        store.advance(store_mod.MAX_TIME - 1e6 - store.now())
        server = scenarios.server_uuid('busy-vm-2')
        resp = call('POST', f'/compute/v2.1/servers/{server}/action',
                    {'os-migrateLive': {'host': None,
                                        'block_migration': 'auto'}},
                    token=token)
        self.assertEqual(202, resp.status_int, resp.body)
        for path in ('/servers/detail?all_tenants=1',
                     f'/servers/{server}/os-instance-actions',
                     '/os-migrations'):
            resp = call('GET', f'/compute/v2.1{path}', token=token)
            self.assertEqual(200, resp.status_int, resp.body)
            self.assertIn(b'"9999-12-', resp.body)
