"""A host's nova-compute service: found, and disabled, for a host drain.

Nova 2.53+ addresses a service by its UUID (``PUT /os-services/{id}``,
nova/api/openstack/compute/services.py ``_update_v253``); before it, by
host and binary on ``PUT /os-services/disable``. A drain needs 2.53, and
both the listing and the update are admin-only by default
(``os_compute_api:os-services:list`` and ``:update``,
nova/policies/services.py).
"""

import dataclasses
import datetime

from novaclient_force import errors, hosts, negotiation, terminal

#: Addressing a service by its UUID.
BY_UUID = (negotiation.APIVersion('2.53'), 'disabling a compute service '
           'by its UUID')
#: Nova's limit on ``disabled_reason`` (schemas/services.py).
MAX_REASON = 255


@dataclasses.dataclass(frozen=True)
class Service:
    id: str
    host: str
    disabled: bool
    disabled_reason: str = ''


def of_host(compute, host, deadline=None):
    """The nova-compute Service of ``host``; UnknownHost (naming the
    closest hosts) when the cloud has none of that name."""
    body = compute.get_json(
        '/os-services', BY_UUID, errors.Context('list compute hosts'),
        params={'binary': 'nova-compute'}, deadline=deadline)
    found = body.get('services', ())
    for row in found:
        if row.get('host') == host:
            return Service(str(row.get('id')), host,
                           row.get('status') == 'disabled',
                           row.get('disabled_reason') or '')
    raise hosts.unknown(host, sorted({row.get('host') for row in found
                                      if row.get('host')}))


def default_reason(now=None):
    """The reason a drain disables a host with unless given one: this
    tool and the time (UTC)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f'novaclient-force host drain, {now:%Y-%m-%dT%H:%M:%SZ}'


def disable(compute, service, reason, deadline=None):
    """Disable ``service`` with ``reason``; the Service as Nova shows it
    after."""
    body = compute.request(
        'PUT', f'/os-services/{service.id}', BY_UUID,
        errors.Context('disable compute service',
                       server=f'host {terminal.printable(service.host)}'),
        json={'status': 'disabled', 'disabled_reason': reason},
        deadline=deadline).json().get('service', {})
    return dataclasses.replace(
        service, disabled=body.get('status', 'disabled') == 'disabled',
        disabled_reason=body.get('disabled_reason') or reason)
