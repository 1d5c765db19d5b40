"""The reference server's state, in SQLite from the standard library.

One connection, guarded by a lock, serves every thread: SQLite serializes
writers anyway, and a single connection keeps ``:memory:`` state shared.
With a file, WAL journaling is used and every write is committed before
the response is sent, so a ``kill -9`` loses nothing acknowledged (WAL
with ``synchronous=NORMAL`` is durable against process crashes; only an
OS crash could lose the last commits).

Times are "virtual" Unix timestamps: ``epoch + (wall - epoch) * scale``,
where ``epoch`` is the wall time the state was created, kept in the state
so that a restart keeps the clock. With the default scale of 1 they are the
wall clock. A test harness may move the clock forward (:meth:`Store.advance`)
or change the scale (:meth:`Store.set_clock`); both re-anchor the
clock at the current instant, and the anchor is kept in the state too, so
virtual time never jumps back.
"""

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import stat
import threading
import time

#: The last second every timestamp the server shows can hold: the end of
#: year 9999, where Python's datetime (and Nova's ISO 8601 times) stop.
MAX_TIME = datetime.datetime(
    9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc).timestamp()
#: The fastest simulated clock: at this scale it still reads as a date
#: after more than half a year of running.
MAX_TIME_SCALE = 1e4

TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, password TEXT NOT NULL,
    password_expires_at TEXT);
CREATE TABLE IF NOT EXISTS assignments (
    user_id TEXT, project_id TEXT, role TEXT,
    PRIMARY KEY (user_id, project_id, role));
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT,
    roles TEXT NOT NULL, audit_id TEXT NOT NULL,
    issued_at REAL NOT NULL, expires_at REAL NOT NULL, audit_chain_id TEXT);
CREATE TABLE IF NOT EXISTS hosts (
    name TEXT PRIMARY KEY,
    permit_post_copy INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS services (
    host TEXT PRIMARY KEY, disabled INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT, forced_down INTEGER NOT NULL DEFAULT 0,
    updated REAL);
CREATE TABLE IF NOT EXISTS links (
    src TEXT, dest TEXT, bandwidth REAL NOT NULL,
    shared INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (src, dest));
CREATE TABLE IF NOT EXISTS servers (
    uuid TEXT PRIMARY KEY, name TEXT NOT NULL, project_id TEXT NOT NULL,
    user_id TEXT NOT NULL, host TEXT, node TEXT, vm_state TEXT NOT NULL,
    task_state TEXT, power_state INTEGER NOT NULL, locked INTEGER NOT NULL,
    locked_by TEXT, locked_reason TEXT, memory_bytes INTEGER NOT NULL,
    disk_bytes INTEGER NOT NULL, dirty_rate REAL NOT NULL,
    working_set INTEGER, vcpus INTEGER NOT NULL, created REAL NOT NULL,
    updated REAL NOT NULL, launched_at REAL, active_migration INTEGER,
    hostname TEXT);
CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT UNIQUE NOT NULL,
    instance_uuid TEXT NOT NULL, migration_type TEXT NOT NULL,
    source_compute TEXT, source_node TEXT, dest_compute TEXT,
    dest_node TEXT, dest_host TEXT, status TEXT NOT NULL,
    final INTEGER NOT NULL, created_at REAL NOT NULL,
    updated_at REAL, user_id TEXT, project_id TEXT,
    old_instance_type_id INTEGER, new_instance_type_id INTEGER,
    hidden INTEGER NOT NULL DEFAULT 0, params TEXT,
    force_complete_at REAL, abort_at REAL, action_id INTEGER,
    overrides TEXT, slot_at REAL, link_share INTEGER,
    memory_total INTEGER, memory_processed INTEGER,
    memory_remaining INTEGER, disk_total INTEGER, disk_processed INTEGER,
    disk_remaining INTEGER, force_fault TEXT);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY, instance_uuid TEXT NOT NULL,
    action TEXT NOT NULL, request_id TEXT NOT NULL, user_id TEXT,
    project_id TEXT, start_time REAL NOT NULL, updated_at REAL,
    message TEXT);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, action_id INTEGER NOT NULL,
    event TEXT NOT NULL, start_time REAL NOT NULL, finish_time REAL,
    result TEXT, traceback TEXT, host TEXT, details TEXT);
