"""Keystone's users, projects, role assignments and tokens, in the store.

The identity model behind the ``/identity`` handler and the compute API's
token check: devstack's built-in users and projects, Keystone's implied
roles, and opaque tokens stored by digest so that they survive a restart
with ``--state`` (keystone ``keystone/api/auth.py``,
``keystone/auth/plugins/token.py``). Passwords are kept as salted hashes
and tokens as digests: the state holds no secret in plain text. Expired
tokens are deleted whenever a token is issued.
"""

import dataclasses
import hashlib
import hmac
import json
import math
import secrets

from novaclient_force.refserver.state import ids
from novaclient_force.refserver.state import store as store_mod

TOKEN_LIFETIME = 3600.0
#: The longest ``--token-expiration``: ten years, so that a token's
#: ``expires_at`` is always a date (Keystone's ``[token] expiration``
#: admits any integer, and its own timestamps overflow as ours would).
MAX_TOKEN_LIFETIME = 10 * 365 * 86400.0
HASH_SCHEME = 'pbkdf2_sha256'
HASH_ITERATIONS = 10000
DOMAIN = {'id': 'default', 'name': 'Default'}
PASSWORD = 'secret'
BUILTIN_PROJECTS = ('admin', 'demo', 'alt_demo')
BUILTIN_USERS = {
    'admin': [('admin', 'admin'), ('admin', 'demo'), ('admin', 'alt_demo')],
    'demo': [('member', 'demo')],
    'demo-reader': [('reader', 'demo')],
    'demo-manager': [('manager', 'demo')],
    'alt-manager': [('manager', 'alt_demo')],
}
# Keystone's default implied roles (bootstrap): each role implies the next.
ROLE_CHAIN = ('admin', 'manager', 'member', 'reader')
_NAMESPACE = ids.namespace('6c1b8d4e-2f0a-4d8e-9a51-3f3e7b1c2a10')


def stable_id(kind, name):
    """Deterministic hex IDs, so docs and tests can rely on them."""
    return ids.name_hex(_NAMESPACE, f'{kind}:{name}')


def stable_uuid(name):
    return ids.name_uuid(_NAMESPACE, name)


def project_id(name):
    return stable_id('project', name)


def user_id(name):
    return stable_id('user', name)


def expand_roles(roles):
    """Add the roles each role implies (admin > manager > member > reader)."""
    names = set(roles)
    for index, role in enumerate(ROLE_CHAIN):
        if role in names:
            names.update(ROLE_CHAIN[index:])
    chained = [role for role in ROLE_CHAIN if role in names]
    return chained + sorted(names.difference(ROLE_CHAIN))


def hash_password(password):
    """What the state keeps of a password: a salted PBKDF2-HMAC-SHA256
    hash, as ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` in hex.

    The salt is random for each user, so equal passwords are stored
    differently. The iteration count is modest on purpose: every built-in
    user is hashed at each seeding and every password authentication
    verifies one, and this server's passwords are test passwords; what
    matters is that none can be read back from a state file.
    """
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, HASH_ITERATIONS)
    return (f'{HASH_SCHEME}${HASH_ITERATIONS:d}${salt.hex()}$'
            f'{digest.hex()}')


