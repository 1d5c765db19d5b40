"""OpenStackClient plugin module (entry point ``openstack.cli.extension``).

``openstack`` imports every plugin module on every run, even for
``openstack server list``, so this module imports nothing at all: the SDK
is imported inside make_client(), which the client manager calls only when
our command asks for its client.

How OSC uses these names (openstackclient/shell.py ``_load_plugins`` and
openstackclient/common/clientmanager.py ``get_plugin_modules``), and the
pitfalls each choice avoids:

* ``API_NAME`` becomes a client-manager attribute holding make_client()'s
  result. Ours is our own name: ``compute`` would replace the compute
  client that every ``openstack server ...`` command uses.
* The command group is ``openstack.<API_NAME>.v<major>`` where the major
  version comes from ``DEFAULT_API_VERSION`` unless the user set our
  version option. Without a default the group would be
  ``openstack.migration_force.vNone`` and our command would silently not
  exist.
* build_option_parser() adds no option: ``--os-compute-api-version``
  belongs to OSC's compute plugin, and adding it a second time makes
  argparse fail on every ``openstack`` run. We read the user's value from
  the cloud configuration instead (see pinned_compute_version()).
"""

API_NAME = 'migration_force'
API_VERSION_OPTION = 'os_migration_force_api_version'
DEFAULT_API_VERSION = '2'
API_VERSIONS = ('2',)

# Compute versions that mean "no particular microversion": with them the
# SDK negotiates. OSC's compute plugin documents ``2.1`` as its default, but
# that default is never written into the configuration, so a ``2.1`` found
# there was chosen by the user and is honoured like any other pin.
_UNPINNED = frozenset(('', '2', '2.0', 'latest', '2.latest'))


def pinned_compute_version(config):
    """The compute microversion the user asked for, or None to negotiate.

    ``config`` is the cloud configuration (``ClientManager
    .get_configuration()``). ``compute_api_version`` is in it only when the
    user set it: ``--os-compute-api-version``, ``OS_COMPUTE_API_VERSION`` or
    ``compute_api_version`` in clouds.yaml. OSC's compute plugin falls back
    to its ``DEFAULT_API_VERSION`` without storing it there, which is how a
    default is told apart from a choice.
    """
    version = config.get('compute_api_version')
    if version is None or str(version).strip().lower() in _UNPINNED:
        return None
    return str(version).strip()


def make_client(instance):
    """Build our SDK client on the client manager's authenticated session.

    One keystoneauth session is shared with the rest of OSC, so the token
    already obtained is reused and connections are pooled.
    """
    from novaclient_force import client

    config = instance.get_configuration()
    return client.Client(
        session=instance.session,
        region_name=instance.region_name,
        interface=instance.interface,
        endpoint_override=config.get('compute_endpoint_override'),
        api_version=pinned_compute_version(config),
    )


def build_option_parser(parser):
    """Add no global option (see the module docstring)."""
    return parser