"""
#: Columns added to a table since a state file could first be written,
#: added to an older file when it is opened: (table, column, type).
ADDED_COLUMNS = (('tokens', 'audit_chain_id', 'TEXT'),
                 ('servers', 'hostname', 'TEXT'),
                 # A server's writable working set (null: all its memory).
                 ('servers', 'working_set', 'INTEGER'),
                 ('migrations', 'force_fault', 'TEXT'))
#: Secondary indexes: (name, table, columns). Seeding builds them after
#: the rows are in (:meth:`_Db.indexes_after`).
INDEXES = (
    ('tokens_expiry', 'tokens', 'expires_at'),
    ('servers_project_page', 'servers', 'project_id, created, uuid'),
    ('servers_page', 'servers', 'created, uuid'),
    ('servers_host', 'servers', 'host'),
    ('migrations_instance', 'migrations', 'instance_uuid, id'),
    ('migrations_created', 'migrations', 'created_at, id'),
    ('migrations_source', 'migrations', 'source_compute, final'),
    ('migrations_source_page', 'migrations', 'source_compute, created_at, id'),
    ('migrations_dest_page', 'migrations', 'dest_compute, created_at, id'),
    ('actions_instance', 'actions', 'instance_uuid, request_id'),
    ('events_action', 'events', 'action_id'),
)


def isotime(value):
    """Nova's body timestamp format: no zone, microseconds."""
    if value is None:
        return None
    moment = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%f')


def zulu(value):
    """Second-precision UTC with a Z, as the servers API and Keystone use."""
    moment = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def token_digest(token):
    """Tokens are stored hashed, so the state file holds no secret."""
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