def check_password(stored, password):
    """Whether ``password`` matches ``stored``, compared in constant
    time."""
    scheme, iterations, salt, digest = stored.split('$')
    if scheme != HASH_SCHEME:
        return False
    given = _derive(password, bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(given, bytes.fromhex(digest))


def _derive(password, salt, iterations):
    return hashlib.pbkdf2_hmac('sha256', password.encode('utf-8'), salt,
                               iterations)


#: Checked against when no user has the name given.
_UNKNOWN_USER = hash_password(secrets.token_urlsafe(16))


def seed(db, users=(), projects=()):
    """Write the built-in identity plus a scenario's users and projects.

    ``users`` holds (name, password, [(role, project name), ...]).
    """
    for name in tuple(BUILTIN_PROJECTS) + tuple(projects):
        db.execute('INSERT OR IGNORE INTO projects VALUES (?, ?)',
                   project_id(name), name)
    every = [(name, PASSWORD, roles) for name, roles in BUILTIN_USERS.items()]
    for name, password, roles in every + list(users):
        db.execute('INSERT OR REPLACE INTO users VALUES (?, ?, ?, NULL)',
                   user_id(name), name, hash_password(password))
        for role, project in roles:
            db.execute('INSERT OR IGNORE INTO projects VALUES (?, ?)',
                       project_id(project), project)
            db.execute('INSERT OR IGNORE INTO assignments VALUES (?, ?, ?)',
                       user_id(name), project_id(project), role)


@dataclasses.dataclass(frozen=True)
class Token:
    """What a validated token says about its caller."""

    user_id: str
    user_name: str
    project_id: str | None
    project_name: str | None
    roles: tuple
    audit_id: str
    issued_at: float
    expires_at: float
    #: The audit ID of the password token this one descends from through
    #: the ``token`` method, None for that token itself.
    audit_chain_id: str | None = None

    @property
    def audit_ids(self):
        """Keystone's ``audit_ids``: its own, then its chain's
        (keystone/models/token_model.py)."""
        return [self.audit_id] + ([self.audit_chain_id]
                                  if self.audit_chain_id else [])


def _load_token(db, token, now):
    if not token:
        return None
    row = db.one(
        'SELECT t.*, u.name AS user_name, p.name AS project_name '
        'FROM tokens t JOIN users u ON u.id = t.user_id '
        'LEFT JOIN projects p ON p.id = t.project_id WHERE t.digest = ?',
        store_mod.token_digest(token))
    if row is None or row['expires_at'] <= now:
        return None
    return Token(row['user_id'], row['user_name'], row['project_id'],
                 row['project_name'], tuple(json.loads(row['roles'])),
                 row['audit_id'], row['issued_at'], row['expires_at'],
                 row['audit_chain_id'])


def validate(store, token):
    """The Token for a live token string, or None."""
    with store.transaction() as db:
        return _load_token(db, token, store.wall())


def revoke(store, token):
    """Forget ``token`` (Keystone's ``DELETE /v3/auth/tokens``). No
    other token shares its audit ID, so no other token goes with it."""
    with store.transaction() as db:
        db.execute('DELETE FROM tokens WHERE digest = ?',
                   store_mod.token_digest(token))


class _AuthFailed(Exception):
    pass


def _find_user(db, user):
    if not isinstance(user, dict) or not isinstance(
            user.get('password'), str):
        raise _AuthFailed()
    domain = user.get('domain') or {}
    if 'id' in user:
        row = db.one('SELECT * FROM users WHERE id = ?', str(user['id']))
    else:
        if not _default_domain(domain):
            raise _AuthFailed()
        row = db.one('SELECT * FROM users WHERE name = ?',
                     str(user.get('name')))
    if row is None:
        # As slow as a wrong password: timing tells no user names apart.
        check_password(_UNKNOWN_USER, user['password'])
        raise _AuthFailed()
    if not check_password(row['password'], user['password']):
        raise _AuthFailed()
    return row


def _default_domain(domain):
    if not isinstance(domain, dict):
        return False
    return (domain.get('id') == 'default'
            or domain.get('name') == 'Default')


def _find_project(db, scope):
    project = scope.get('project') if isinstance(scope, dict) else None
    if not isinstance(project, dict):
        raise _AuthFailed()
    if 'id' in project:
        row = db.one('SELECT * FROM projects WHERE id = ?',
                     str(project['id']))
    elif _default_domain(project.get('domain')):
        row = db.one('SELECT * FROM projects WHERE name = ?',
                     str(project.get('name')))
    else:
        row = None
    if row is None:
        raise _AuthFailed()
    return row


def _authenticate(db, identity, now):
    """(user row, latest expiry, audit chain ID) for the ``password`` or
    ``token`` method.

    Keystone's ``token`` method (keystoneauth's ``v3token`` plugin) trades
    a live token for a new one, typically scoped to another project; the
    new token never outlives the one it came from and joins its audit
    chain (keystone/auth/plugins/token.py).
    """
    methods = identity.get('methods') or []
    if 'password' in methods:
        password = identity.get('password') or {}
        return _find_user(db, password.get('user')), None, None
    if 'token' in methods:
        given = (identity.get('token') or {}).get('id')
        token = _load_token(db, given if isinstance(given, str) else None,
                            now)
        if token is None:
            raise _AuthFailed()
        return (db.one('SELECT * FROM users WHERE id = ?', token.user_id),
                token.expires_at, token.audit_chain_id or token.audit_id)
    raise _AuthFailed()


def issue(store, auth, lifetime=TOKEN_LIFETIME):
    """(token string, Token) for a v3 ``auth`` object; None if refused.

    A token lives ``lifetime`` seconds of wall time (Keystone's ``[token]
    expiration``), never longer than the token it was issued for.
    """
    identity = auth.get('identity') if isinstance(auth, dict) else None
    if not isinstance(identity, dict):
        return None
    now = store.wall()
    with store.transaction() as db:
        # Expired tokens are of no use to anyone: the table holds at most
        # a token lifetime's worth of them.
        db.execute('DELETE FROM tokens WHERE expires_at <= ?', now)
        try:
            user, expiry, chain = _authenticate(db, identity, now)
            project = None
            roles = []
            if auth.get('scope'):
                project = _find_project(db, auth['scope'])
                roles = [row['role'] for row in db.all(
                    'SELECT role FROM assignments WHERE user_id = ? '
                    'AND project_id = ?', user['id'], project['id'])]
                if not roles:
                    raise _AuthFailed()
        except (_AuthFailed, AttributeError, TypeError):
            return None
        text = secrets.token_urlsafe(32)
        token = Token(user['id'], user['name'],
                      project['id'] if project else None,
                      project['name'] if project else None,
                      tuple(expand_roles(roles)),
                      secrets.token_urlsafe(16)[:22], now,
                      min(now + lifetime, expiry or math.inf), chain)
        db.insert('tokens', digest=store_mod.token_digest(text),
                  user_id=token.user_id, project_id=token.project_id,
                  roles=json.dumps(list(token.roles)),
                  audit_id=token.audit_id,
                  audit_chain_id=token.audit_chain_id,
                  issued_at=token.issued_at,
                  expires_at=token.expires_at)
    return text, token
