"""The hosts' ``nova-compute`` services: enabled or disabled, and why.

One service per scenario host (``nova/objects/service.py``: ``disabled``,
``disabled_reason``, ``forced_down``). A host without a row is enabled,
up and not forced down, as every host starts; the row is written by the
first update (``PUT /os-services/{service_id}``). The service's UUID is
derived from the host's name, so it is the same after a restart or reset.
"""

import dataclasses

from novaclient_force.refserver.state import hosts, ids

_NAMESPACE = ids.namespace('0b3c8d27-52f4-5c4e-9d59-6a3f4fb1b8a7')


@dataclasses.dataclass(frozen=True)
class Service:
    number: int             # the integer ID shown before 2.53
    uuid: str
    host: str
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    updated: float | None = None


def uuid_of(host):
    return ids.name_uuid(_NAMESPACE, host)


def every(db):
    """Every compute host's service, by host name."""
    stored = {row['host']: row for row in db.all('SELECT * FROM services')}
    return [_service(number, name, stored.get(name))
            for number, name in enumerate(hosts.names(db), start=1)]


def by_uuid(db, service_uuid):
    """The service whose UUID is ``service_uuid``, or None."""
    for service in every(db):
        if service.uuid == service_uuid:
            return service
    return None


def is_disabled(db, host):
    """Whether the scheduler skips ``host`` (``ComputeFilter``,
    nova/scheduler/filters/compute_filter.py: a disabled service)."""
    row = db.one('SELECT disabled FROM services WHERE host = ?', host)
    return bool(row and row['disabled'])


def schedule(db, source, requested=None):
    """The host Nova's scheduler picks for a migration away from
    ``source``: the ``requested`` host (a destination the scheduler
    checks, not a forced one) unless it is the source or disabled
    (``ComputeFilter``), else the least loaded enabled host; None is
    ``NoValidHost``."""
    if requested:
        if requested == source or is_disabled(db, requested):
            return None
        return requested
    return hosts.least_loaded(db, source)


def save(db, service, now):
    """Store ``service``'s status (``Service.save``)."""
    db.execute('INSERT OR REPLACE INTO services (host, disabled, '
               'disabled_reason, forced_down, updated) VALUES (?, ?, ?, ?, '
               '?)', service.host, int(service.disabled),
               service.disabled_reason, int(service.forced_down), now)


def _service(number, host, row):
    if row is None:
        return Service(number, uuid_of(host), host)
    return Service(number, uuid_of(host), host, bool(row['disabled']),
                   row['disabled_reason'], bool(row['forced_down']),
                   row['updated'])
