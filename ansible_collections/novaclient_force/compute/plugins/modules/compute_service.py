#!/usr/bin/python
# Copyright: novaclient-force developers
# Apache License 2.0 (see http://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r'''
module: compute_service
short_description: Enable or disable a Nova compute service
version_added: 0.1.0
description:
  - Enables or disables the service O(binary) of a compute host, as
    C(openstack compute service set --enable) or C(--disable) does. The
    scheduler places no new server on a host whose nova-compute service
    is disabled.
  - The openstack.cloud collection has no module for it; a rolling
    maintenance re-enables each host with it once the host is back.
  - Uses compute API microversion 2.53 or later (services by UUID),
    negotiated for you; Nova's default policy allows it to admins only.
extends_documentation_fragment:
  - novaclient_force.compute.cloud
options:
  host:
    description:
      - The compute host whose service to change.
    type: str
    required: true
  binary:
    description:
      - The service, on O(host).
    type: str
    default: nova-compute
  state:
    description:
      - Whether the service should be enabled or disabled.
    type: str
    default: enabled
    choices: [enabled, disabled]
  disabled_reason:
    description:
      - Why it is disabled, with O(state=disabled); a service already
        disabled for another reason is given this one.
    type: str
attributes:
  check_mode:
    description: Can run in check mode and say what it would change.
    support: full
    details:
      - Reads the service and says whether it would change it.
  diff_mode:
    description: Shows no diff.
    support: none
author:
  - novaclient-force developers
'''

EXAMPLES = r'''
- name: Put compute-1 back into service
  novaclient_force.compute.compute_service:
    cloud: mycloud
    host: compute-1
    state: enabled

- name: Keep the scheduler away from compute-2
  novaclient_force.compute.compute_service:
    cloud: mycloud
    host: compute-2
    state: disabled
    disabled_reason: firmware upgrade
'''

RETURN = r'''
service:
  description: The service as Nova shows it after the task.
  returned: success
  type: dict
  contains:
    id:
      description: The service's UUID.
      type: str
    host:
      description: Its host.
      type: str
    binary:
      description: Its binary.
      type: str
    status:
      description: enabled or disabled.
      type: str
    disabled_reason:
      description: Why it is disabled, if it is.
      type: str
    state:
      description: up or down.
      type: str
rc:
  description:
    - The exit status an C(openstack) command of this project gives for
      the same error; 0 on success, 1 refused (no such service, policy),
      6 unreachable, 7 a server error.
  returned: when the SDK ran
  type: int
  sample: 0
kind:
  description: The kind of error, when the task failed.
  returned: failure
  type: str
  sample: PolicyRefused
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaclient_force.compute.plugins.module_utils import (
    cloud,
)


def main():
    module = AnsibleModule(
        argument_spec=cloud.argument_spec(
            host={'type': 'str', 'required': True},
            binary={'type': 'str', 'default': 'nova-compute'},
            state={'type': 'str', 'default': 'enabled',
                   'choices': ['enabled', 'disabled']},
            disabled_reason={'type': 'str'},
        ),
        supports_check_mode=True,
    )
    cloud.require_sdk(module)
    from novaclient_force import exceptions

    params = module.params
    if params['disabled_reason'] is not None and (
            params['state'] != 'disabled'):
        cloud.fail(module, exceptions.InvalidArgument(
            'disabled_reason applies only with state=disabled'))
    compute = cloud.client(module).server_migrations.compute
    try:
        service = cloud.compute_service(compute, params['host'],
                                        params['binary'])
        wanted = {'status': params['state']}
        if params['disabled_reason'] is not None:
            wanted['disabled_reason'] = params['disabled_reason']
        changed = any(service.get(key) != value
                      for key, value in wanted.items())
        if changed and not module.check_mode:
            service = cloud.set_service(compute, service, wanted)
    except exceptions.ForceCompleteError as error:
        cloud.fail(module, error, changed=False)
    module.exit_json(changed=changed, service=service, rc=0)


if __name__ == '__main__':
    main()
