"""Error responses in the formats Nova and Keystone send.

Nova wraps errors as ``{"<faultName>": {"code": N, "message": "..."}}``
(``nova/api/openstack/wsgi.py``, ``Fault._fault_names``); statuses missing
from that map, 406 among them, use ``computeFault``.
"""

import json

import webob

FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    429: 'overLimit',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}

GENERIC_NOT_FOUND = 'The resource could not be found.'
#: keystone/exception.py: ValidationError, as
#: keystone/server/flask/request_processing/json_body.py raises it for a
#: body that is not JSON.
KEYSTONE_INVALID_JSON = (
    'Expecting to find valid JSON in request body. The server could not '
    'comply with the request since it is either malformed or otherwise '
    'incorrect. The client is assumed to be in error.')
#: keystone/exception.py: UnexpectedError.
KEYSTONE_UNEXPECTED = ('An unexpected error prevented the server from '
                       'fulfilling your request.')


class Fault(Exception):
    """Raised by handlers; becomes a Nova fault response."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def bad_request(message):
    return Fault(400, message)


def not_found(message=GENERIC_NOT_FOUND):
    return Fault(404, message)


def conflict(message):
    return Fault(409, message)


def forbidden(action):
    return Fault(
        403, f'Policy doesn\'t allow {action} to be performed.')


def json_response(status, body=None, headers=()):
    """A JSON response; ``body=None`` gives Nova's empty 202 body."""
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None)
    if body is not None:
        resp.body = json.dumps(body).encode('utf-8')
    else:
        resp.body = b''
    for name, value in headers:
        resp.headerlist.append((name, value))
    return resp


def fault_body(code, message):
    """The body of a Nova fault; a handler that must answer an error and
    still keep what it recorded returns it rather than raising a
    :class:`Fault` (which rolls the request's transaction back)."""
    name = FAULT_NAMES.get(code, 'computeFault')
    return {name: {'code': code, 'message': message}}


def fault_response(code, message):
    return json_response(code, fault_body(code, message))


def unauthorized(www_authenticate_uri):
    """keystonemiddleware's 401 (``auth_token/__init__.py``), not a Fault."""
    return json_response(
        401,
        {'error': {
            'code': 401, 'title': 'Unauthorized',
            'message': 'The request you have made requires '
                       'authentication.'}},
        headers=[('WWW-Authenticate',
                  f'Keystone uri="{www_authenticate_uri}"')])


def keystone_error(code, title, message):
    """Keystone's own error body (``keystone/exception.py``)."""
    return json_response(
        code, {'error': {'code': code, 'title': title, 'message': message}})
