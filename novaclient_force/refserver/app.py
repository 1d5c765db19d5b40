"""The reference server's WSGI application: identity plus compute.

Paths are a devstack cloud's: Keystone under ``/identity``, Nova under
``/compute``. Bodies larger than oslo.middleware's default
``max_request_body_size`` (114688 bytes) get its 413, as Nova's
``sizelimit`` filter gives.

The test harness's control API is mounted at ``/_refserver``
(:mod:`novaclient_force.refserver.handlers.control`); every other request
passes the injected faults (:mod:`~novaclient_force.refserver.edge.faultrules`)
and is recorded in the request log
(:mod:`~novaclient_force.refserver.edge.requestlog`).
"""

import http
import logging
import time

import webob
import webob.dec
import webob.exc

from novaclient_force.refserver.edge import (
    faultrules,
    faults,
    httpserver,
    requestlog,
)
from novaclient_force.refserver.handlers import compute, control, identity
from novaclient_force.refserver.state import accounts

LOG = logging.getLogger(__name__)
MAX_BODY = 114688
CONTROL_PREFIX = '/_refserver'


class RefServerApp:
    def __init__(self, services, scenario=None,
                 token_expiration=accounts.TOKEN_LIFETIME):
        self.services = services
        self.identity = identity.IdentityApp(services.store,
                                             token_expiration)
        self.compute = compute.ComputeApp(services)
        self.requests = requestlog.RequestLog()
        self.faults = faultrules.FaultRules()
        self.control = control.ControlApp(services, scenario, self.requests,
                                          self.faults)

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            path = req.path_info
        except UnicodeDecodeError:
            # Not a path any route could match.
            return webob.exc.HTTPNotFound()
        if path == CONTROL_PREFIX or path.startswith(f"{CONTROL_PREFIX}/"):
            req.path_info_pop()
            return req.get_response(self.control)
        started, clock = time.time(), time.monotonic()
        path_qs = req.path_qs
        rule = self.faults.take(req.method, path_qs)

        def record(status, resp=None):
            version = resp and resp.headers.get('OpenStack-API-Version')
            self.requests.record(
                method=req.method, path=path_qs, status=status,
                microversion=version.split()[-1] if version else None,
                started_at=started, duration=time.monotonic() - clock,
                fault=rule.describe() if rule else None)

        if rule is not None and rule.status is not None:
            resp = _injected(path, rule)
        else:
            if rule is not None and rule.drop == 'before':
                record(None)
                raise httpserver.DropConnection()
            resp = self._serve(req, path)
            if rule is not None:
                time.sleep(rule.delay)
                if rule.drop == 'after':
                    record(None)
                    raise httpserver.DropConnection()
        record(resp.status_int, resp)
        return resp

    def _serve(self, req, path):
        length = req.content_length
        if length is not None and length > MAX_BODY:
            return webob.exc.HTTPRequestEntityTooLarge(
                explanation='Request is too large.')
        for prefix, app in (('/identity', self.identity),
                            ('/compute', self.compute)):
            if path == prefix or path.startswith(f"{prefix}/"):
                req.path_info_pop()
                try:
                    return req.get_response(app)
                except Exception:
                    LOG.exception('Unexpected error serving %s %s',
                                  req.method, req.path)
                    if prefix == '/identity':
                        return faults.keystone_error(
                            500, 'Internal Server Error',
                            faults.KEYSTONE_UNEXPECTED)
                    return faults.fault_response(
                        500, 'Unexpected API Error.')
        return webob.exc.HTTPNotFound()


def _injected(path, rule):
    """An injected error answer, in the format of the service asked."""
    message = rule.message or 'Injected fault.'
    if path.startswith('/identity'):
        return faults.keystone_error(
            rule.status, http.HTTPStatus(rule.status).phrase, message)
    return faults.fault_response(rule.status, message)
