#!/usr/bin/python
# Copyright: novaclient-force developers
# Apache License 2.0 (see http://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r'''
module: live_migration_force_complete
short_description: Force a Nova live migration to complete
version_added: 0.1.0
description:
  - Sends Nova's force-complete action (compute API microversion 2.22,
    negotiated for you) for one live migration, which pauses the guest,
    or switches the copy to post-copy, so that a migration that does not
    converge ends.
  - With O(wait), follows the migration to its real outcome (Nova only
    answers 202) and fails the task unless it completed.
  - With O(stalled_after) or O(force_after), the migration is watched
    and forced only once it has stalled, or run, that long; one that
    ends first is never forced.
  - Runs the novaclient-force SDK's
    C(server_migrations.force_complete); the task's O(ignore:rc) is the
    exit status C(openstack server migration force complete) gives for
    the same outcome.
extends_documentation_fragment:
  - novaclient_force.compute.cloud
options:
  server:
    description:
      - Name or ID of the server whose live migration to force.
    type: str
    required: true
  migration:
    description:
      - The migration's integer ID or UUID; without it, the one live
        migration in progress on O(server).
    type: str
  wait:
    description:
      - Wait for the migration's outcome. Without it the task ends once
        Nova accepted the force-complete.
    type: bool
    default: true
  timeout:
    description:
      - Seconds the wait (and a threshold's watch) may last; the task
        fails with C(rc=5) when the migration is still in progress then.
    type: float
    default: 180
  stalled_after:
    description:
      - Force only once the migration's remaining memory has not shrunk
        for this many seconds.
    type: float
  force_after:
    description:
      - Force only once the migration has run for this many seconds.
    type: float
attributes:
  check_mode:
    description: Can run in check mode and say what it would change.
    support: full
    details:
      - Finds the server and its migration and says whether it would be
        forced; sends no force-complete.
  diff_mode:
    description: Shows no diff.
    support: none
author:
  - novaclient-force developers
'''

EXAMPLES = r'''
- name: Force the one live migration in progress on busy-vm
  novaclient_force.compute.live_migration_force_complete:
    cloud: mycloud
    server: busy-vm

- name: Force migration 42 only if its copy stalls for a minute
  novaclient_force.compute.live_migration_force_complete:
    cloud: mycloud
    server: 8f6c3a2e-4c1b-4c59-9d3e-2f0a5b7c9d11
    migration: '42'
    stalled_after: 60
    timeout: 900
  register: forced

- name: Say how it went
  ansible.builtin.debug:
    msg: "{{ forced.status }} ({{ forced.reason }})"
'''

RETURN = r'''
status:
  description:
    - What became of the migration; C(completed), or without O(wait)
      C(accepted), unless the task failed.
  returned: when a migration was found
  type: str
  sample: completed
forced:
  description: Whether Nova accepted a force-complete (so C(changed)).
  returned: when a migration was found
  type: bool
  sample: true
reason:
  description: Why, in the cloud's words where possible.
  returned: when a migration was found
  type: str
  sample: completed on compute-2
detail:
  description: The reason, and the command that follows the migration
    when its outcome may still change.
  returned: when a migration was found
  type: str
server:
  description: The server's ID.
  returned: when a migration was found
  type: str
server_name:
  description: The server's name, when it was given by name.
  returned: when a migration was found
  type: str
migration:
  description: The migration's integer ID.
  returned: when a migration was found
  type: int
  sample: 7
migration_uuid:
  description: The migration's UUID, when Nova showed it.
  returned: when a migration was found
  type: str
migration_status:
  description: Nova's last seen status of the migration.
  returned: when a migration was found
  type: str
  sample: completed
policy_note:
  description: Why a threshold forced the migration, or left it alone.
  returned: when a migration was found
  type: str
duration:
  description: Seconds from the request to the final answer.
  returned: when a migration was found
  type: float
diagnosis:
  description:
    - What the memory counters said when the migration was judged
      (O(stalled_after), O(force_after)); null when it was not.
  returned: when a migration was found
  type: dict
  contains:
    state:
      description: converging, stalled, growing or unknown.
      type: str
    remaining_bytes:
      description: Memory still to copy.
      type: int
    total_bytes:
      description: The guest's memory.
      type: int
    transfer_rate:
      description: Bytes copied per second.
      type: float
    dirty_rate:
      description: Bytes the guest dirtied per second.
      type: float
    eta:
      description: Seconds to converge, when converging.
      type: float
    estimated_pause:
      description: Seconds the guest would be paused if forced.
      type: float
    stalled_for:
      description: Seconds since remaining memory last shrank.
      type: float
hint:
  description: A command that follows the migration, when it may still
    change.
  returned: when a migration was found
  type: str
rc:
  description:
    - The exit status C(openstack server migration force complete)
      gives for this result; 0 completed (or accepted without O(wait)),
      1 refused, 2 bad arguments, 3 failed, 4 cancelled, 5 timed out,
      6 unreachable, 7 a server error, 8 accepted but the outcome could
      not be read.
  returned: when the SDK ran
  type: int
  sample: 0
kind:
  description: The kind of error, when the task failed.
  returned: failure
  type: str
  sample: MigrationNotRunning
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaclient_force.compute.plugins.module_utils import (
    cloud,
)


def main():
    module = AnsibleModule(
        argument_spec=cloud.argument_spec(
            server={'type': 'str', 'required': True},
            migration={'type': 'str'},
            wait={'type': 'bool', 'default': True},
            timeout={'type': 'float', 'default': 180},
            stalled_after={'type': 'float'},
            force_after={'type': 'float'},
        ),
        supports_check_mode=True,
    )
    cloud.require_sdk(module)
    from novaclient_force import arguments, exceptions, outcome
    from novaclient_force.cli import checks, verdict

    params = module.params
    nc = cloud.client(module)
    policy = {name: params[name] for name in ('stalled_after', 'force_after')
              if params[name] is not None}
    try:
        migration = arguments.migration(params['migration'])
        if module.check_mode:
            module.exit_json(**_preview(nc, params['server'], migration,
                                        policy))
        result = nc.server_migrations.force_complete(
            params['server'], migration, wait=params['wait'],
            timeout=params['timeout'], **policy)
    except exceptions.Interrupted as stop:
        cloud.interrupted(module, stop)
    except exceptions.ForceCompleteError as error:
        cloud.fail(module, error, changed=False)
    report = verdict.of_outcomes([result], checks.Request(
        server=params['server'], migration=migration, wait=params['wait']))
    results = cloud.fields(result)
    if report.exit_code:
        module.fail_json(msg=report.message, kind=report.kind,
                         changed=result.forced, **results)
    words = outcome.ACCEPTED if result.status == outcome.ACCEPTED \
        else result.detail
    module.exit_json(changed=result.forced, msg=words, **results)


def _preview(nc, server, migration, policy):
    """Check mode: what a run would act on, read but not forced.

    The migration is found as a run finds it, and what a run would be
    refused for (no live migration in progress, or one that is not
    running and would be forced at once) fails the check too. It is
    ``changed`` when a run would force it: it runs, or a threshold
    would watch it and may force it.
    """
    from novaclient_force import exceptions, outcome, resolve, statuses

    compute = nc.server_migrations.compute
    ref = resolve.server(compute, server)
    found = resolve.migration(compute, ref, migration)
    row = next((r for r in resolve.in_progress(compute, ref)
                if int(r['id']) == found.id), None)
    what = f'migration {found.id} of server {ref.label}'
    if row is None:
        raise exceptions.MigrationNotFound(
            f'check mode: {what} is not in progress')
    status = row.get('status') or ''
    if status == statuses.RUNNING:
        would = 'would be forced' if not policy else (
            'would be watched, and forced once a threshold is reached')
    elif policy:
        would = f'is {status}: it would be watched once it runs'
    else:
        raise exceptions.MigrationNotRunning(
            f'check mode: {what} is {status}, not running: a run would '
            'be refused')
    return {
        'changed': True, 'msg': f'check mode: {what} {would}',
        'server': ref.id, 'server_name': ref.name, 'migration': found.id,
        'migration_uuid': row.get('uuid') or '', 'migration_status': status,
        'status': outcome.NOT_FORCED, 'forced': False,
        'reason': 'check mode', 'rc': 0,
    }


if __name__ == '__main__':
    main()
