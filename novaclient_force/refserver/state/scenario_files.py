"""Scenario files: the YAML format ``doc/source/scenarios.rst`` documents,
read into the dataclasses of :mod:`.scenarios`.

Every entry is checked as it is read; the first faulty one raises
:class:`~.scenarios.ScenarioError` with a one-line message naming the
file and the entry (``servers[2].host: unknown host 'compute-9'``).
"""

import dataclasses
import os
import re
import reprlib
import uuid

from novaclient_force.refserver.state import executor, simulator
from novaclient_force.refserver.state.scenarios import (
    BUILTIN_PROJECTS,
    BUSY_DIRTY_RATE,
    CONFIG_OPTIONS,
    DEFAULT_BANDWIDTH,
    IDLE_DIRTY_RATE,
    LIMIT_OPTION,
    MAX_STARTED_AGO,
    MIGRATION_STATUSES,
    SQLITE_MAX_INT,
    VM_STATES,
    Host,
    Link,
    Migration,
    Scenario,
    ScenarioError,
    Server,
    User,
    migration_uuid,
    server_uuid,
)

_SIZE = re.compile(
    r'^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*'
    r'(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|bit|Kbit|Mbit|Gbit)?'
    r'(/s)?\s*$')
_UNITS = {None: 1, 'B': 1, 'KB': 1e3, 'MB': 1e6, 'GB': 1e9, 'TB': 1e12,
          'KiB': 2 ** 10, 'MiB': 2 ** 20, 'GiB': 2 ** 30, 'TiB': 2 ** 40,
          'bit': 1 / 8, 'Kbit': 1e3 / 8, 'Mbit': 1e6 / 8, 'Gbit': 1e9 / 8}


# A few characters of a rejected value, whatever its size: YAML aliases
# make a file of a few hundred bytes a list of a billion items (shared,
# so loading it is cheap), which a plain repr() would walk whole.
_PREVIEW = reprlib.Repr()
_PREVIEW.maxlevel = 2
_PREVIEW.maxstring = _PREVIEW.maxother = _PREVIEW.maxlong = 60
_PREVIEW.maxlist = _PREVIEW.maxdict = _PREVIEW.maxtuple = 4
_PREVIEW.maxset = _PREVIEW.maxfrozenset = 4


def preview(value):
    """``repr(value)``, escaped and cut to a bounded length."""
    return _PREVIEW.repr(value)


class _File:
    """Reads one scenario file, keeping its name for error messages."""

    def __init__(self, path):
        self.path = path

    def fail(self, where, message):
        place = f'{where}: ' if where else ''
        raise ScenarioError(f'{self.path}: {place}{message}')

    def mapping(self, where, value, required=(), optional=()):
        if not isinstance(value, dict):
            self.fail(where, 'must be a mapping')
        for key in value:
            if key not in required and key not in optional:
                expected = ', '.join(tuple(required) + tuple(optional))
                self.fail(where,
                          f'unknown key {preview(key)} '
                          f'(expected {expected})')
        for key in required:
            if key not in value:
                self.fail(where, f'missing key {preview(key)}')
        return value

    def listing(self, where, value):
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, 'must be a list')
        return value

    def text(self, where, value):
        if not isinstance(value, str) or not value.strip():
            self.fail(where, 'must be a non-empty string')
        return value

    def integer(self, where, value, minimum, maximum=SQLITE_MAX_INT):
        if (isinstance(value, bool) or not isinstance(value, int)
                or not minimum <= value <= maximum):
            self.fail(where, f'must be a whole number from {minimum:d} to '
                             f'{maximum:d}')
        return value

    def seconds(self, where, value, maximum=MAX_STARTED_AGO):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not 0 <= value <= maximum):
            self.fail(where, 'must be a number of seconds from 0 to '
                             f'{maximum:d}')
        return float(value)

    def uuid_text(self, where, value):
        """A UUID, as text (a scalar YAML read as a number is its text
        too); a list or mapping is refused before str() walks it."""
        if not isinstance(value, (list, dict)):
            try:
                return str(uuid.UUID(str(value)))
            except ValueError:
                pass
        self.fail(where, f'not a UUID: {preview(value)}')

    def flag(self, where, value):
        if not isinstance(value, bool):
            self.fail(where, 'must be true or false')
        return value

    def amount(self, where, value, rate=False, minimum=0):
        """Bytes (or bytes/s): a number or a string like ``4GiB``,
        ``10Gbit/s`` or ``200MB/s``."""
        if isinstance(value, bool):
            self.fail(where, 'must be a number or a size like 4GiB')
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            match = _SIZE.match(value) if isinstance(value, str) else None
            if match is None or (match.group(3) and not rate):
                wanted = ('a rate like 10Gbit/s or 200MB/s' if rate
                          else 'a size like 4GiB or 512MiB')
                self.fail(where, f'must be {wanted}, not {preview(value)}')
            number = float(match.group(1)) * _UNITS[match.group(2)]
        if not number >= minimum or number == float('inf'):
            self.fail(where, f'must be >= {minimum}')
        if not rate and number > SQLITE_MAX_INT:
            self.fail(where, f'too large: at most {SQLITE_MAX_INT} bytes')
        return number if rate else int(number)


