"""What the state keeps: no password in plain text, an owner-only file,
and no token past its expiry."""

import glob
import os
import stat
import types

import fixtures

from novaclient_force.refserver.state import accounts, seed
from novaclient_force.refserver.state import store as store_mod
from tests import testcase
from tests.unit.refserver import test_refserver_api as api

PASSWORD = 'Q-pw-7f3a9c-never-stored'


def _scenario():
    base = api.scenario()
    base.users = [('ops', PASSWORD, [('admin', 'admin')]),
                  ('ops-2', PASSWORD, [('member', 'demo')])]
    base.users = [types.SimpleNamespace(name=name, password=password,
                                        roles=roles)
                  for name, password, roles in base.users]
    return base


def _password_auth(user, password):
    return {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': {'id': 'default'},
                 'password': password}}}}


class TestStateFile(testcase.TestCase):
    def setUp(self):
        super().setUp()
        self.path = self.useFixture(fixtures.TempDir()).join('state.db')
        old = os.umask(0o022)
        self.addCleanup(os.umask, old)

    def open(self):
        store = store_mod.Store(self.path, wall=api.FakeWall())
        self.addCleanup(store.close)
        seed.seed(store, _scenario())
        return store

    def test_state_and_journal_files_are_owner_only(self):
        store = self.open()
        self.assertIsNotNone(accounts.issue(store, _password_auth(
            'ops', PASSWORD)))
        files = glob.glob(self.path + '*')
        self.assertIn(self.path + '-wal', files)
        for path in files:
            self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode),
                             path)

    def test_an_existing_readable_file_is_made_owner_only(self):
        self.open().close()
        os.chmod(self.path, 0o644)
        self.open()
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_no_password_in_plain_text(self):
        store = self.open()
        store.close()
        for path in glob.glob(self.path + '*'):
            with open(path, 'rb') as state:
                data = state.read()
            for password in (PASSWORD, accounts.PASSWORD):
                self.assertFalse(password.encode() in data,
                                 f'{path} holds {password!r}')

    def test_same_password_different_hashes(self):
        store = self.open()
        with store.transaction() as db:
            hashes = {row['password'] for row in db.all(
                "SELECT password FROM users WHERE name IN ('ops', 'ops-2')")}
        self.assertEqual(2, len(hashes))

    def test_passwords_still_authenticate(self):
        store = self.open()
        self.assertIsNotNone(accounts.issue(store, _password_auth(
            'ops', PASSWORD)))
        self.assertIsNotNone(accounts.issue(store, _password_auth(
            'demo', accounts.PASSWORD)))
        self.assertIsNone(accounts.issue(store, _password_auth(
            'ops', PASSWORD + 'x')))
        self.assertIsNone(accounts.issue(store, _password_auth('ops', '')))


class TestExpiredTokens(api.RefServerTestCase):

    def tokens(self):
        with self.store.transaction() as db:
            return db.one('SELECT COUNT(*) AS n FROM tokens')['n']

    def test_token_table_stays_bounded_as_time_passes(self):
        counts = []
        for _hour in range(5):
            for _ in range(20):
                self.assertIsNotNone(accounts.issue(
                    self.store, _password_auth('demo', 'secret')))
            counts.append(self.tokens())
            self.wall.advance(accounts.TOKEN_LIFETIME + 1)
        # Only the last hour's tokens are kept.
        self.assertEqual([20] * 5, counts)

    def test_live_tokens_are_kept(self):
        token, _ = accounts.issue(self.store,
                                  _password_auth('demo', 'secret'))
        self.wall.advance(accounts.TOKEN_LIFETIME - 10)
        accounts.issue(self.store, _password_auth('demo', 'secret'))
        self.assertIsNotNone(accounts.validate(self.store, token))