class Store:
    """SQLite state plus the virtual clock."""

    def __init__(self, path=':memory:', time_scale=1.0, wall=time.time):
        self._lock = threading.RLock()
        self._wall = wall
        self.path = path
        # Held open until the connection is closed: closing any other
        # descriptor of the file would drop SQLite's own (POSIX) locks.
        self._claim = None if path == ':memory:' else _claim(path)
        try:
            self._conn = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error:
            self._release()
            raise
        self._conn.row_factory = sqlite3.Row
        if path != ':memory:':
            self._conn.execute('PRAGMA journal_mode=WAL')
            self._conn.execute('PRAGMA synchronous=NORMAL')
        self._conn.create_function('REGEXP', 2, _regexp,
                                   deterministic=True)
        # Derived values (the live-migration queues) by key: (generation,
        # value). The generation is SQLite's count of rows changed since
        # the connection opened, which every write moves, with the number
        # of rollbacks (a rollback undoes rows but not the count): a value
        # computed from rows that changed since, or were never committed,
        # is never read. SQLite keeps the count itself, where a trigger
        # would call back into Python for every row written.
        self._rollbacks = 0
        self._derived = {}
        with self.transaction() as db:
            db.executescript_safe(TABLES)
            db.add_columns()
            db.create_indexes()
            epoch = db.one('SELECT value FROM meta WHERE key = ?', 'epoch')
            if epoch is None:
                self.epoch = self._wall()
                db.execute('INSERT INTO meta VALUES (?, ?)', 'epoch',
                           repr(self.epoch))
            else:
                self.epoch = float(epoch['value'])
            anchor = db.one("SELECT value FROM meta WHERE key = 'clock'")
            # (wall, virtual) of the last re-anchoring, if any.
            wall, virtual = ((self.epoch, self.epoch) if anchor is None
                             else json.loads(anchor['value']))
            # One tuple, replaced whole, so readers need no lock.
            self._clock = (wall, virtual, time_scale)

    def derived(self, key, compute):
        """``compute()``, kept until the state changes (call inside a
        transaction: the lock orders readers and writers)."""
        now = (self._rollbacks, self._conn.total_changes)
        generation, value = self._derived.get(key, (None, None))
        if generation != now:
            value = compute()
            self._derived[key] = (now, value)
        return value

    @property
    def time_scale(self):
        return self._clock[2]

    def now(self):
        """Virtual time: seconds since the Unix epoch, scaled since start."""
        wall, virtual, scale = self._clock
        return virtual + (self._wall() - wall) * scale

    def advance(self, seconds):
        """Move virtual time ``seconds`` forward at once (never back)."""
        self.set_clock(self.time_scale, seconds)

    def set_clock(self, scale, jump=0.0):
        """Run at ``scale`` simulated seconds per real second from now on,
        after moving ``jump`` seconds forward; both or neither (a
        ValueError says why)."""
        if not jump >= 0:
            raise ValueError('the clock only moves forward')
        if not self.now() + jump <= MAX_TIME:
            raise ValueError('the clock cannot go past the year 9999')
        if not 0 < scale <= MAX_TIME_SCALE:
            raise ValueError(
                f'the time scale must be > 0 and <= {MAX_TIME_SCALE:g}')
        self._reanchor(scale, jump)

    def _reanchor(self, scale, jump):
        with self.transaction() as db:
            old_wall, old_virtual, old_scale = self._clock
            wall = self._wall()
            virtual = old_virtual + (wall - old_wall) * old_scale + jump
            db.execute('INSERT OR REPLACE INTO meta VALUES (?, ?)', 'clock',
                       json.dumps([wall, virtual]))
            self._clock = (wall, virtual, scale)

    def reset(self, seed):
        """Empty every table but ``tokens`` and the clock, and call
        ``seed(db)`` in the same transaction: readers never see a state
        in between."""
        with self.transaction() as db:
            for (table,) in db.all("SELECT name FROM sqlite_master WHERE "
                                   "type = 'table' AND name NOT IN "
                                   "('tokens', 'sqlite_sequence')"):
                if table == 'meta':
                    db.execute("DELETE FROM meta WHERE key NOT IN "
                               "('epoch', 'clock')")
                else:
                    db.execute(f'DELETE FROM {table}')
            db.execute('DELETE FROM sqlite_sequence')
            seed(db)

    def wall(self):
        return self._wall()

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction, committed before the caller responds.

        All or nothing: when a statement or the commit fails (a full disk
        gives SQLITE_FULL), everything is rolled back; SQLite may have
        rolled back already, and then there is nothing left to undo.
        """
        with self._lock:
            db = _Db(self._conn, self)
            self._conn.execute('BEGIN IMMEDIATE')
            try:
                yield db
                self._conn.execute('COMMIT')
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute('ROLLBACK')
                self._rollbacks += 1
                raise
            for callback in db.after_commit:
                callback()

    def close(self):
        with self._lock:
            self._conn.close()
            self._release()

    def _release(self):
        if self._claim is not None:
            os.close(self._claim)
            self._claim = None


class _Db:
    """Small helpers over a connection inside a transaction."""

    def __init__(self, conn, store):
        self._conn = conn
        self.derived = store.derived
        # Run once the transaction is committed (notifications are only
        # written for state that is really there).
        self.after_commit = []

    def add_columns(self):
        for table, column, kind in ADDED_COLUMNS:
            names = {row['name'] for row in self.all(
                f'PRAGMA table_info({table})')}
            if column not in names:
                self.execute(
                    f'ALTER TABLE {table} ADD COLUMN {column} {kind}')

    def create_indexes(self):
        for name, table, columns in INDEXES:
            self._conn.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})')

    @contextlib.contextmanager
    def indexes_after(self):
        """Write many rows without the secondary indexes, then build
        them: SQLite sorts each index once instead of inserting into its
        B-tree row by row (seeding 10,000 servers writes 80,000 rows).
        Inside the transaction, so a failure rolls the drop back too."""
        for name, _, _ in INDEXES:
            self._conn.execute(f'DROP INDEX IF EXISTS {name}')
        yield
        self.create_indexes()

    def executescript_safe(self, script):
        for statement in script.split(';'):
            if statement.strip():
                self._conn.execute(statement)

    def execute(self, sql, *args):
        return self._conn.execute(sql, args)

    def one(self, sql, *args):
        return self._conn.execute(sql, args).fetchone()

    def all(self, sql, *args):
        return self._conn.execute(sql, args).fetchall()

    def insert(self, table, **values):
        names = ', '.join(values)
        marks = ', '.join('?' for _ in values)
        cursor = self._conn.execute(
            f'INSERT INTO {table} ({names}) VALUES ({marks})',
            tuple(values.values()))
        return cursor.lastrowid

    def insert_many(self, table, rows):
        """Insert dicts that all have the same keys, in one statement."""
        names = ', '.join(rows[0])
        marks = ', '.join('?' for _ in rows[0])
        self._conn.executemany(
            f'INSERT INTO {table} ({names}) VALUES ({marks})',
            [tuple(row.values()) for row in rows])

    def executemany(self, sql, rows):
        self._conn.executemany(sql, rows)

    def update(self, table, key, key_value, **values):
        assignments = ', '.join(f'{name} = ?' for name in values)
        self._conn.execute(
            f'UPDATE {table} SET {assignments} WHERE {key} = ?',
            tuple(values.values()) + (key_value,))


class StateInUse(OSError):
    """Another server has the state file open."""


def _claim(path):
    """An open descriptor of the state file, locked for this server alone.

    Two servers on one file would each run their own clock and caches
    over the same rows, so the second one is refused. The lock is
    ``flock``, which the kernel drops when the process ends, ``kill -9``
    included, and which on Linux is apart from the POSIX locks SQLite
    takes on the same file.

    The file is created readable by its owner only (it holds password
    hashes and token digests), and an existing one made so. SQLite gives
    the ``-wal`` and ``-shm`` files it creates the database file's mode;
    those left by an earlier run are fixed too. Devices (``/dev/full``)
    are left alone.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for name in (path, f"{path}-wal", f"{path}-shm",
                     f"{path}-journal"):
            try:
                mode = os.stat(name).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) != 0o600:
                os.chmod(name, 0o600)
    except BlockingIOError:
        os.close(descriptor)
        raise StateInUse('in use by another reference server') from None
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _regexp(pattern, value):
    """``x REGEXP p``: Nova filters server names with a regular
    expression (``re.search``); a pattern that is not one matches
    literally."""
    try:
        return re.search(pattern, value or '') is not None
    except re.error:
        return pattern in (value or '')
