"""Turn Nova's answers into the typed errors of ``exceptions.py``.

Nova's error texts are precise but not actionable ("Migration 5 state of
instance ... is queued. Cannot force complete while the migration is in
this state."). Each error raised here says what the operator can do, in one
line, and keeps Nova's own text in ``nova_message``. The texts matched below
are Nova's templates (nova/exception.py, nova/api/openstack/common.py and
nova/api/openstack/compute/server_migrations.py); anything unrecognised
still maps by HTTP status, so a translated or future text never goes
unreported.
"""

import re
import urllib.parse

from novaclient_force import exceptions, hints, terminal
from novaclient_force.statuses import NOT_STARTED as NOT_YET_RUNNING
from novaclient_force.statuses import POST_COPY

_STATE = re.compile(r'Migration (?P<mid>\S+) state of instance \S+ is '
                    r'(?P<status>.+?)\. Cannot')
_NOT_FOUND_FOR_INSTANCE = re.compile(r'Migration \S+ not found for instance')
_POLICY = re.compile(r"Policy doesn't allow (?P<policy>\S+) to be performed")
_VM_STATE = re.compile(r'while it is in vm_state (?P<state>\S+)')
_NOT_IN_PROGRESS = re.compile(r'is not in progress')

# Who Nova's default policy (32.0.0 / 2025.2 and later) lets apply each rule
# a force-complete may meet (nova/policies/servers_migrations.py,
# migrations.py, instance_actions.py, migrate_server.py, lock_server.py;
# the base rules in nova/policies/base.py). A cloud may have its own
# policy file, so this is only ever presented as Nova's default.
_MANAGER = ('manager', "the admin role, or the manager role on the "
            "server's project")
_MEMBER = ('member', "the admin role, or the member role on the server's "
           "project")
_READER = ('reader', "the admin role, or the reader role on the server's "
           "project")
_ADMIN = ('admin', 'the admin role')
_DEFAULT_POLICY = {
    'os_compute_api:servers:migrations:force_complete': _MANAGER,
    'os_compute_api:servers:migrations:delete': _MANAGER,
    'os_compute_api:servers:migrations:index': _MANAGER,
    'os_compute_api:servers:migrations:index:host': _ADMIN,
    'os_compute_api:servers:migrations:show': _ADMIN,
    'os_compute_api:os-migrations:index': _MANAGER,
    'os_compute_api:os-migrations:index:all_projects': _ADMIN,
    'os_compute_api:os-migrations:index:host': _ADMIN,
    'os_compute_api:os-migrate-server:migrate_live': _MANAGER,
    'os_compute_api:os-migrate-server:migrate_live:host': _ADMIN,
    'os_compute_api:os-instance-actions:list': _READER,
    'os_compute_api:os-instance-actions:show': _READER,
    'os_compute_api:os-instance-actions:events': _ADMIN,
    'os_compute_api:os-instance-actions:events:details': _ADMIN,
    'os_compute_api:os-lock-server:unlock': _MEMBER,
}
# Keystone's default role implications (admin > manager > member > reader)
# put the lower roles in the token too; this spells them out in case a
# cloud's tokens carry only the role assigned.
_IMPLIES = {'admin': {'admin', 'manager', 'member', 'reader'},
            'manager': {'manager', 'member', 'reader'},
            'member': {'member', 'reader'},
            'reader': {'reader'}}


class Context:
    """What a request was about, so an error can name it.

    ``server`` is how messages name the server (escaped); ``server_id``
    its UUID, for the commands a message suggests in the words of ``cli``
    to a caller who is an ``admin`` or not.
    ``roles``, when known, are the caller's role names, to tell a refusal
    under Nova's default policy from one under a stricter policy.
    """

    def __init__(self, operation, server=None, migration=None,
                 server_id=None, cli='openstack', admin=True):
        self.operation = operation      # 'abort', 'force_complete', ...
        self.server = server
        self.migration = migration
        self.server_id = server_id
        self.cli = cli
        self.admin = admin
        self.endpoint = None            # scheme://host:port, once answered
        self.roles = None

    @property
    def migration_label(self):
        return 'Migration %s of server %s' % (self.migration, self.server)


