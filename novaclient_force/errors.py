"""Turn Nova's answers into the typed errors of ``exceptions.py``.

Nova's error texts are precise but not actionable ("Migration 5 state of
instance ... is queued. Cannot force complete while the migration is in
this state."). Each error raised here says what the operator can do, in one
line, and keeps Nova's own text in ``nova_message``. The texts recognised
are Nova's templates, all in ``_NOVA_TEXTS``; anything unrecognised still
maps by HTTP status, so a translated or future text never goes unreported.
(Failures with no answer at all are keystoneauth_errors.py's.)
"""

import re
import urllib.parse

from novaclient_force import (
    default_policy,
    exceptions,
    hints,
    retrying,
    statuses,
    terminal,
)

# Nova's error templates, by what each says; searched in Nova's text.
_NOVA_TEXTS = {
    # 400, nova/exception.py InvalidMigrationState: "Migration
    # %(migration_id)s state of instance %(instance_uuid)s is %(state)s.
    # Cannot %(method)s while the migration is in this state."
    'migration_state': re.compile(
        r'Migration (?P<mid>\S+) state of instance \S+ is '
        r'(?P<status>.+?)\. Cannot'),
    # 400 (force-complete) or 404 (abort), nova/exception.py
    # MigrationNotFoundForInstance: "Migration %(migration_id)s not found
    # for instance %(instance_id)s"
    'migration_not_found': re.compile(r'Migration \S+ not found for instance'),
    # 403, nova/exception.py PolicyNotAuthorized: "Policy doesn't allow
    # %(action)s to be performed."
    'policy': re.compile(r"Policy doesn't allow (?P<policy>\S+) to be "
                         r"performed"),
    # 404, nova/exception.py InstanceNotFound: "Instance %(instance_id)s
    # could not be found."
    'server_not_found': re.compile(r'^Instance '),
    # 404, nova/api/openstack/compute/server_migrations.py ``show``: "Live
    # migration %(id)s for server %(uuid)s is not in progress."
    'not_in_progress': re.compile(r'is not in progress'),
    # 404, the rest of server_migrations.py ``show``: "In-progress live
    # migration %(id)s is not found for server %(uuid)s.", "Migration
    # %(id)s for server %(uuid)s is not live-migration."
    'no_such_migration': re.compile(r'igration'),
    # 409, nova/exception.py InstanceIsLocked: "Instance
    # %(instance_uuid)s is locked"
    'locked': re.compile(r' is locked$'),
    # 409, nova/api/openstack/common.py
    # ``raise_http_conflict_for_instance_invalid_state``: "Cannot
    # '%(action)s' instance %(server_id)s while it is in %(attr)s
    # %(state)s"
    'vm_state': re.compile(r'while it is in vm_state (?P<state>\S+)'),
}


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
        return f'Migration {self.migration} of server {self.server}'


def endpoint_of(url):
    """``scheme://host:port`` of a URL: what an error names, without the
    path or query (which may carry IDs but never credentials)."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}' if parts.netloc else None


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
    retry_after = retrying.retry_after(resp.headers)
    cls, advice = _classify(status, text, context)
    message = advice
    if text and text not in advice:
        message = (f"{advice.rstrip('.')} "
                   f"(Nova: {terminal.printable(text).rstrip('.')})")
    message += f' (HTTP {status})'
    if kwargs['request_id']:
        message += (f' (Request-ID: '
                    f"{terminal.printable(kwargs['request_id'])})")
    error = cls(message, **kwargs)
    error.retry_after = retry_after
    return error


#: What a refusal to force a migration not running yet advises, until
#: queued_behind() says more.
NOT_STARTED_ADVICE = 'wait until it is running, or abort it'


def migration_state(error):
    """The status Nova named when it refused to act on a migration in it
    (``InvalidMigrationState``), or ''."""
    match = _NOVA_TEXTS['migration_state'].search(error.nova_message or '')
    return match.group('status') if match else ''


def queued_behind(error, ahead):
    """``error`` (a refusal to force a migration not running yet) saying
    what it waits behind (``ahead``, in words) and how to force it."""
    message = error.message.replace(
        NOT_STARTED_ADVICE, f'{ahead}; rerun with --wait to force it once '
        f'it runs, or abort it', 1)
    again = type(error)(message, nova_message=error.nova_message,
                        http_status=error.http_status,
                        request_id=error.request_id)
    again.retry_after = error.retry_after
    return again


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
    if status == 429:
        return exceptions.RateLimited, (
            f'The compute service at {ctx.endpoint or "the cloud"} is '
            f'limiting the rate of requests: retry later')
    if status >= 500:
        return exceptions.ServiceError, (
            f'The compute service at {ctx.endpoint or "the cloud"} failed; '
            f'retry later or ask the cloud operator')
    return exceptions.ForceCompleteError, (
        'The compute service refused the request')


def _refused(text, ctx):
    """What Nova refused and which rule, and what Nova's default policy
    says of that rule, never presented as this cloud's policy."""
    match = _NOVA_TEXTS['policy'].search(text)
    if not match:
        return "Not allowed: the cloud's policy refused this request"
    rule = match.group('policy')
    advice = (f"Not allowed: Nova's policy rule {terminal.printable(rule)} "
              f"refused this request")
    default = default_policy.describe(rule, ctx.roles or ())
    return f'{advice}; {default}' if default else advice


