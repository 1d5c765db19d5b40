"""The compute API's HTTP layer: declared routes, auth and microversions.

Placement-style: each route names its handler and the microversions it
exists at, and every check Nova makes before a handler runs happens here,
in Nova's order (``nova/api/openstack/wsgi.py``, ``Resource.__call__`` and
``_process_stack``): token (keystonemiddleware, 401) -> route (a bare WebOb
404 for an unknown path or method) -> version headers (400/406) ->
Content-Type (415) -> body and action dispatch (400/404) -> URL project
(400) -> method version (404) -> handler.
"""

import dataclasses
import logging
import uuid

import routes
import webob
import webob.dec
import webob.exc

from novaclient_force.refserver.edge import faults, microversions, validation
from novaclient_force.refserver.handlers import (
    cold_migrate,
    discovery,
    instance_actions,
    lock_server,
    migrate_server,
    os_migrations,
    os_services,
    pause_server,
    server_migrations,
    servers,
)
from novaclient_force.refserver.state import accounts

LOG = logging.getLogger(__name__)
CONTENT_TYPES = ('application/json', 'application/vnd.openstack.compute+json')
PROJECT_PREFIX = '/{project_id:[0-9a-f-]+}'


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: object = None
    min_version: tuple = (2, 1)
    actions: dict = None      # action name -> (handler, min version)


ROUTES = (
    Route('GET', '/servers', servers.index),
    Route('GET', '/servers/detail', servers.detail),
    Route('GET', '/servers/{server_id}', servers.show),
    Route('POST', '/servers/{server_id}/action', actions={
        'os-migrateLive': (migrate_server.migrate_live, (2, 1)),
        'migrate': (cold_migrate.migrate, (2, 1)),
        'confirmResize': (cold_migrate.confirm_resize, (2, 1)),
        'revertResize': (cold_migrate.revert_resize, (2, 1)),
        'pause': (pause_server.pause, (2, 1)),
        'unpause': (pause_server.unpause, (2, 1)),
        'lock': (lock_server.lock, (2, 1)),
        'unlock': (lock_server.unlock, (2, 1)),
    }),
    Route('GET', '/servers/{server_id}/migrations',
          server_migrations.index, (2, 23)),
    Route('GET', '/servers/{server_id}/migrations/{migration_id}',
          server_migrations.show, (2, 23)),
    Route('DELETE', '/servers/{server_id}/migrations/{migration_id}',
          server_migrations.delete, (2, 24)),
    Route('POST', '/servers/{server_id}/migrations/{migration_id}/action',
          actions={'force_complete': (server_migrations.force_complete,
                                      (2, 22))}),
    Route('GET', '/os-migrations', os_migrations.index),
    Route('GET', '/os-services', os_services.index),
    Route('PUT', '/os-services/{service_id}', os_services.update, (2, 53)),
    Route('GET', '/servers/{server_id}/os-instance-actions',
          instance_actions.index),
    Route('GET', '/servers/{server_id}/os-instance-actions/{request_id}',
          instance_actions.show),
)


def _mapper():
    """Every route twice, with and without the project prefix (Nova's
    ``ProjectMapper``); the method is a condition, so a wrong method
    matches nothing, as in Nova."""
    mapper = routes.Mapper()
    for prefix in ('', PROJECT_PREFIX):
        for index, route in enumerate(ROUTES):
            # Routes keeps defaults as strings: the route goes by index.
            mapper.connect(None, prefix + route.path, route=str(index),
                           conditions={'method': [route.method]})
    return mapper


@dataclasses.dataclass
class Context:
    """The caller, as Nova's RequestContext sees it."""

    user_id: str
    project_id: str
    roles: tuple
    request_id: str
    is_admin: bool = False
    version: tuple = (2, 1)
    links_base: str = ''       # e.g. http://h:p/compute/v2.1[/project]
    bookmark_base: str = ''    # the same without /v2.1
    url: str = ''

    def credentials(self):
        return {'user_id': self.user_id, 'project_id': self.project_id,
                'roles': list(self.roles)}


class Services:
    """What handlers use: state, policy, notifications, limits."""

    def __init__(self, store, policy, notifier, max_version):
        self.store = store
        self.policy = policy
        self.notifier = notifier
        self.max_version = max_version


