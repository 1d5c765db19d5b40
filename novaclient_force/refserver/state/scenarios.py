"""Scenarios: the hosts, servers, workloads and migrations to start with.

A scenario is a plain dataclass tree. :func:`load` returns one for a
built-in name (:data:`BUILTIN`) or a YAML file, whose format is documented
in ``doc/source/scenarios.rst``. Invalid input raises
:class:`ScenarioError` with a one-line message naming the file and the
faulty entry.

Built-in UUIDs are ``uuid5`` of the server name (:func:`server_uuid`) and
migration IDs count from 1, so tests and docs can rely on them.
"""

import dataclasses
import os

from novaclient_force.refserver.state import executor, ids, simulator

BUILTIN = ('stuck-migration', 'host-maintenance', 'host-evacuation',
           'empty')
#: devstack's projects, always present (see the identity module).
BUILTIN_PROJECTS = ('admin', 'demo', 'alt_demo')
#: 10 Gbit/s: a forced 4 GiB copy takes about 3.5 simulated seconds.
DEFAULT_BANDWIDTH = 1.25e9
DEFAULT_HOSTS = ('compute-1', 'compute-2', 'compute-3')
DEFAULT_MAINTENANCE_SERVERS = 20
DEFAULT_EVACUATION_SERVERS = 12
#: Workloads, as the bytes per second a guest dirties.
BUSY_DIRTY_RATE = 2e9       # faster than the link: never converges
IDLE_DIRTY_RATE = 20e6      # converges after the first round
#: Converges in a few rounds with the whole 10 Gbit/s link, never on a
#: quarter of it.
ACTIVE_DIRTY_RATE = 400e6
VM_STATES = ('active', 'paused', 'stopped', 'suspended', 'error')
#: ``running`` is in progress (the simulator takes it from there given
#: ``started_ago``); the others are finished migrations kept as history.
MIGRATION_STATUSES = ('running', 'completed', 'cancelled', 'failed',
                      'error')
