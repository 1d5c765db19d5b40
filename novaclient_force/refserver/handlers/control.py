"""The test harness's control API, under ``/_refserver/`` (loopback only).

Not part of Nova or Keystone: no catalog entry or version document
mentions it, and a peer whose address is not a loopback one gets 403.
``doc/source/control-api.rst`` documents every endpoint; the fixture's
methods (``novaclient_force.refserver.fixture.RefServer``) call them.
Errors are ``{"error": {"code": N, "message": "..."}}``.
"""

import dataclasses
import ipaddress
import json
import math

import webob
import webob.dec

from novaclient_force.refserver.edge import faultrules
from novaclient_force.refserver.handlers import server_migrations
from novaclient_force.refserver.state import lifecycle, migrations, seed

#: The control API's actions on a migration (``POST
#: migrations/{id}/<action>``): the overrides, and a driver fault for
#: its next force-complete.
_OVERRIDES = ('converge', 'stall', 'fail')
_FAIL_FORCE_COMPLETE = 'fail_force_complete'

#: What each override needs to find, for the 409 that says so.
_APPLIES = {
    'converge': 'a running migration whose pre-copy still iterates (not '
                'forced, not converged, not in post-copy)',
    'stall': 'a running migration whose pre-copy still iterates (not '
             'forced, not converged, not in post-copy)',
    'failed': 'a queued, preparing or running migration (not in '
              'post-copy): a failed libvirt job, or pre_live_migration '
              'failing on the destination before it runs',
    'error': 'a running migration (not in post-copy): an exception from '
             'driver.live_migration',
}


class ControlError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _json(status, body):
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None)
    resp.body = json.dumps(body, sort_keys=True).encode('utf-8')
    return resp


def is_loopback(address):
    try:
        ip = ipaddress.ip_address((address or '').split('%')[0])
    except ValueError:
        return False
    mapped = getattr(ip, 'ipv4_mapped', None)
    return (mapped or ip).is_loopback


