"""The reference server's WSGI application: identity plus compute.

Paths are a devstack cloud's: Keystone under ``/identity``, Nova under
``/compute``. Bodies larger than oslo.middleware's default
``max_request_body_size`` (114688 bytes) get its 413, as Nova's
``sizelimit`` filter gives.
"""

import logging

import webob
import webob.dec
import webob.exc

from novaclient_force.refserver.edge import faults
from novaclient_force.refserver.handlers import compute, identity

LOG = logging.getLogger(__name__)
MAX_BODY = 114688


class RefServerApp:
    def __init__(self, services):
        self.services = services
        self.identity = identity.IdentityApp(services.store)
        self.compute = compute.ComputeApp(services)

    @webob.dec.wsgify
    def __call__(self, req):
        length = req.content_length
        if length is not None and length > MAX_BODY:
            return webob.exc.HTTPRequestEntityTooLarge(
                explanation='Request is too large.')
        try:
            path = req.path_info
        except UnicodeDecodeError:
            # Not a path any route could match.
            return webob.exc.HTTPNotFound()
        for prefix, app in (('/identity', self.identity),
                            ('/compute', self.compute)):
            if path == prefix or path.startswith(prefix + '/'):
                req.path_info_pop()
                try:
                    return req.get_response(app)
                except Exception:
                    LOG.exception('Unexpected error serving %s %s',
                                  req.method, req.path)
                    return faults.fault_response(
                        500, 'Unexpected API Error.')
        return webob.exc.HTTPNotFound()
