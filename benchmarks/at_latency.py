"""The benchmarks through the delaying proxy (latency.py): one force by
each library, and the host drain at several pool sizes against the bare
floors at the same latency and pool size."""

import dataclasses
import time

import clirun
import host_drain
import latency
import requestlog
import single


def _ours(proxied, uuid, migration):
    from novaclient_force import client

    nc = client.Client(session=proxied.session(single.USER, single.PROJECT))
    return nc.server_migrations.force_complete(uuid, migration).status


def _novaclient(proxied, uuid, migration):
    from novaclient import client

    nc = client.Client('2.22', session=proxied.session(single.USER,
                                                       single.PROJECT))
    nc.server_migrations.live_migrate_force_complete(uuid, migration)
    return 'accepted'


def _openstacksdk(proxied, uuid, migration):
    from openstack import connection
    from openstack.config import loader

    config = loader.OpenStackConfig(config_files=[proxied.clouds_yaml])
    conn = connection.Connection(config=config.get_one('refserver-manager'))
    conn.compute.force_complete_server_migration(migration, server=uuid)
    conn.close()
    return 'accepted'


LIBRARIES = (('novaclient-force SDK', _ours),
             ('python-novaclient', _novaclient),
             ('openstacksdk', _openstacksdk))


def libraries_needed(rounds):
    return rounds * len(LIBRARIES)


def measure_libraries(proxied, pool, rounds):
    """{label: [(seconds, compute requests, identity requests)]}: a new
    session per call (token and version discovery included), by server
    UUID and migration ID; the order rotates every round."""
    import novaclient.client  # noqa: F401  imports are not timed
    import openstack.connection  # noqa: F401

    import novaclient_force.client  # noqa: F401

    log = requestlog.RequestLog(proxied)
    rows = {}
    for round_no in range(rounds):
        order = LIBRARIES[round_no % 3:] + LIBRARIES[:round_no % 3]
        for label, call in order:
            _, uuid, migration = pool.pop(0)
            began = time.perf_counter()
            call(proxied, uuid, migration)
            seconds = time.perf_counter() - began
            compute, identity = requestlog.split(log.take())
            rows.setdefault(label, []).append(
                (seconds, len(compute), len(identity)))
    return rows


@dataclasses.dataclass
class Drain:
    """Seconds per run, by pool size (connections: opened per run, as the
    proxy counted them)."""

    size: int
    pools: tuple
    osc_startup: list = dataclasses.field(default_factory=list)
    ours_cli: dict = dataclasses.field(default_factory=dict)
    bare_process: dict = dataclasses.field(default_factory=dict)
    sdk: dict = dataclasses.field(default_factory=dict)
    bare_listed: dict = dataclasses.field(default_factory=dict)
    session_posts: dict = dataclasses.field(default_factory=dict)
    bare_posts: dict = dataclasses.field(default_factory=dict)
    sdk_connections: dict = dataclasses.field(default_factory=dict)
    bare_connections: dict = dataclasses.field(default_factory=dict)


def measure_drain(ours, size, pools, repeats, delay, server_delay):
    """At each pool size, interleaved: ours ``--host --concurrency``
    against the bare client process, and the SDK drain against the bare
    floors in this process (listing and POSTs; POSTs alone), with the same
    POSTs through a keystoneauth session between them."""
    from novaclient_force.refserver import fixture

    result = Drain(size, tuple(pools))
    with fixture.RefServer('host-maintenance', servers=size,
                           time_scale=host_drain.TIME_SCALE) as server:
        proxied = latency.Proxied(server, delay, server_delay)
        try:
            log = requestlog.RequestLog(proxied)
            session = proxied.session('admin', 'admin')
            token = session.get_token()
            listed = single.targets(size)
            targets = [(uuid, mid) for _, uuid, mid in listed]
            for _ in range(repeats):
                result.osc_startup.append(clirun.run(
                    [ours.openstack, '--version'], proxied.env()).seconds)
                for pool in pools:
                    _add(result.bare_process, pool,
                         host_drain.bare_process(proxied, size, pool))
                    log.take()
                    _add(result.ours_cli, pool, host_drain.cli_drain(
                        proxied, ours, log, size, pool).seconds)
                    opened = proxied.proxy.connections
                    seconds, codes = host_drain.bare_client.post_all(
                        proxied.url, token, targets, pool)
                    host_drain.all_accepted('bare POSTs', codes, size)
                    _add(result.bare_posts, pool, seconds)
                    _add(result.bare_connections, pool,
                         proxied.proxy.connections - opened)
                    seconds, codes = host_drain.bare_client.list_and_post(
                        proxied.url, token, host_drain.HOST, pool)
                    host_drain.all_accepted('bare listing and POSTs', codes,
                                            size)
                    _add(result.bare_listed, pool, seconds)
                    _add(result.session_posts, pool,
                         _session_posts(proxied, listed, pool))
                    opened = proxied.proxy.connections
                    _add(result.sdk, pool,
                         host_drain.sdk_drain(proxied, size, pool))
                    _add(result.sdk_connections, pool,
                         proxied.proxy.connections - opened)
        finally:
            proxied.close()
    return result


def _session_posts(proxied, targets, pool):
    """The POSTs through a new keystoneauth session holding a token, as
    the SDK drain's session is."""
    session = proxied.session('admin', 'admin')
    session.get_token()
    try:
        return host_drain.session_posts(proxied, session, targets, pool)
    finally:
        session.session.close()


def _add(runs, pool, value):
    runs.setdefault(pool, []).append(value)
