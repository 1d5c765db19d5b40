"""One force-complete: requests and wall time per command, ours and
upstream side by side, and the SDK's requests against their targets (one
compute request by server UUID and migration ID, plus one to look up a
server name and one to find the migration).

Every run forces a different, still running live migration of the
``host-maintenance`` scenario (server ``maint-vm-00K`` has migration K),
so each one takes the same path through Nova: the request is accepted.
The caller is ``demo-manager`` in project ``demo``, which owns the
servers: upstream OSC does not search other projects by name, so as admin
its name cases would fail and there would be nothing to compare.
"""

import dataclasses

import clirun
import requestlog

USER, PROJECT = 'demo-manager', 'demo'
FORCE = ('server', 'migration', 'force', 'complete')


@dataclasses.dataclass(frozen=True)
class Case:
    program: str        # 'openstack' or 'nova'
    by_name: bool
    with_id: bool

    @property
    def label(self):
        server = 'name' if self.by_name else 'UUID'
        migration = 'migration ID' if self.with_id else 'auto-detect'
        return f'{server}, {migration}'

    @property
    def ours_only(self):
        """Upstream needs the migration ID."""
        return not self.with_id

    def argv(self, env, target):
        name, uuid, migration = target
        args = [name if self.by_name else uuid]
        if self.with_id:
            args.append(str(migration))
        if self.program == 'openstack':
            return [env.openstack, *FORCE, *args]
        return [env.nova, 'live-migration-force-complete', *args]


CASES = tuple(Case(program, by_name, with_id)
              for program in ('openstack', 'nova')
              for with_id in (True, False)
              for by_name in (False, True))


def targets(count):
    """(name, UUID, migration ID) of the scenario's running migrations."""
    from novaclient_force.refserver.state import scenarios

    return [(f'maint-vm-{k:03d}', scenarios.server_uuid(f'maint-vm-{k:03d}'),
             k) for k in range(1, count + 1)]


# What the quick latency run measures: the case with a target of one
# compute request.
BY_IDS = tuple(case for case in CASES if case.with_id and not case.by_name)


def servers_needed(rounds, cases=CASES):
    per_round = sum(1 if case.ours_only else 2 for case in cases)
    return rounds * per_round + len(SDK_CASES)


def measure_clis(server, upstream, ours, rounds, pool, cases=CASES):
    """{(case, env name): [Run...]}, ``rounds`` runs each, interleaved:
    the two programs alternate who goes first from round to round."""
    log = requestlog.RequestLog(server)
    envs = {'openstack': server.env('refserver-manager'),
            'nova': clirun.nova_env(server, USER, PROJECT)}
    runs = {}
    for round_no in range(rounds):
        for case in cases:
            order = (ours,) if case.ours_only else (
                (upstream, ours) if round_no % 2 == 0 else (ours, upstream))
            for env in order:
                argv = case.argv(env, pool.pop(0))
                runs.setdefault((case, env.name), []).append(
                    clirun.run(argv, envs[case.program], log))
    return runs


@dataclasses.dataclass(frozen=True)
class SdkCase:
    by_name: bool
    with_id: bool
    target: int         # compute requests the SDK should need

    @property
    def label(self):
        return Case('sdk', self.by_name, self.with_id).label


SDK_CASES = (SdkCase(False, True, 1), SdkCase(False, False, 2),
             SdkCase(True, True, 2), SdkCase(True, False, 3))


def measure_sdk(server, pool):
    """[(SdkCase, compute requests, identity requests, outcome status)]:
    a new client and session per case, so negotiation is counted."""
    from novaclient_force import client

    log = requestlog.RequestLog(server)
    rows = []
    for case in SDK_CASES:
        name, uuid, migration = pool.pop(0)
        nc = client.Client(session=server.session(USER, PROJECT))
        result = nc.server_migrations.force_complete(
            name if case.by_name else uuid,
            migration if case.with_id else None)
        compute, identity = requestlog.split(log.take())
        rows.append((case, compute, identity, result.status))
    return rows