def read(path, servers):
    """The :class:`~.scenarios.Scenario` of the YAML file at ``path``;
    ``servers`` sizes its ``scale:`` section."""
    import yaml

    doc = _File(path)
    try:
        with open(path, encoding='utf-8') as stream:
            data = yaml.safe_load(stream)
    except (OSError, UnicodeDecodeError) as error:
        doc.fail('', f'cannot read: {error}')
    except RecursionError:
        doc.fail('', 'nested too deeply')
    except yaml.YAMLError as error:
        mark = getattr(error, 'problem_mark', None)
        doc.fail(f'line {mark.line + 1:d}' if mark else '',
                 f"not valid YAML: {getattr(error, 'problem', error)}")
    except ValueError as error:
        # A scalar Python cannot hold, such as an integer of more digits
        # than int() converts (sys.int_info.default_max_str_digits).
        doc.fail('', f'not valid YAML: {error}')
    if data is None:
        # An empty file (or only comments): every section is optional.
        data = {}
    data = doc.mapping('', data, optional=(
        'name', 'config', 'default_bandwidth', 'hosts', 'links',
        'workloads', 'projects', 'users', 'servers', 'migrations', 'scale'))
    name = doc.text('name', data.get('name', os.path.basename(path)))
    config, limit = _config(doc, data.get('config'))
    if data.get('hosts') is None:
        hosts = tuple(Host(name) for name in _implied_hosts(data))
    else:
        hosts = tuple(_host(doc, f'hosts[{i}]', item) for i, item in
                      enumerate(doc.listing('hosts', data['hosts'])))
    host_names = _unique(doc, 'hosts', [host.name for host in hosts])
    if 'default_bandwidth' in data:
        bandwidth = doc.amount('default_bandwidth', data['default_bandwidth'],
                               rate=True, minimum=1)
    else:
        bandwidth = DEFAULT_BANDWIDTH
    links = tuple(_link(doc, f'links[{i}]', item, host_names) for i, item
                  in enumerate(doc.listing('links', data.get('links'))))
    workloads = _workloads(doc, data.get('workloads'))
    projects = tuple(doc.text(f'projects[{i}]', item) for i, item in
                     enumerate(doc.listing('projects', data.get('projects'))))
    users = tuple(_user(doc, f'users[{i}]', item) for i, item in
                  enumerate(doc.listing('users', data.get('users'))))
    _unique(doc, 'users', [user.name for user in users])
    known_projects = set(BUILTIN_PROJECTS) | set(projects) | {
        project for user in users for _, project in user.roles}
    server_list = [_server(doc, f'servers[{i}]', item, host_names,
                           workloads, known_projects) for i, item in
                   enumerate(doc.listing('servers', data.get('servers')))]
    migration_list = [
        _migration(doc, f'migrations[{i}]', item) for i, item in
        enumerate(doc.listing('migrations', data.get('migrations')))]
    if 'scale' in data:
        server_list, migration_list = _scale(
            doc, data['scale'], servers, host_names, workloads,
            known_projects, server_list, migration_list)
    elif servers is not None:
        doc.fail('', '--servers needs a "scale" section in the file')
    server_list = _distinct_ids(server_list)
    _unique(doc, 'servers', [server.uuid for server in server_list])
    _check_migrations(doc, migration_list, server_list, host_names)
    migration_list = [
        migration if migration.uuid else dataclasses.replace(
            migration, uuid=migration_uuid(f'{migration.server}#{i}'))
        for i, migration in enumerate(migration_list)]
    return Scenario(name, hosts=hosts, links=links,
                    default_bandwidth=bandwidth, servers=tuple(server_list),
                    migrations=tuple(migration_list), users=users,
                    projects=projects, config=config,
                    max_concurrent_live_migrations=limit)