def endpoint_of(url):
    """``scheme://host:port`` of a URL: what an error names, without the
    path or query (which may carry IDs but never credentials)."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc) if parts.netloc else None


def nova_message(body):
    """Nova's error text from a fault body, in one line.

    Nova faults are ``{"<faultName>": {"code": ..., "message": ...}}``;
    keystonemiddleware's 401 is ``{"error": {...}}``; WebOb's own 404 is a
    flat ``{"message": ...}`` (nova/api/openstack/wsgi.py ``Fault``,
    keystonemiddleware ``auth_token``, webob/exc.py).
    """
    message = ''
    if isinstance(body, dict):
        if isinstance(body.get('message'), str):
            message = body['message']
        else:
            for value in body.values():
                if isinstance(value, dict) and 'message' in value:
                    message = str(value['message'])
                    break
    message = message.replace('<br />', ' ')
    return ' '.join(message.split())


def request_id(resp):
    """Nova's ID for the request (``req-...``), which its logs are searched
    by; both headers carry it (nova/api/compute_req_id.py)."""
    return (resp.headers.get('x-openstack-request-id')
            or resp.headers.get('x-compute-request-id'))


def from_response(resp, context):
    """The typed error for an error response (status >= 400).

    The message ends like python-openstackclient's own errors, with the
    HTTP status and Nova's request ID: ``(HTTP 403) (Request-ID: req-...)``.
    """
    try:
        body = resp.json()
    except ValueError:
        body = None
    text = nova_message(body) or resp.reason or ''
    status = resp.status_code
    kwargs = {
        'nova_message': text,
        'http_status': status,
        'request_id': request_id(resp),
    }
    context.endpoint = endpoint_of(getattr(resp, 'url', None))
    cls, advice = _classify(status, text, context)
    message = advice
    if text and text not in advice:
        message = '%s (Nova: %s)' % (advice.rstrip('.'),
                                     terminal.printable(text).rstrip('.'))
    message += ' (HTTP %d)' % status
    if kwargs['request_id']:
        message += ' (Request-ID: %s)' % terminal.printable(
            kwargs['request_id'])
    return cls(message, **kwargs)


def _classify(status, text, ctx):
    if status == 400:
        return _bad_request(text, ctx)
    if status == 401:
        return exceptions.Unauthorized, (
            'The cloud refused the credentials or token: check them, or '
            'get a new token')
    if status == 403:
        return exceptions.PolicyRefused, _refused(text, ctx)
    if status == 404:
        return _not_found(text, ctx)
    if status == 409:
        return _conflict(text, ctx)
    if status >= 500:
        return exceptions.ServiceError, (
            'The compute service at %s failed; retry later or ask the '
            'cloud operator' % (ctx.endpoint or 'the cloud'))
    return exceptions.ForceCompleteError, (
        'The compute service refused the request')


def _refused(text, ctx):
    """What Nova refused and which rule, and what Nova's default policy
    says of that rule, never presented as this cloud's policy."""
    match = _POLICY.search(text)
    if not match:
        return 'Not allowed: the cloud\'s policy refused this request'
    rule = match.group('policy')
    advice = 'Not allowed: Nova\'s policy rule %s refused this request' % (
        terminal.printable(rule))
    default = _DEFAULT_POLICY.get(rule)
    if default is None:
        return advice
    role, who = default
    held = set()
    for name in ctx.roles or ():
        held |= _IMPLIES.get(name, {name})
    if role in held:
        mine = 'admin' if 'admin' in ctx.roles else role
        return ('%s; Nova\'s default policy allows it to the %s role you '
                'have, so this cloud\'s policy is stricter: ask its '
                'operator' % (advice, mine))
    return '%s; under Nova\'s default policy it needs %s' % (advice, who)