class ControlApp:
    """WSGI app mounted at ``/_refserver``."""

    def __init__(self, services, scenario, requests, faults):
        self.services = services
        self.scenario = scenario
        self.requests = requests
        self.faults = faults

    @webob.dec.wsgify
    def __call__(self, req):
        if not is_loopback(req.remote_addr):
            return _json(403, {'error': {
                'code': 403, 'message': 'the control API answers loopback '
                                        'peers only'}})
        parts = [part for part in req.path_info.split('/') if part]
        try:
            return self._route(req, parts)
        except ControlError as error:
            return _json(error.code, {'error': {
                'code': error.code, 'message': error.message}})

    def _route(self, req, parts):
        routes = {
            ('POST', 'reset'): self.reset,
            ('GET', 'clock'): self.clock,
            ('POST', 'clock'): self.set_clock,
            ('GET', 'migrations'): self.migrations,
            ('GET', 'faults'): self.list_faults,
            ('POST', 'faults'): self.add_fault,
            ('DELETE', 'faults'): self.clear_faults,
            ('GET', 'requests'): self.list_requests,
            ('DELETE', 'requests'): self.clear_requests,
        }
        if len(parts) == 1 and (req.method, parts[0]) in routes:
            return routes[req.method, parts[0]](req)
        if len(parts) in (2, 3) and parts[0] == 'migrations':
            if len(parts) == 2 and req.method == 'GET':
                return self.migration(req, parts[1])
            if (len(parts) == 3 and req.method == 'POST'
                    and parts[2] in _OVERRIDES):
                return self.override(req, parts[1], parts[2])
            if (len(parts) == 3 and req.method == 'POST'
                    and parts[2] == _FAIL_FORCE_COMPLETE):
                return self.fail_force_complete(req, parts[1])
        if (len(parts) == 3 and parts[0] == 'servers'
                and parts[2] == 'keep-host' and req.method == 'POST'):
            return self.keep_host(req, parts[1])
        unknown_action = len(parts) == 3 and parts[2] not in (
            *_OVERRIDES, _FAIL_FORCE_COMPLETE)
        if not unknown_action and parts and parts[0] in {
                name for _, name in routes} | {'migrations'}:
            raise ControlError(
                405, f'{req.method} is not allowed on {req.path_info}')
        raise ControlError(404, f'no control endpoint {req.path_info}')

    @staticmethod
    def _body(req):
        if not req.body:
            return {}
        try:
            body = json.loads(req.body)
        except ValueError:
            raise ControlError(400, 'the body is not JSON') from None
        if not isinstance(body, dict):
            raise ControlError(400, 'the body must be a JSON object')
        return body

    # -- state and clock ---------------------------------------------------

    def reset(self, req):
        """Back to the scenario; faults and the request log are cleared."""
        if self.scenario is None:
            raise ControlError(409, 'this server was built without a '
                                    'scenario to reset to')
        seed.reset(self.services.store, self.scenario)
        self.faults.clear()
        self.requests.clear()
        return _json(200, {'reset': self.scenario.name})

    def clock(self, req):
        store = self.services.store
        return _json(200, {'clock': {'time': store.now(),
                                     'time_scale': store.time_scale}})

    def set_clock(self, req):
        body = self._body(req)
        unknown = set(body) - {'advance', 'time_scale'}
        if unknown or not body:
            raise ControlError(400, 'give advance (seconds) and/or '
                                    'time_scale')
        for name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(
                    value, (int, float)) or value != value or value in (
                    float('inf'), float('-inf')):
                raise ControlError(400, f'{name} must be a number')
        store = self.services.store
        try:
            store.set_clock(float(body.get('time_scale', store.time_scale)),
                            float(body.get('advance', 0.0)))
        except ValueError as error:
            raise ControlError(400, str(error)) from None
        return self.clock(req)

    # -- migrations ----------------------------------------------------------

    def _row(self, db, migration_id):
        row = (migrations.get(db, int(migration_id))
               if migration_id.isdigit()
               else migrations.by_uuid(db, migration_id))
        if row is None:
            raise ControlError(404, f'no migration {migration_id}')
        return row

    def _view(self, db, row, now):
        observed = lifecycle.observe(db, row, now, self.services.notifier)
        row = migrations.get(db, row['id'])
        truth = lifecycle.ground_truth(db, row, now)
        view = {
            'id': row['id'], 'uuid': row['uuid'],
            'server_uuid': row['instance_uuid'], 'status': observed.status,
            'source_compute': row['source_compute'],
            'dest_compute': row['dest_compute'],
            'created_at': row['created_at'],
            'finished_at': row['updated_at'] if row['final'] else None,
            'ended_by': None, 'force_complete_at': row['force_complete_at'],
            'abort_at': row['abort_at'],
            'force_complete_fault': row['force_fault'],
            'overrides': [{'at': at, 'kind': kind} for at, kind, _ in
                          json.loads(row['overrides'] or '[]')],
            'ground_truth': None,
        }
        if truth is not None:
            view['ground_truth'] = dataclasses.asdict(truth)
            view['ground_truth']['bytes_sent'] = (
                truth.memory_sent_bytes + truth.disk_sent_bytes)
            view['ground_truth']['running_at'] = lifecycle.running_at(
                db, row)
            if row['final']:
                # Replayed to the end of time rather than to the stored
                # end, which float rounding may put a hair before it.
                view['ended_by'] = lifecycle.simulate(
                    db, row, math.inf).ended_by
        return view

    def migrations(self, req):
        now = self.services.store.now()
        with self.services.store.transaction() as db:
            rows = migrations.by_id(db)
            views = [self._view(db, row, now) for row in rows]
        return _json(200, {'migrations': views})

    def migration(self, req, migration_id):
        now = self.services.store.now()
        with self.services.store.transaction() as db:
            view = self._view(db, self._row(db, migration_id), now)
        return _json(200, {'migration': view})

    def override(self, req, migration_id, action):
        body = self._body(req)
        kind, message = action, None
        if action == 'fail':
            kind = body.pop('status', 'failed')
            message = body.pop('message', None)
            if kind not in ('failed', 'error'):
                raise ControlError(400, "status must be 'failed' or "
                                        "'error'")
            if message is not None and not isinstance(message, str):
                raise ControlError(400, 'message must be a string')
        if body:
            raise ControlError(400, f'unknown field {sorted(body)[0]}')
        now = self.services.store.now()
        # A ControlError rolls the transaction back: nothing half-applied.
        with self.services.store.transaction() as db:
            row, status = self._live(db, migration_id, now)
            lifecycle.add_override(db, row, kind, now, message)
            row = migrations.get(db, row['id'])
            if not lifecycle.override_took_effect(db, row, now):
                raise ControlError(
                    409, f'migration {migration_id} is {status}: {kind} '
                         f'needs {_APPLIES[kind]}')
            view = self._view(db, row, now)
        return _json(200, {'migration': view})

    def _live(self, db, migration_id, now):
        """The migration's row brought up to ``now``, and its status; 409
        once it has ended (nothing about it can change any more)."""
        row = self._row(db, migration_id)
        status = lifecycle.observe(db, row, now,
                                   self.services.notifier).status
        row = migrations.get(db, row['id'])
        if row['final'] or not row['params']:
            raise ControlError(
                409, f'migration {migration_id} is {status}: it has ended')
        return row, status

    def fail_force_complete(self, req, migration_id):
        """The next force-complete of the migration fails in the driver
        (``server_migrations._driver_refused_force``)."""
        body = self._body(req)
        message = body.pop('message', None)
        if message is not None and (not isinstance(message, str)
                                    or not message.strip()):
            raise ControlError(400, 'message must be a non-empty string')
        if body:
            raise ControlError(400, f'unknown field {sorted(body)[0]}')
        now = self.services.store.now()
        with self.services.store.transaction() as db:
            row, _ = self._live(db, migration_id, now)
            migrations.set_force_fault(
                db, row, message or server_migrations.no_active_migration(
                    row['instance_uuid']))
            view = self._view(db, migrations.get(db, row['id']), now)
        return _json(200, {'migration': view})

    def keep_host(self, req, server_uuid):
        """The server's next completed live migration leaves its host
        unchanged."""
        with self.services.store.transaction() as db:
            if not lifecycle.keep_host(db, server_uuid):
                raise ControlError(404, f'no server {server_uuid}')
        return _json(200, {'server': {'id': server_uuid,
                                      'keep_host': True}})

    # -- faults and requests -----------------------------------------------

    def list_faults(self, req):
        return _json(200, {'faults': self.faults.active()})

    def add_fault(self, req):
        try:
            rule = self.faults.add(self._body(req))
        except faultrules.RuleError as error:
            raise ControlError(400, str(error)) from None
        return _json(201, {'fault': rule.view()})

    def clear_faults(self, req):
        self.faults.clear()
        return _json(200, {'faults': []})

    def list_requests(self, req):
        since = req.GET.get('since', '0')
        if not since.isdigit():
            raise ControlError(400, 'since must be a request seq number')
        return _json(200, {'requests': [
            dataclasses.asdict(entry)
            for entry in self.requests.since(int(since))]})

    def clear_requests(self, req):
        self.requests.clear()
        return _json(200, {'requests': []})