def _implied_hosts(data):
    """The hosts of a file without ``hosts:``: those its servers (listed
    or under ``scale:``) and migrations name, in the order first named.
    Only names that are strings count; any other value is refused where
    it stands, as an unknown host."""
    def named(items, keys):
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict):
                continue
            for key in keys:
                value = item.get(key)
                for name in value if isinstance(value, list) else [value]:
                    if isinstance(name, str) and name.strip():
                        yield name

    scale = data.get('scale')
    scale = scale if isinstance(scale, dict) else {}
    return tuple(dict.fromkeys([
        *named(data.get('servers'), ('host',)),
        *named([scale.get('server')], ('host',)),
        *named(data.get('migrations'), ('dest',)),
        *named([scale], ('migrate_to',))]))


def _distinct_ids(server_list):
    """Servers that share a name, as Nova allows, get distinct default
    UUIDs: the first keeps its name's, the n-th takes that of
    ``name#n``. A UUID given in the file is kept."""
    count = {}
    out = []
    for server in server_list:
        count[server.name] = nth = count.get(server.name, 0) + 1
        if nth > 1 and server.uuid == server_uuid(server.name):
            server = dataclasses.replace(
                server, uuid=server_uuid(f'{server.name}#{nth}'))
        out.append(server)
    return out


def _unique(doc, where, names):
    seen = set()
    for name in names:
        if name in seen:
            doc.fail(where, f'duplicate {preview(name)}')
        seen.add(name)
    return seen


def _config(doc, value):
    """(the ``[libvirt]`` options, ``max_concurrent_live_migrations``)."""
    if value is None:
        return simulator.LiveMigrationConfig(), executor.DEFAULT_LIMIT
    doc.mapping('config', value,
                optional=tuple(CONFIG_OPTIONS) + (LIMIT_OPTION,))
    limit = value.get(LIMIT_OPTION, executor.DEFAULT_LIMIT)
    if (isinstance(limit, bool) or not isinstance(limit, int)
            or not 0 <= limit <= SQLITE_MAX_INT):
        doc.fail(f"config.{LIMIT_OPTION}",
                 'must be an integer >= 0 (0: no limit)')
    values = {}
    for option, field in CONFIG_OPTIONS.items():
        if option not in value:
            continue
        item = value[option]
        expected = str if field == 'timeout_action' else int
        if isinstance(item, bool) or not isinstance(item, expected):
            kind = 'a string' if expected is str else 'an integer'
            doc.fail(f'config.{option}', f'must be {kind}')
        if expected is int:
            doc.integer(f"config.{option}", item, -SQLITE_MAX_INT)
        values[field] = item
    try:
        return simulator.LiveMigrationConfig(**values), limit
    except ValueError as error:
        doc.fail('config', str(error))


def _host(doc, where, item):
    if isinstance(item, str):
        item = {'name': item}
    doc.mapping(where, item, ('name',), ('permit_post_copy',))
    return Host(doc.text(f"{where}.name", item['name']),
                doc.flag(f"{where}.permit_post_copy",
                         item.get('permit_post_copy', False)))


