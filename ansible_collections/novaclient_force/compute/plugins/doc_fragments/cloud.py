# Copyright: novaclient-force developers
# Apache License 2.0 (see http://www.apache.org/licenses/LICENSE-2.0)
"""The cloud options every module of the collection takes, named and
read as openstack.cloud's modules do (its ``openstack`` doc fragment)."""


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - A cloud name from C(clouds.yaml), or a dict of cloud settings.
      - Without it, openstacksdk's config loader picks the cloud as
        C(openstack) does (E(OS_CLOUD), else the E(OS_*) variables).
    type: raw
  auth:
    description:
      - Authentication settings (C(auth_url), C(username), C(password),
        C(project_name), ...), merged over the cloud's.
    type: dict
  auth_type:
    description:
      - The keystoneauth plugin to authenticate with, such as
        C(password) or C(token).
    type: str
  region_name:
    description:
      - The region whose compute endpoint to use.
    type: str
  validate_certs:
    description:
      - Whether to verify the cloud's TLS certificates; the cloud's
        setting when not given.
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - A CA bundle to verify the cloud's certificates with.
    type: str
    aliases: [cacert]
  client_cert:
    description:
      - A client certificate for TLS client authentication.
    type: str
    aliases: [cert]
  client_key:
    description:
      - The key of O(client_cert), if it is not in the same file.
    type: str
    aliases: [key]
  api_timeout:
    description:
      - Seconds to wait for any one answer of the cloud.
    type: int
  interface:
    description:
      - The catalog interface (endpoint type) of the compute endpoint.
    type: str
    default: public
    choices: [admin, internal, public]
    aliases: [endpoint_type]
requirements:
  - python >= 3.10
  - novaclient-force (on the host that runs the module)
notes:
  - The module talks to the cloud's APIs, so it runs where the SDK is
    installed, usually in a play on C(localhost) or delegated to it.
'''
