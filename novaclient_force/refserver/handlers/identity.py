"""Keystone v3 password authentication, as much of it as clients need.

Sources: keystone ``keystone/api/auth.py`` (``AuthTokenResource``),
``keystone/api/discovery.py``, ``keystone/common/render_token.py`` and the
api-ref samples ``auth-password-project-scoped-response.json``,
``identity-version(s)-response.json``. Tokens are random opaque strings
(like Fernet tokens, clients must not look inside), valid for one hour of
wall time; the model behind them is in ``state/accounts.py``, and who
may check or revoke one is Keystone's policy (``edge/identity_policy.py``).
"""

import datetime

import webob
import webob.dec

from novaclient_force.refserver.edge import (
    faults,
    identity_policy,
    validation,
)
from novaclient_force.refserver.state import accounts

V3_UPDATED = '2020-04-07T00:00:00Z'
UNAUTHORIZED = 'The request you have made requires authentication.'


def _stamp(value):
    moment = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _version(base):
    return {
        'id': 'v3.14', 'status': 'stable', 'updated': V3_UPDATED,
        'links': [{'rel': 'self', 'href': f"{base}/identity/v3/"}],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.identity-v3+json'}],
    }


def catalog(base):
    """Compute and identity, each on three interfaces in RegionOne."""
    services = [('compute', 'nova', f"{base}/compute/v2.1"),
                ('identity', 'keystone', f"{base}/identity")]
    entries = []
    for kind, name, url in services:
        entries.append({
            'type': kind, 'name': name,
            'id': accounts.stable_id('service', kind),
            'endpoints': [{
                'id': accounts.stable_id('endpoint', kind + interface),
                'interface': interface, 'region': 'RegionOne',
                'region_id': 'RegionOne', 'url': url,
            } for interface in ('public', 'internal', 'admin')],
        })
    return entries


def token_body(token, base, with_catalog=True):
    body = {
        'methods': ['password'],
        'user': {'domain': dict(accounts.DOMAIN), 'id': token.user_id,
                 'name': token.user_name, 'password_expires_at': None},
        'audit_ids': token.audit_ids,
        'expires_at': _stamp(token.expires_at),
        'issued_at': _stamp(token.issued_at),
    }
    if token.project_id:
        body['project'] = {'domain': dict(accounts.DOMAIN),
                           'id': token.project_id,
                           'name': token.project_name}
        body['is_domain'] = False
        body['roles'] = [{'id': accounts.stable_id('role', role),
                          'name': role} for role in token.roles]
        if with_catalog:
            body['catalog'] = catalog(base)
    return {'token': body}


class IdentityApp:
    """WSGI app mounted at ``/identity``; tokens live
    ``token_expiration`` seconds."""

    def __init__(self, store, token_expiration=accounts.TOKEN_LIFETIME):
        self.store = store
        self.policy = identity_policy.IdentityPolicy()
        self.token_expiration = token_expiration

    @webob.dec.wsgify
    def __call__(self, req):
        base = req.host_url
        path = req.path_info.rstrip('/')
        if path == '':
            if req.method not in ('GET', 'HEAD'):
                return webob.exc.HTTPMethodNotAllowed()
            body = {'versions': {'values': [_version(base)]}}
            return faults.json_response(
                300, body, [('Location', f"{base}/identity/v3/")])
        if path == '/v3':
            if req.method not in ('GET', 'HEAD'):
                return webob.exc.HTTPMethodNotAllowed()
            return faults.json_response(200, {'version': _version(base)})
        if path == '/v3/auth/tokens':
            handler = {'POST': self._create, 'GET': self._check,
                       'HEAD': self._check,
                       'DELETE': self._revoke}.get(req.method)
            if handler is None:
                return webob.exc.HTTPMethodNotAllowed()
            return handler(req, base)
        return faults.keystone_error(
            404, 'Not Found', 'Could not find the requested resource.')

    def _create(self, req, base):
        try:
            body = validation.load_json(req.body)
        except ValueError:
            return faults.keystone_error(
                400, 'Bad Request', faults.KEYSTONE_INVALID_JSON)
        try:
            auth = body['auth']
        except (TypeError, KeyError):
            return faults.keystone_error(
                400, 'Bad Request',
                'The request body is not valid: auth is required.')
        issued = accounts.issue(self.store, auth,
                                self.token_expiration)
        if issued is None:
            return faults.keystone_error(401, 'Unauthorized', UNAUTHORIZED)
        text, token = issued
        body = token_body(token, base, 'nocatalog' not in req.GET)
        return faults.json_response(201, body, [('X-Subject-Token', text)])

    def _authorized(self, req, action):
        """(subject Token, None) when the caller may take ``action`` on
        the subject token, else (None, Keystone's error response).

        Keystone's order (``keystone/common/rbac_enforcer/enforcer.py``,
        ``enforce_call``): 401 unless X-Auth-Token is live, 404 unless the
        X-Subject-Token named is, then 403 unless the policy passes; a
        request naming no subject token gets the 404 only once the policy
        lets it through (``keystone/token/provider.py``,
        ``validate_token``).
        """
        caller = accounts.validate(self.store, req.headers.get('X-Auth-Token'))
        if caller is None:
            return None, faults.keystone_error(
                401, 'Unauthorized', UNAUTHORIZED)
        text = req.headers.get('X-Subject-Token')
        subject = accounts.validate(self.store, text)
        if subject is None and text is not None:
            return None, _token_not_found()
        if not self.policy.allowed(action, caller, subject):
            return None, faults.keystone_error(
                403, 'Forbidden', 'You are not authorized to perform the '
                f'requested action: {action}.')
        if subject is None:
            return None, _token_not_found()
        return subject, None

    def _check(self, req, base):
        # keystone/api/auth.py, AuthTokenResource.get: HEAD and GET are
        # two actions with different defaults.
        action = ('identity:check_token' if req.method == 'HEAD'
                  else 'identity:validate_token')
        token, refused = self._authorized(req, action)
        if refused is not None:
            return refused
        body = token_body(token, base, 'nocatalog' not in req.GET)
        return faults.json_response(200, body, [
            ('X-Subject-Token', req.headers['X-Subject-Token'])])

    def _revoke(self, req, base):
        """Revoke the subject token by its own audit ID, as Keystone's
        ``DELETE`` does (``keystone/token/provider.py``, ``revoke_token``
        without ``revoke_chain``): tokens obtained from it keep theirs."""
        _, refused = self._authorized(req, 'identity:revoke_token')
        if refused is not None:
            return refused
        accounts.revoke(self.store, req.headers['X-Subject-Token'])
        return webob.Response(status=204)


def _token_not_found():
    return faults.keystone_error(404, 'Not Found', 'Could not find token.')