def _link(doc, where, item, host_names):
    doc.mapping(where, item, ('src', 'dest', 'bandwidth'))
    for key in ('src', 'dest'):
        if doc.text(f'{where}.{key}', item[key]) not in host_names:
            doc.fail(f'{where}.{key}',
                     f'unknown host {preview(item[key])}')
    return Link(item['src'], item['dest'], doc.amount(
        f"{where}.bandwidth", item['bandwidth'], rate=True, minimum=1))


def _workloads(doc, value):
    workloads = {'busy': BUSY_DIRTY_RATE, 'idle': IDLE_DIRTY_RATE}
    if value is None:
        return workloads
    if not isinstance(value, dict):
        doc.fail('workloads', 'must be a mapping of names to rates')
    doc.mapping('workloads', value, optional=tuple(value))
    for name, rate in value.items():
        workloads[str(name)] = doc.amount(f'workloads.{name}', rate,
                                          rate=True)
    return workloads


def _user(doc, where, item):
    doc.mapping(where, item, ('name', 'password'), ('roles',))
    roles = []
    for i, role in enumerate(doc.listing(f"{where}.roles",
                                         item.get('roles'))):
        place = f'{where}.roles[{i}]'
        doc.mapping(place, role, ('role', 'project'))
        roles.append((doc.text(f"{place}.role", role['role']),
                      doc.text(f"{place}.project", role['project'])))
    return User(doc.text(f"{where}.name", item['name']),
                doc.text(f"{where}.password", item['password']),
                tuple(roles))


def _server(doc, where, item, host_names, workloads, projects):
    doc.mapping(where, item, ('name', 'host', 'memory'), (
        'uuid', 'project', 'workload', 'dirty_rate', 'working_set',
        'vm_state', 'locked', 'disk'))
    name = doc.text(f"{where}.name", item['name'])
    if doc.text(f"{where}.host", item['host']) not in host_names:
        doc.fail(f"{where}.host", f"unknown host {preview(item['host'])}")
    project = doc.text(f"{where}.project", item.get('project', 'demo'))
    if project not in projects:
        doc.fail(f'{where}.project', f'unknown project {preview(project)} '
                 '(declare it under "projects")')
    if 'workload' in item and 'dirty_rate' in item:
        doc.fail(where, 'give either workload or dirty_rate, not both')
    if 'dirty_rate' in item:
        dirty_rate = doc.amount(f"{where}.dirty_rate", item['dirty_rate'],
                                rate=True)
    else:
        workload = doc.text(f"{where}.workload", item.get('workload', 'idle'))
        if workload not in workloads:
            doc.fail(f'{where}.workload',
                     f'unknown workload {preview(workload)} '
                     f"(known: {', '.join(sorted(workloads))})")
        dirty_rate = workloads[workload]
    vm_state = item.get('vm_state', 'active')
    if vm_state not in VM_STATES:
        doc.fail(f"{where}.vm_state", f"must be one of {', '.join(VM_STATES)}")
    server_id = doc.uuid_text(f'{where}.uuid',
                              item.get('uuid', server_uuid(name)))
    memory = doc.amount(f"{where}.memory", item['memory'], minimum=1)
    working_set = None
    if 'working_set' in item:
        working_set = doc.amount(f"{where}.working_set", item['working_set'],
                                 minimum=1)
        if working_set > memory:
            doc.fail(f"{where}.working_set",
                     'must be at most the memory')
    return Server(name, server_id, project, item['host'], memory,
                  dirty_rate, vm_state,
                  doc.flag(f"{where}.locked", item.get('locked', False)),
                  doc.amount(f"{where}.disk", item.get('disk', 0)),
                  working_set)


