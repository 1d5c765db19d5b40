#!/usr/bin/python
# Copyright: novaclient-force developers
# Apache License 2.0 (see http://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r'''
module: compute_host_drain
short_description: Empty a Nova compute host of its servers
version_added: 0.1.0
description:
  - Does what C(openstack compute host drain) does, with the same
    options. It disables the host's nova-compute service, live-migrates
    every server on it (cold-migrates stopped ones with
    O(cold_migrate_stopped)), forces what does not converge as the
    forcing options say, follows every migration to its end and checks
    that the host holds no server.
  - The task succeeds only when the host is empty at the end, and fails
    otherwise with the command's exit status in C(rc) (9 when servers
    were left on the host). It returns one result per server.
  - A host that is already empty and disabled is left as it is
    (C(changed=false)), so running the task again changes nothing.
  - Runs the novaclient-force SDK's C(server_migrations.drain_host).
    Nova's default policies let only admins do this.
extends_documentation_fragment:
  - novaclient_force.compute.cloud
options:
  host:
    description:
      - The compute host to empty.
    type: str
    required: true
  auto:
    description:
      - Force each running live migration as soon as its memory counters
        prove it will not converge on its own (C(--auto)); one that
        converges is left alone. Without memory counters it is forced
        after 60 seconds of running.
      - Unset, this is the policy unless O(stalled_after) or
        O(force_after) is given; V(false) without them forces each
        migration as soon as it runs, as O(force_after=0).
    type: bool
  stalled_after:
    description:
      - Force a running live migration only once its memory counters
        have shown no progress towards completion for this many seconds.
    type: float
  force_after:
    description:
      - Force a running live migration only once it has run this many
        seconds.
    type: float
  force:
    description:
      - Force running live migrations, as O(auto), O(stalled_after) or
        O(force_after) say. V(false) forces none (C(--no-force)).
    type: bool
    default: true
  deadline:
    description:
      - Seconds from now by which the host must be empty; a migration
        whose estimated end, counting the queue behind it, would overrun
        it is forced.
    type: float
  target_host:
    description:
      - The host to move the servers to; the scheduler's choice when not
        given.
    type: str
  cold_migrate_stopped:
    description:
      - Cold-migrate stopped (SHUTOFF) servers and confirm their resize;
        otherwise they are left on the host and reported.
    type: bool
    default: false
  keep_enabled:
    description:
      - Leave the host's nova-compute service enabled
        (C(--keep-enabled)).
    type: bool
    default: false
  disable_reason:
    description:
      - Why the service is disabled; a reason naming this tool and the
        time when not given.
    type: str
  order:
    description:
      - V(soonest) sends the migrations in the order that empties the
        host soonest, V(listed) in the order Nova lists the servers.
    type: str
    default: soonest
    choices: [soonest, listed]
  timeout:
    description:
      - Seconds the whole drain may last; no limit when not given.
    type: float
attributes:
  check_mode:
    description: Can run in check mode and say what it would change.
    support: full
    details:
      - The drain's dry run (C(--dry-run)), reading only, returns the
        plan, one result per server saying what would be done and why.
        It fails, as the drain would, when the plan leaves servers on
        the host.
  diff_mode:
    description: Shows no diff.
    support: none
author:
  - novaclient-force developers
'''

EXAMPLES = r'''
- name: Empty compute-1, forcing what stalls for a minute
  novaclient_force.compute.compute_host_drain:
    cloud: mycloud
    host: compute-1
    stalled_after: 60
    cold_migrate_stopped: true
    disable_reason: kernel upgrade
    timeout: 3600
  register: drained

- name: Where every server went
  ansible.builtin.debug:
    msg: "{{ item.server_name }}: {{ item.status }} to {{ item.destination }}"
  loop: "{{ drained.servers }}"
'''

RETURN = r'''
host:
  description: The host drained.
  returned: when the SDK ran
  type: str
empty:
  description: Whether the host held no server at the last look.
  returned: when the SDK ran
  type: bool
disabled:
  description: Whether its nova-compute service is disabled.
  returned: when the SDK ran
  type: bool
still_there:
  description: The servers the last look found on the host.
  returned: when the SDK ran
  type: list
  elements: str
