"""The SDK entry point: a compute client on a keystoneauth1 session.

    from novaclient_force import client
    nc = client.Client(cloud='mycloud')      # clouds.yaml, like openstack
    nc = client.Client(connection=openstack.connect())
    nc = client.Client(session=sess)         # any keystoneauth1 session
    nc.server_migrations.force_complete('busy-vm', wait=True)

It is a python-novaclient v2 client (so ``nc.servers`` and the rest work)
whose ``server_migrations`` is our manager and whose microversion is
negotiated lazily, once, by that manager (see negotiation.py).
"""

import contextlib
import re

import novaclient
from novaclient import client as nova_client

from novaclient_force import exceptions, negotiation
from novaclient_force.v2 import server_migrations


class Client:
    """A compute client whose ``server_migrations`` force-completes.

    Give at most one of ``session`` (a keystoneauth1 session),
    ``connection`` (an ``openstack.connection.Connection``, whose session
    and region settings are used) and ``cloud`` (a cloud name for
    openstacksdk's config loader). With none of them the loader picks the
    cloud as ``openstack`` does: ``OS_CLOUD``, else ``OS_*`` variables.
    Settings of the cloud (``region_name``, ``interface``,
    ``compute_endpoint_override``, a microversion in
    ``compute_default_microversion`` or ``compute_api_version``) apply
    unless given here.

    ``api_version``: a version to pin ('2.N' or APIVersion); None
    negotiates. ``interface`` is the catalog interface (public by
    default).
    """

    def __init__(self, session=None, region_name=None, interface=None,
                 endpoint_override=None, api_version=None, cloud=None,
                 connection=None):
        given = [name for name, value in (('session', session),
                                          ('connection', connection),
                                          ('cloud', cloud))
                 if value is not None]
        if len(given) > 1:
            raise exceptions.InvalidArgument(
                f"Give one of {' and '.join(given)}, not both")
        if session is None:
            region = (connection.config if connection is not None
                      else _cloud_region(cloud))
            session = (connection.session if connection is not None
                       else region.get_session())
            region_name = region_name or region.region_name or None
            configured = region.get_interface('compute')
            interface = interface or (
                configured if isinstance(configured, str) else None)
            endpoint_override = (endpoint_override
                                 or region.get_endpoint('compute'))
            api_version = api_version or _configured_microversion(region)
        pinned = negotiation.as_version(api_version)
        # python-novaclient refuses versions above its own maximum; our
        # manager does not go through it, so only its managers are capped.
        self.compute = nova_client.Client(
            min(pinned or negotiation.OPTIMISTIC, novaclient.API_MAX_VERSION),
            session=session,
            region_name=region_name, endpoint_type=interface or 'public',
            endpoint_override=endpoint_override)
        self.server_migrations = server_migrations.ServerMigrationsManager(
            self.compute, pinned=pinned)
        self.compute.server_migrations = self.server_migrations

    @property
    def api_version(self):
        """The negotiated microversion (one discovery GET if nothing has
        been sent yet); after a request, the version it was accepted at."""
        return self.server_migrations.compute.version

    def __getattr__(self, name):
        # Everything else novaclient offers: nc.servers, nc.migrations...
        if 'compute' not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__['compute'], name)


def _cloud_region(cloud):
    """openstacksdk's settings for ``cloud``; imported only here, so a
    script that gives a session never imports openstacksdk."""
    from openstack import config as os_config

    with config_errors():
        return os_config.get_cloud_region(cloud=cloud)


@contextlib.contextmanager
def config_errors():
    """openstacksdk's loader refusing the settings, before anything is
    sent, as InvalidArgument: no such cloud, or an auth plugin missing an
    option (keystoneauth's MissingRequiredOptions, when no cloud is
    configured at all)."""
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions as os_exceptions

    try:
        yield
    except (os_exceptions.ConfigException, ksa_exceptions.OptionError) as exc:
        raise exceptions.InvalidArgument(
            f"Cloud configuration: {' '.join(str(exc).split())}") from None


def _configured_microversion(region):
    """A compute microversion the cloud's settings pin, or None; a bare
    major version such as openstacksdk's default '2' pins nothing."""
    for value in (region.get_default_microversion('compute'),
                  region.get_api_version('compute')):
        if value and re.fullmatch(r'2\.\d+', value):
            return value
    return None