def _bad_request(text, ctx):
    match = _NOVA_TEXTS['migration_state'].search(text)
    if match:
        status = match.group('status')
        label = ctx.migration_label
        if status == statuses.POST_COPY:
            return exceptions.AlreadyPostCopy, (
                f'{label} already switched to post-copy: the guest runs on '
                f'the destination and the copy finishes on its own, there '
                f'is nothing to force')
        if status in statuses.NOT_STARTED and ctx.operation == 'abort':
            return exceptions.MigrationNotRunning, (
                f'{label} is {status}: aborting it before it runs needs a '
                f'cloud with compute API 2.65 or later; wait until it is '
                f'running')
        if status in statuses.NOT_STARTED:
            return exceptions.MigrationNotRunning, (
                f'{label} is {status}, not running yet: {NOT_STARTED_ADVICE}')
        verb = 'abort' if ctx.operation == 'abort' else 'force'
        return exceptions.MigrationNotRunning, (
            f'{label} is already {status}: there is nothing to {verb}')
    if _NOVA_TEXTS['migration_not_found'].search(text):
        return exceptions.MigrationNotFound, (
            f'Server {ctx.server} has no migration {ctx.migration}')
    return exceptions.ForceCompleteError, (
        'The compute service rejected the request as invalid')


def _not_found(text, ctx):
    if _NOVA_TEXTS['server_not_found'].search(text):
        return exceptions.ServerNotFound, (
            f'No server {ctx.server} is visible to you: it does not exist, '
            f'or belongs to another project')
    if _NOVA_TEXTS['not_in_progress'].search(text):
        return exceptions.MigrationNotRunning, (
            f'{ctx.migration_label} is not in progress any more (finished, '
            f'or switched to post-copy)')
    if _NOVA_TEXTS['no_such_migration'].search(text):
        return exceptions.MigrationNotFound, (
            f'Server {ctx.server} has no in-progress live migration '
            f'{ctx.migration}')
    return exceptions.ForceCompleteError, (
        'The compute service has no such resource: is the endpoint a '
        'Nova compute API v2.1?')


def _conflict(text, ctx):
    if _NOVA_TEXTS['locked'].search(text):
        unlock = ''
        if ctx.server_id:
            unlock = f' (`{hints.unlock(ctx.server_id, ctx.cli)}`)'
        return exceptions.ServerLocked, (
            f'Server {ctx.server} is locked: unlock it{unlock}, or ask an '
            f'admin, whom the lock does not stop')
    match = _NOVA_TEXTS['vm_state'].search(text)
    if match:
        return exceptions.ServerNotMigrating, (
            f"Server {ctx.server} is {match.group('state')}: only the live "
            f"migration of an active server can be forced to complete")
    if ctx.operation == 'abort':
        return exceptions.ServerNotMigrating, (
            f'Server {ctx.server} is not being live-migrated (or it is '
            f'locked), so there is nothing to abort')
    return exceptions.ServerNotMigrating, (
        f'Server {ctx.server} is not being live-migrated (its migration may '
        f'have just finished), so there is nothing to force')