servers:
  description:
    - One result per server that was on the host, with what was done
      with it.
  returned: when the SDK ran
  type: list
  elements: dict
  contains:
    action:
      description: live-migrate, cold-migrate, follow (already migrating)
        or leave (left on the host, with the reason).
      type: str
    status:
      description: completed, failed, cancelled, timed out, unknown,
        error, left, or planned (check mode).
      type: str
    forced:
      description: Whether Nova accepted a force-complete for it.
      type: bool
    reason:
      description: Why, in the cloud's words where possible.
      type: str
    server:
      description: The server's ID.
      type: str
    server_name:
      description: The server's name.
      type: str
    source:
      description: The host it left, or was to leave.
      type: str
    destination:
      description: Where it went.
      type: str
    migration:
      description: The migration's integer ID.
      type: int
    estimated_pause:
      description: Seconds its guest would be paused if forced.
      type: float
    diagnosis:
      description: What its memory counters said when it was judged.
      type: dict
    rc:
      description: The exit status this server's result alone means.
      type: int
rc:
  description:
    - The exit status of C(openstack compute host drain); 0 only when
      the host is empty, 9 when servers were left on it, 3 a migration
      failed, 5 timed out, 8 accepted but the outcome could not be read,
      1 refused, 2 bad arguments.
  returned: when the SDK ran
  type: int
  sample: 0
kind:
  description: The kind of error, when the task failed on one.
  returned: failure
  type: str
  sample: UnknownHost
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaclient_force.compute.plugins.module_utils import (
    cloud,
)

_SDK_OPTIONS = ('auto', 'stalled_after', 'force_after', 'force',
                'deadline', 'target_host', 'cold_migrate_stopped',
                'disable_reason', 'order', 'timeout')


def main():
    module = AnsibleModule(
        argument_spec=cloud.argument_spec(
            host={'type': 'str', 'required': True},
            auto={'type': 'bool'},
            stalled_after={'type': 'float'},
            force_after={'type': 'float'},
            force={'type': 'bool', 'default': True},
            deadline={'type': 'float'},
            target_host={'type': 'str'},
            cold_migrate_stopped={'type': 'bool', 'default': False},
            keep_enabled={'type': 'bool', 'default': False},
            disable_reason={'type': 'str'},
            order={'type': 'str', 'default': 'soonest',
                   'choices': ['soonest', 'listed']},
            timeout={'type': 'float'},
        ),
        mutually_exclusive=[('keep_enabled', 'disable_reason')],
        supports_check_mode=True,
    )
    cloud.require_sdk(module)
    from novaclient_force import exceptions
    from novaclient_force.cli import draining

    params = module.params
    if not params['force'] and (params['auto'] or any(
            params[name] is not None
            for name in ('stalled_after', 'force_after', 'deadline'))):
        cloud.fail(module, exceptions.InvalidArgument(
            'force=false forces nothing: auto, stalled_after, force_after '
            'and deadline say when to force'))
    options = {name: params[name] for name in _SDK_OPTIONS}
    manager = cloud.client(module).server_migrations
    host = params['host']
    was_disabled = _disabled(manager.compute, host)
    disabling = not params['keep_enabled'] and was_disabled is not True
    try:
        drained = manager.drain_host(
            host, disable=not params['keep_enabled'],
            dry_run=module.check_mode, **options)
    except exceptions.Interrupted as stop:
        cloud.interrupted(
            module, stop, draining.interrupted(stop, host),
            changed=cloud.interrupted_drain_changed(
                stop.outcomes, disabling and not module.check_mode))
    except exceptions.ForceCompleteError as error:
        # A refusal or a bad argument comes before anything is sent;
        # anything else may come once the service was disabled: its
        # state tells.
        changed = (disabling and not module.check_mode
                   and error.exit_code not in (exceptions.EXIT_ERROR,
                                               exceptions.EXIT_USAGE)
                   and _disabled(manager.compute, host) is True)
        cloud.fail(module, error, changed=changed)
    results = cloud.drained(drained, disabling)
    if results['rc']:
        module.fail_json(**results)
    module.exit_json(**results)


def _disabled(compute, host):
    """Whether the host's nova-compute service is disabled (before the
    drain: a drain of a host already empty and disabled is no change;
    after a failure: whether the drain got that far); None if it cannot
    be told."""
    from novaclient_force import compute_services, exceptions

    try:
        return compute_services.of_host(compute, host).disabled
    except exceptions.ForceCompleteError:
        return None


if __name__ == '__main__':
    main()