class ComputeApp:
    """WSGI app mounted at ``/compute``."""

    def __init__(self, services):
        self.services = services
        self.mapper = _mapper()

    @webob.dec.wsgify
    def __call__(self, req):
        path = req.path_info
        if path in ('', '/'):
            return discovery.versions(req, self.services.max_version)
        if path in ('/v2', '/v2/'):
            return discovery.version_v2(req)
        request_id = f"req-{uuid.uuid4()!s}"
        if path in ('/v2.1', '/v2.1/'):
            resp = self._versioned(
                req, lambda version: discovery.version_v21(
                    req, self.services.max_version))
        elif path.startswith('/v2.1/'):
            resp = self._api(req, path[len('/v2.1'):], request_id)
        else:
            return discovery.choices(req, path, self.services.max_version)
        resp.headers['x-openstack-request-id'] = request_id
        resp.headers['x-compute-request-id'] = request_id
        return resp

    def _api(self, req, path, request_id):
        token = accounts.validate(self.services.store,
                                  req.headers.get('X-Auth-Token'))
        if token is None or token.project_id is None:
            return faults.unauthorized(f"{req.host_url}/identity")
        match = self.mapper.match(path, {'REQUEST_METHOD': req.method})
        if match is None:
            return webob.exc.HTTPNotFound()
        route = ROUTES[int(match.pop('route'))]
        url_project = match.pop('project_id', None)
        context = Context(token.user_id, token.project_id, token.roles,
                          request_id, url=req.url)
        context.is_admin = self.services.policy.allowed(
            'context_is_admin', context, token.project_id)
        base = f"{req.application_url}/v2.1"
        if url_project:
            base += f"/{url_project}"
        context.links_base = base
        context.bookmark_base = base.replace('/compute/v2.1',
                                             '/compute', 1)
        return self._versioned(
            req, lambda version: self._dispatch(
                req, route, match, url_project, context, version))

    def _versioned(self, req, respond):
        """Parse the version headers, run ``respond`` and echo them."""
        try:
            version = microversions.requested_version(
                req.headers, self.services.max_version)
        except microversions.VersionFault as fault:
            resp = faults.fault_response(fault.code, fault.message)
            if fault.echo is not None:
                resp.headerlist.extend(
                    microversions.response_headers(fault.echo))
            return resp
        try:
            resp = respond(version)
        except faults.Fault as fault:
            resp = faults.fault_response(fault.code, fault.message)
        except Exception:
            LOG.exception('Unexpected error serving %s %s', req.method,
                          req.path)
            resp = faults.fault_response(
                500, 'Unexpected API Error. Please report this at '
                     'http://bugs.launchpad.net/nova/ and attach the Nova '
                     'API log if possible.\n<class \'Exception\'>')
        resp.headerlist.extend(microversions.response_headers(version))
        return resp

    def _dispatch(self, req, route, args, url_project, context, version):
        context.version = version
        try:
            req.GET.mixed()
        except UnicodeDecodeError:
            # WebOb cannot decode it; Nova's stack would fail the same way
            # deep inside, the reference server says so plainly instead.
            raise faults.bad_request(
                'Query string is not valid UTF-8') from None
        content_type = req.headers.get('Content-Type')
        if content_type is not None:
            media = content_type.split(';')[0].strip().lower()
            if media not in ('', 'text/plain') + CONTENT_TYPES:
                raise faults.Fault(415, 'Unsupported Content-Type')
        handler, min_version, body = route.handler, route.min_version, None
        if route.actions is not None:
            name, body = _action_peek(req.body)
            if name not in route.actions:
                raise faults.bad_request(f'There is no such action: {name}')
            handler, min_version = route.actions[name]
            body = body[name]
        elif req.body:
            body = _decode(req.body)
        if url_project and url_project != context.project_id:
            raise faults.bad_request(
                f"Malformed request URL: URL's project_id '{url_project}' "
                "doesn't match Context's project_id "
                f"'{context.project_id}'")
        if version < min_version:
            raise faults.not_found()
        status, result = handler(self.services, req, context, body=body,
                                 **args)
        return faults.json_response(status, result)


def _decode(raw):
    try:
        return validation.load_json(raw)
    except ValueError:
        raise faults.bad_request('Malformed request body') from None


def _action_peek(raw):
    """Nova's ``action_peek``: exactly one key, or the matching error."""
    decoded = _decode(raw)
    try:
        if len(decoded) != 1:
            raise faults.bad_request('Malformed request body')
        name = next(iter(decoded.keys()))
    except (TypeError, AttributeError):
        raise faults.not_found() from None
    return name, decoded