def _migration(doc, where, item):
    doc.mapping(where, item, ('server', 'dest'), (
        'status', 'started_ago', 'uuid', 'id', 'block_migration'))
    status = item.get('status', 'running')
    if status not in MIGRATION_STATUSES:
        doc.fail(f'{where}.status',
                 f"must be one of {', '.join(MIGRATION_STATUSES)}")
    started_ago = doc.seconds(f"{where}.started_ago",
                              item.get('started_ago', 60.0))
    migration_id = item.get('id')
    if migration_id is not None:
        doc.integer(f"{where}.id", migration_id, 1)
    server = doc.text(f"{where}.server", item['server'])
    migration_id_text = item.get('uuid')
    if migration_id_text is not None:
        migration_id_text = doc.uuid_text(f'{where}.uuid', migration_id_text)
    return Migration(server, doc.text(f"{where}.dest", item['dest']), status,
                     started_ago, migration_id_text, migration_id,
                     doc.flag(f"{where}.block_migration",
                              item.get('block_migration', False)))


def _scale(doc, value, servers, host_names, workloads, projects,
           server_list, migration_list):
    """``scale:`` stamps out ``count`` (or ``--servers``) copies of a
    server template, each optionally migrating to ``dest``."""
    doc.mapping('scale', value, ('prefix', 'count', 'server'), (
        'migrate_to', 'started_ago'))
    count = servers if servers is not None else value['count']
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        doc.fail('scale.count', 'must be a positive integer')
    prefix = doc.text('scale.prefix', value['prefix'])
    template = dict(doc.mapping('scale.server', value['server'],
                                ('host', 'memory'),
                                ('project', 'workload', 'dirty_rate',
                                 'working_set', 'vm_state', 'locked',
                                 'disk')))
    dests = value.get('migrate_to') or []
    if isinstance(dests, str):
        dests = [dests]
    started_ago = value.get('started_ago', 60.0)
    servers_out, migrations_out = list(server_list), list(migration_list)
    for index in range(count):
        name = f'{prefix}{index + 1:03d}'
        servers_out.append(_server(
            doc, 'scale.server', dict(template, name=name, uuid=server_uuid(
                name)), host_names, workloads, projects))
        if dests:
            migrations_out.append(_migration(doc, 'scale', {
                'server': name, 'dest': dests[index % len(dests)],
                'started_ago': started_ago}))
    return servers_out, migrations_out


def _check_migrations(doc, migrations, servers, host_names):
    """A migration's ``server`` is a server's UUID, or its name when no
    other server shares it."""
    by_uuid = {server.uuid: server for server in servers}
    by_name = {}
    for server in servers:
        by_name.setdefault(server.name, []).append(server)
    running = set()
    ids = set()
    with_id = [migration.id is not None for migration in migrations]
    if any(with_id) and not all(with_id):
        doc.fail('migrations', 'give an id to every migration or to none')
    for migration in migrations:
        where = f'migration of {preview(migration.server)}'
        named = by_name.get(migration.server, [])
        server = by_uuid.get(migration.server) or (
            named[0] if len(named) == 1 else None)
        if server is None and named:
            doc.fail(f'{where}.server',
                     f'{len(named):d} servers are named '
                     f'{preview(migration.server)}: give its uuid')
        if server is None:
            doc.fail(f'{where}.server',
                     f'unknown server {preview(migration.server)}')
        if migration.dest not in host_names:
            doc.fail(f'{where}.dest',
                     f'unknown host {preview(migration.dest)}')
        if migration.dest == server.host:
            doc.fail(f'{where}.dest',
                     f'server {preview(server.name)} is already on '
                     f'{preview(server.host)}')
        if migration.block_migration and not server.disk_bytes:
            doc.fail(f"{where}.block_migration",
                     f'server {preview(server.name)} has no local disk')
        if migration.id is not None:
            if migration.id in ids:
                doc.fail(f'{where}.id', f'duplicate {migration.id:d}')
            ids.add(migration.id)
        if migration.status != 'running':
            continue
        if server.uuid in running:
            doc.fail(where, f'server {preview(server.name)} already has a '
                            'running migration')
        if server.vm_state not in ('active', 'paused'):
            doc.fail(where, f'server {preview(server.name)} is '
                            f'{server.vm_state}; only active or paused '
                            'servers live-migrate')
        running.add(server.uuid)
