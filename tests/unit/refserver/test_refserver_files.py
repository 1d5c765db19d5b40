"""Files named on the command line are checked at start, in one line.

``cli.main`` runs in process up to the point where it would serve; each
case here must stop before that with exit status 2 and a single line on
stderr naming the file.
"""

import contextlib
import io
import os
import sqlite3
import types

import fixtures

from novaclient_force.refserver import cli
from novaclient_force.refserver.edge import policy
from tests import testcase

SHOW = 'os_compute_api:servers:migrations:show'


def _reader():
    return types.SimpleNamespace(
        user_id='u', credentials=lambda: {'roles': ['reader'],
                                          'project_id': 'p',
                                          'user_id': 'u'})


class FilesTest(testcase.TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.FakeLogger())

        def serve(*args, **kwargs):
            raise AssertionError('started serving despite the bad file')

        self.useFixture(fixtures.MonkeyPatch(
            'novaclient_force.refserver.edge.httpserver.make_server', serve))

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as out:
            out.write(text)
        return path

    def assert_one_line_error(self, *args, mentions):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--scenario', 'empty', *args])
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(2, code, err.getvalue())
        self.assertEqual(1, len(lines), lines)
        self.assertIn(mentions, lines[0])
        return lines[0]


class TestPolicyFile(FilesTest):

    def test_relative_path_is_relative_to_the_working_directory(self):
        self.write('policy.yaml', f'"{SHOW}": "role:reader"\n')
        with _cwd(self.tmp):
            rules = policy.Policy('policy.yaml')
        self.assertTrue(rules.allowed(SHOW, _reader(), 'p'))

    def test_broken_relative_file_stops_the_start(self):
        self.write('broken.yaml', '{{{ nope')
        with _cwd(self.tmp):
            line = self.assert_one_line_error(
                '--policy-file', 'broken.yaml', mentions='broken.yaml')
        self.assertIn('line 1', line)

    def test_rules_that_are_not_check_strings(self):
        path = self.write('list.yaml', '- just\n- a list\n')
        self.assert_one_line_error('--policy-file', path,
                                   mentions='list.yaml')
        path = self.write('nested.yaml', f'"{SHOW}": {{"role": 1}}\n')
        self.assert_one_line_error('--policy-file', path,
                                   mentions='nested.yaml')

    def test_missing_file(self):
        self.assert_one_line_error(
            '--policy-file', os.path.join(self.tmp, 'nope.yaml'),
            mentions='nope.yaml')


class TestNotificationsFile(FilesTest):

    def test_directory_that_does_not_exist(self):
        self.assert_one_line_error(
            '--notifications', os.path.join(self.tmp, 'no', 'n.jsonl'),
            mentions='n.jsonl')

    def test_a_directory(self):
        self.assert_one_line_error('--notifications', self.tmp,
                                   mentions=self.tmp)


class TestStateFile(FilesTest):

    def test_disk_full_while_seeding(self):
        def full(store, scenario):
            raise sqlite3.OperationalError('database or disk is full')

        self.useFixture(fixtures.MonkeyPatch(
            'novaclient_force.refserver.state.seed.seed', full))
        line = self.assert_one_line_error(
            '--state', os.path.join(self.tmp, 'state.sqlite'),
            mentions='state.sqlite')
        self.assertIn('database or disk is full', line)

    def test_disk_full_device(self):
        self.assert_one_line_error('--state', '/dev/full',
                                   mentions='/dev/full')


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