def _bad_request(text, ctx):
    match = _STATE.search(text)
    if match:
        migration_status = match.group('status')
        label = ctx.migration_label
        if migration_status == POST_COPY:
            return exceptions.AlreadyPostCopy, (
                '%s already switched to post-copy: the guest runs on the '
                'destination and the copy finishes on its own, there is '
                'nothing to force' % label)
        if migration_status in NOT_YET_RUNNING and ctx.operation == 'abort':
            return exceptions.MigrationNotRunning, (
                '%s is %s: aborting it before it runs needs a cloud with '
                'compute API 2.65 or later; wait until it is running' % (
                    label, migration_status))
        if migration_status in NOT_YET_RUNNING:
            return exceptions.MigrationNotRunning, (
                '%s is %s, not running yet: wait until it is running, or '
                'abort it' % (label, migration_status))
        return exceptions.MigrationNotRunning, (
            '%s is already %s: there is nothing to %s' % (
                label, migration_status,
                'abort' if ctx.operation == 'abort' else 'force'))
    if _NOT_FOUND_FOR_INSTANCE.search(text):
        return exceptions.MigrationNotFound, (
            'Server %s has no migration %s' % (ctx.server, ctx.migration))
    return exceptions.ForceCompleteError, (
        'The compute service rejected the request as invalid')


def _not_found(text, ctx):
    if text.startswith('Instance '):
        return exceptions.ServerNotFound, (
            'No server %s is visible to you: it does not exist, or belongs '
            'to another project' % ctx.server)
    if _NOT_IN_PROGRESS.search(text):
        return exceptions.MigrationNotRunning, (
            '%s is not in progress any more (finished, or switched to '
            'post-copy)' % ctx.migration_label)
    if 'igration' in text:
        return exceptions.MigrationNotFound, (
            'Server %s has no in-progress live migration %s' % (
                ctx.server, ctx.migration))
    return exceptions.ForceCompleteError, (
        'The compute service has no such resource: is the endpoint a '
        'Nova compute API v2.1?')


def _conflict(text, ctx):
    if text.endswith(' is locked'):
        unlock = ''
        if ctx.server_id:
            unlock = ' (`%s`)' % hints.unlock(ctx.server_id, ctx.cli)
        return exceptions.ServerLocked, (
            'Server %s is locked: unlock it%s, or ask an admin, whom the '
            'lock does not stop' % (ctx.server, unlock))
    match = _VM_STATE.search(text)
    if match:
        return exceptions.ServerNotMigrating, (
            'Server %s is %s: only the live migration of an active server '
            'can be forced to complete' % (ctx.server, match.group('state')))
    if ctx.operation == 'abort':
        return exceptions.ServerNotMigrating, (
            'Server %s is not being live-migrated (or it is locked), so '
            'there is nothing to abort' % ctx.server)
    return exceptions.ServerNotMigrating, (
        'Server %s is not being live-migrated (its migration may have just '
        'finished), so there is nothing to force' % ctx.server)


def unreachable(reason, endpoint, may_have_applied=False, check_command=None,
                advice=None):
    """EndpointUnreachable for a connection error (``reason`` is short).

    After a read timeout on a mutating request the request may have reached
    Nova and been applied; the message says so, and how to check.
    Otherwise ``advice`` says what to check.
    """
    if may_have_applied:
        message = ('No answer from %s in time: the request may have been '
                   'applied' % endpoint)
        if check_command:
            message += '; check with `%s`' % check_command
        message += ' (%s)' % reason
    else:
        message = 'Cannot reach %s (%s)' % (endpoint, reason)
        if advice:
            message += ': %s' % advice
    error = exceptions.EndpointUnreachable(message)
    error.cause = reason
    return error
