"""The SDK entry point: a compute client on a keystoneauth1 session.

    from novaclient_force import client
    nc = client.Client(session=sess)
    nc.server_migrations.force_complete('busy-vm', wait=True)

It is a python-novaclient v2 client (so ``nc.servers`` and the rest work)
whose ``server_migrations`` is our manager and whose microversion is
negotiated lazily, once, by that manager (see negotiation.py).
"""

import novaclient
from novaclient import client as nova_client

from novaclient_force import negotiation
from novaclient_force.v2 import server_migrations


class Client:
    """``api_version``: a version to pin ('2.N' or APIVersion); None
    negotiates. ``interface`` is the catalog interface (public by
    default)."""

    def __init__(self, session, region_name=None, interface=None,
                 endpoint_override=None, api_version=None):
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