#: Scenario file keys under ``config:`` -> LiveMigrationConfig fields;
#: the keys are Nova's ``[libvirt]`` option names.
CONFIG_OPTIONS = {
    'live_migration_completion_timeout': 'completion_timeout',
    'live_migration_timeout_action': 'timeout_action',
    'live_migration_downtime': 'downtime_ms',
    'live_migration_downtime_steps': 'downtime_steps',
    'live_migration_downtime_delay': 'downtime_delay',
    'live_migration_monitor_interval': 'monitor_interval',
}
#: ``config:`` key for Nova's ``[DEFAULT]`` option of the same name.
LIMIT_OPTION = 'max_concurrent_live_migrations'
#: SQLite's largest INTEGER: sizes and IDs must fit in a column.
SQLITE_MAX_INT = 2 ** 63 - 1
#: Ten years: older starts would not fit the clocks times are shown on.
MAX_STARTED_AGO = 10 * 365 * 86400
_UUID_NAMESPACE = ids.namespace('5b4a4c1e-7c1d-5a53-9d0e-2f6f7263652d')
GIB = simulator.GIB


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message is one line."""


@dataclasses.dataclass(frozen=True)
class Host:
    name: str
    permit_post_copy: bool = False


@dataclasses.dataclass(frozen=True)
class Link:
    """A network path between two hosts. The migrations running over a
    ``shared`` link at once divide its bandwidth; one that is not shared
    gives each migration all of it (a non-blocking fabric)."""

    src: str
    dest: str
    bandwidth: float
    shared: bool = True


@dataclasses.dataclass(frozen=True)
class Server:
    name: str
    uuid: str
    project: str
    host: str
    memory_bytes: int
    dirty_rate: float
    vm_state: str = 'active'
    locked: bool = False
    disk_bytes: int = 0
    #: The writable working set: the most a pre-copy bitmap sync finds
    #: dirty (None: all of its memory, so a guest dirtying faster than
    #: its link re-sends its whole RAM every round).
    working_set_bytes: int | None = None


@dataclasses.dataclass(frozen=True)
class Migration:
    server: str
    dest: str
    status: str = 'running'
    started_ago: float = 60.0
    uuid: str | None = None
    id: int | None = None
    block_migration: bool = False


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    password: str
    roles: tuple = ()        # ((role, project name), ...)


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    hosts: tuple = ()
    links: tuple = ()
    default_bandwidth: float = DEFAULT_BANDWIDTH
    servers: tuple = ()
    migrations: tuple = ()
    users: tuple = ()
    projects: tuple = ()
    config: simulator.LiveMigrationConfig = simulator.LiveMigrationConfig()
    max_concurrent_live_migrations: int = executor.DEFAULT_LIMIT


def server_uuid(name):
    """The deterministic UUID of a scenario server without an explicit one."""
    return ids.name_uuid(_UUID_NAMESPACE, f"server:{name}")


def migration_uuid(server_name):
    """The deterministic UUID of a scenario migration without one."""
    return ids.name_uuid(_UUID_NAMESPACE, f"migration:{server_name}")


def load(name_or_path, servers=None):
    """A built-in scenario by name, or one read from a YAML file.

    ``servers`` (``--servers N``) sizes ``host-maintenance``,
    ``host-evacuation`` and scenario files that declare ``scale:``;
    elsewhere it is an error.
    """
    if servers is not None and (isinstance(servers, bool)
                                or not isinstance(servers, int)
                                or servers < 1):
        raise ScenarioError('--servers must be a positive integer')
    if name_or_path == 'stuck-migration':
        return _only_fixed(stuck_migration(), servers)
    if name_or_path == 'host-maintenance':
        return host_maintenance(servers or DEFAULT_MAINTENANCE_SERVERS)
    if name_or_path == 'host-evacuation':
        return host_evacuation(servers or DEFAULT_EVACUATION_SERVERS)
    if name_or_path == 'empty':
        return _only_fixed(Scenario('empty', hosts=_hosts()), servers)
    if not os.path.isfile(name_or_path):
        raise ScenarioError(
            f'{name_or_path!r} is neither a built-in scenario '
            f"({', '.join(BUILTIN)}) nor a file")
    # Imported here: it imports this module, and built-ins need no YAML.
    from novaclient_force.refserver.state import scenario_files

    return scenario_files.read(name_or_path, servers)


def _only_fixed(scenario, servers):
    if servers is not None:
        raise ScenarioError(
            f'scenario {scenario.name!r} has a fixed set of servers; '
            '--servers applies to host-maintenance, host-evacuation and to '
            'files with a "scale" section')
    return scenario


def _hosts():
    return tuple(Host(name) for name in DEFAULT_HOSTS)


def stuck_migration():
    """``busy-vm`` stuck migrating to compute-2, ``busy-vm-2`` (same
    workload, not migrating) and ``idle-vm``, all in project demo on
    compute-1."""
    def server(name, dirty_rate, memory=4 * GIB):
        return Server(name, server_uuid(name), 'demo', 'compute-1', memory,
                      dirty_rate)

    return Scenario(
        'stuck-migration', hosts=_hosts(),
        servers=(server('busy-vm', BUSY_DIRTY_RATE),
                 server('busy-vm-2', BUSY_DIRTY_RATE),
                 server('idle-vm', IDLE_DIRTY_RATE, 2 * GIB)),
        migrations=(Migration('busy-vm', 'compute-2', started_ago=120.0,
                              uuid=migration_uuid('busy-vm'), id=1),))


def host_maintenance(count):
    """``count`` busy servers on compute-1 (``maint-vm-001``...), each with
    a running live migration that never converges unaided, alternately to
    compute-2 and compute-3 (a drain spreads its load). All of them run at
    once: ``max_concurrent_live_migrations`` is 0 (no limit). Its links
    are not shared: each migration has 10 Gbit/s to itself, so a forced
    copy takes about 3.5 simulated seconds however many there are (the
    scenario measures a client's drain, not a network's)."""
    links = tuple(Link('compute-1', dest, DEFAULT_BANDWIDTH, shared=False)
                  for dest in DEFAULT_HOSTS[1:])
    servers, migrations = [], []
    for index in range(count):
        name = f'maint-vm-{index + 1:03d}'
        servers.append(Server(name, server_uuid(name), 'demo', 'compute-1',
                              4 * GIB, BUSY_DIRTY_RATE))
        migrations.append(Migration(
            name, DEFAULT_HOSTS[1 + index % 2],
            started_ago=60.0 + index % 60, uuid=migration_uuid(name),
            id=index + 1))
    return Scenario('host-maintenance', hosts=_hosts(), links=links,
                    servers=tuple(servers), migrations=tuple(migrations),
                    max_concurrent_live_migrations=0)


#: host-evacuation's workloads in turn: (memory, dirty rate).
_EVACUATION_MIX = ((4 * GIB, BUSY_DIRTY_RATE), (2 * GIB, IDLE_DIRTY_RATE),
                   (4 * GIB, ACTIVE_DIRTY_RATE))


def host_evacuation(count):
    """A stock cloud evacuating compute-1: ``count`` servers
    (``evac-vm-001``...) whose live migrations were all requested 5
    simulated seconds ago, alternately to compute-2 and compute-3, under
    Nova's default ``max_concurrent_live_migrations`` of 1: the first runs,
    the others wait ``queued``. Workloads cycle busy (never converges),
    idle (converges at once) and active (converges in a few rounds on the
    whole link, not on a quarter of it)."""
    servers, migrations = [], []
    for index in range(count):
        name = f'evac-vm-{index + 1:03d}'
        memory, dirty_rate = _EVACUATION_MIX[index % len(_EVACUATION_MIX)]
        servers.append(Server(name, server_uuid(name), 'demo', 'compute-1',
                              memory, dirty_rate))
        migrations.append(Migration(
            name, DEFAULT_HOSTS[1 + index % 2], started_ago=5.0,
            uuid=migration_uuid(name), id=index + 1))
    return Scenario('host-evacuation', hosts=_hosts(),
                    servers=tuple(servers), migrations=tuple(migrations))
