"""Force every running live migration leaving a host: the "host about to
fail" case of the Nova spec, where speed matters.

One paged listing (``/os-migrations`` filtered on ``source_compute``: the
``host`` filter would also match migrations arriving at the host) finds
the migrations; the POSTs go out concurrently from a bounded pool over the
one shared keystoneauth session (its connection pool is sized to the
concurrency so every worker reuses a connection); waiting is one poll loop
over the same listing for all of them, not one loop per migration. One
migration's failure never stops the others: it gets its own Outcome.
"""

import concurrent.futures

from requests import adapters as requests_adapters

from novaclient_force import (
    errors,
    exceptions,
    negotiation,
    outcome,
    resolve,
    waiting,
)


def force_complete_host(compute, host, wait=False, timeout=None,
                        concurrency=8, progress=None):
    """One Outcome per running live migration whose source is ``host``.

    Raises only when the migrations cannot even be listed (policy, cloud
    too old, unreachable); no migrations gives an empty list.
    """
    if not isinstance(host, str) or not host.strip():
        raise exceptions.InvalidArgument(
            'A host name is required, got %r' % (host,))
    if (isinstance(concurrency, bool) or not isinstance(concurrency, int)
            or concurrency < 1):
        raise exceptions.InvalidArgument(
            'Invalid concurrency %r: give a whole number, 1 or more'
            % (concurrency,))
    start = compute.clock()
    rows = [row for row in resolve.os_migrations(
        compute, {'source_compute': host, 'status': 'running',
                  'migration_type': 'live-migration'},
        errors.Context('list_all',
                       server='host %s' % resolve.printable(host)))
        if _leaves(row, host) and row.get('status') == 'running']
    if not rows:
        return []
    ensure_pool_size(compute.session, concurrency)
    workers = min(concurrency, len(rows))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        names = pool.submit(_server_names, compute, host)
        results = list(pool.map(
            lambda row: _force_one(compute, row, start), rows))
    for result in results:
        result.server_name = names.result().get(result.server, '')
    if wait:
        _HostWatch(compute, host, results, start).wait(timeout, progress)
    return results


def _leaves(row, host):
    # Host fields are null for callers without the index:host policy.
    return (row.get('source_compute') in (host, None)
            and row.get('migration_type', 'live-migration')
            == 'live-migration')


def _force_one(compute, row, start):
    ref = resolve.ServerRef(row['instance_uuid'])
    result = outcome.Outcome(ref.id, int(row['id']), outcome.ACCEPTED,
                             migration_uuid=row.get('uuid') or '',
                             migration_status=row.get('status') or '')
    try:
        compute.request(
            'POST', '/servers/%s/migrations/%s/action' % (ref.id, row['id']),
            negotiation.FORCE_COMPLETE,
            errors.Context('force_complete', server=ref.id,
                           migration=row['id']),
            json={'force_complete': None})
    except exceptions.ForceCompleteError as exc:
        result.status = outcome.ERROR
        result.reason = str(exc)
        result.error = exc
    else:
        result.reason = 'Nova accepted the request'
    result.duration = compute.clock() - start
    return result


def _server_names(compute, host):
    """{server UUID: name} for the servers on ``host``, for the report.

    One request, sent alongside the POSTs; names are a courtesy, so a
    refusal (the ``host`` filter is admin-only) just leaves them blank.
    """
    try:
        body = compute.get_json(
            '/servers', negotiation.BASIC,
            errors.Context('find', server='servers on %s'
                           % resolve.printable(host)),
            params={'host': host, 'all_tenants': '1'})
    except exceptions.ForceCompleteError:
        return {}
    return {s.get('id'): s.get('name', '') for s in body.get('servers', ())}


def ensure_pool_size(session, size):
    """Let the session keep ``size`` connections per host open.

    requests keeps 10 per host by default; more workers than that would
    open and drop a connection on every request.
    """
    requests_session = session.session
    for prefix, current in list(requests_session.adapters.items()):
        if (isinstance(current, requests_adapters.HTTPAdapter)
                and current._pool_maxsize < size):
            requests_session.mount(prefix, type(current)(
                pool_connections=current._pool_connections,
                pool_maxsize=size, max_retries=current.max_retries))


class _HostWatch:
    """One poll loop over the host's listing for all accepted migrations."""

    def __init__(self, compute, host, results, start):
        self.compute = compute
        self.host = host
        self.start = start
        self.pending = {r.migration: r for r in results
                        if r.status == outcome.ACCEPTED}

    def wait(self, timeout, progress):
        report = None
        if progress is not None:
            def report(reading, elapsed):
                for result in self.pending.values():
                    progress(waiting.Progress(
                        result.server, result.migration,
                        result.migration_status, None, None, None, elapsed,
                        reading.unreachable_for, reading.problem))
        reading, _ = waiting.wait_for_outcome(
            self.read, timeout, clock=self.compute.clock,
            sleep=self.compute.sleep, progress=report)
        for result in self.pending.values():
            last = waiting.Reading(result.migration_status,
                                   reason=reading.reason)
            if reading.outcome == outcome.UNKNOWN:
                result.status = outcome.UNKNOWN
                result.reason = waiting.unknown_reason(
                    result.server, result.migration, last)
            else:
                result.status = outcome.TIMED_OUT
                result.reason = waiting.timed_out_reason(
                    result.server, result.migration, last, timeout)
            result.duration = self.compute.clock() - self.start

    def read(self, deadline):
        if not self.pending:
            return waiting.Reading('', done=True)
        wanted = set(self.pending)
        rows = resolve.os_migrations(
            self.compute, {'source_compute': self.host,
                           'migration_type': 'live-migration'},
            errors.Context('list_all', server='host %s'
                           % resolve.printable(self.host)),
            deadline=deadline,
            until=lambda rows: wanted <= {r.get('id') for r in rows})
        by_id = {r.get('id'): r for r in rows}
        for mid in list(self.pending):
            result = self.pending[mid]
            row = by_id.get(mid)
            if row is None:
                # Accepted, then gone from the listing: not a refusal.
                result.status = outcome.UNKNOWN
                result.reason = waiting.unknown_reason(
                    result.server, mid, waiting.Reading(
                        result.migration_status, reason='its outcome could '
                        'not be read: it is no longer listed'))
            else:
                reading = waiting.final_reading(
                    self.compute, resolve.ServerRef(result.server), row,
                    deadline)
                result.migration_status = reading.status
                if not reading.done:
                    continue
                result.status = reading.outcome
                result.reason = reading.reason
            result.duration = self.compute.clock() - self.start
            del self.pending[mid]
        return waiting.Reading('', done=not self.pending)
