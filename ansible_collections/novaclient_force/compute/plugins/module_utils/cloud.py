# Copyright: novaclient-force developers
# Apache License 2.0 (see http://www.apache.org/licenses/LICENSE-2.0)
"""What every module of the collection shares: the cloud options, the
SDK client they build, and the results an Outcome comes to.

The client is built from openstack.cloud's options through
openstacksdk's config loader (``openstack.connect``, as openstack.cloud's
``openstack_cloud_from_module`` does), so clouds.yaml, ``OS_CLOUD`` and
the ``OS_*`` variables mean what they mean to ``openstack``. The exit
status and message of a run are the CLI core's (``cli.verdict``), so a
task fails with the ``rc`` that ``openstack`` would have exited with.
"""

import traceback

try:
    from novaclient_force import exceptions
    from novaclient_force.cli import verdict
except ImportError:
    SDK_IMPORT_ERROR = traceback.format_exc()
else:
    SDK_IMPORT_ERROR = None

CLOUD_OPTIONS = {
    'cloud': {'type': 'raw'},
    'auth': {'type': 'dict', 'no_log': True},
    'auth_type': {'type': 'str'},
    'region_name': {'type': 'str'},
    'validate_certs': {'type': 'bool', 'aliases': ['verify']},
    'ca_cert': {'type': 'str', 'aliases': ['cacert']},
    'client_cert': {'type': 'str', 'aliases': ['cert']},
    'client_key': {'type': 'str', 'no_log': False, 'aliases': ['key']},
    'api_timeout': {'type': 'int'},
    'interface': {'type': 'str', 'default': 'public',
                  'choices': ['admin', 'internal', 'public'],
                  'aliases': ['endpoint_type']},
}

#: The options a ``cloud`` dict replaces; openstack.cloud refuses both.
_CONNECTION_OPTIONS = {
    'auth': 'auth', 'auth_type': 'auth_type', 'region_name': 'region_name',
    'validate_certs': 'verify', 'ca_cert': 'cacert', 'client_cert': 'cert',
    'client_key': 'key', 'api_timeout': 'api_timeout',
}


def argument_spec(**options):
    """The module's own options after the cloud options."""
    spec = dict(CLOUD_OPTIONS)
    spec.update(options)
    return spec


def require_sdk(module):
    """Fail the task in one line when novaclient-force is missing on the
    host that runs the module."""
    if SDK_IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib('novaclient-force'),
                         exception=SDK_IMPORT_ERROR)


def client(module):
    """A ``novaclient_force.client.Client`` for the module's cloud
    options; a task failure (rc 2, nothing sent) when they are wrong."""
    import openstack

    from novaclient_force import client as sdk_client

    params = module.params
    given = {key: params[name] for name, key in _CONNECTION_OPTIONS.items()
             if params[name] is not None}
    cloud = params['cloud']
    if isinstance(cloud, dict):
        clash = sorted(name for name in _CONNECTION_OPTIONS
                       if params[name] is not None)
        if params['interface'] != 'public':
            clash.append('interface')
        if clash:
            fail(module, exceptions.InvalidArgument(
                f"Give the cloud's settings either in cloud or in "
                f"{', '.join(clash)}, not both"))
        settings = cloud
    else:
        settings = dict(cloud=cloud, interface=params['interface'], **given)
    try:
        with sdk_client.config_errors():
            connection = openstack.connect(**settings)
        return sdk_client.Client(connection=connection)
    except exceptions.ForceCompleteError as exc:
        fail(module, exc)


def fail(module, error, **results):
    """Fail the task for an SDK error: its exit status in ``rc``, its
    words in ``msg``, its type in ``kind``."""
    report = verdict.of_error(error)
    module.fail_json(msg=report.message, rc=report.exit_code,
                     kind=report.kind, **results)


def interrupted(module, stop, report=None, changed=None):
    """Fail the task for SIGINT or SIGTERM: whatever Nova had accepted
    by then is in ``outcomes``; ``report`` is the CLI core's
    verdict.Report for it when the caller has its own, ``changed``
    whether anything was changed (by default: something was forced)."""
    report = report or verdict.of_interruption(stop)
    if changed is None:
        changed = any(o.forced for o in stop.outcomes)
    module.fail_json(msg=report.message, rc=report.exit_code,
                     kind=report.kind, changed=changed,
                     outcomes=[fields(o) for o in stop.outcomes])


def interrupted_drain_changed(rows, disabling):
    """Whether an interrupted drain changed anything. A drain is
    interrupted only once it has disabled the service (``disabling``:
    it was to), and its rows then count a move Nova accepted as
    ``unknown``, not forced: any move requested and neither refused nor
    left unrequested is a change."""
    from novaclient_force import emptied as sdk_emptied
    from novaclient_force import outcome

    moves = (sdk_emptied.LIVE_MIGRATE, sdk_emptied.COLD_MIGRATE)
    return disabling or any(
        row.forced or (row.action in moves and row.status not in (
            outcome.ERROR, sdk_emptied.LEFT))
        for row in rows)


def fields(result):
    """An Outcome as a task result: its fields, its ``rc`` (the exit
    status it means) and the numbers of its diagnosis."""
    diagnosis = result.diagnosis
    return {
        'server': result.server,
        'server_name': result.server_name,
        'migration': result.migration,
        'migration_uuid': result.migration_uuid,
        'status': result.status,
        'migration_status': result.migration_status,
        'forced': result.forced,
        'reason': result.reason,
        'detail': result.detail,
        'policy_note': result.policy_note,
        'duration': result.duration,
        'diagnosis': None if diagnosis is None else diagnosis.as_dict(),
        'hint': result.hint,
        'rc': result.exit_code,
    }


def compute_service(compute, host, binary):
    """The service ``binary`` of ``host`` as Nova lists it (admin-only by
    default: ``os_compute_api:os-services:list``); UnknownHost if none.

    Like the SDK's drain (``compute_services``), by the service's UUID
    (2.53+), but for any binary, and as Nova shows it, for the result.
    """
    from novaclient_force import compute_services, errors, terminal

    body = compute.get_json(
        '/os-services', compute_services.BY_UUID,
        errors.Context(f'list the services of {terminal.printable(host)}'),
        params={'host': host, 'binary': binary})
    found = [s for s in body.get('services', ())
             if s.get('host') == host and s.get('binary') == binary]
    if not found:
        raise exceptions.UnknownHost(
            f'No {terminal.printable(binary)} service runs on a host named '
            f'{terminal.printable(host)}')
    return found[0]


def set_service(compute, service, changes):
    """Apply ``changes`` (status, disabled_reason) to ``service``; the
    service as Nova answers it."""
    from novaclient_force import compute_services, errors, terminal

    resp = compute.request(
        'PUT', f"/os-services/{service['id']}", compute_services.BY_UUID,
        errors.Context(f"update the service of "
                       f"{terminal.printable(service.get('host'))}"),
        json=changes)
    return resp.json()['service']


def drained(emptied, disabling):
    """A drain's task result: one result per server, the host's state,
    and the exit status, message and kind of the drain command's CLI
    core (``cli.draining.ended``), with ``changed``.

    ``emptied`` is the SDK's list (novaclient_force.emptied.Emptied);
    ``disabling``: the drain was to disable a service that was not
    disabled before it. Changed means something was (or, in a dry run,
    would be) done: the service disabled, a server moved or a migration
    forced; a host already empty and disabled is no change.
    """
    from novaclient_force import emptied as sdk_emptied
    from novaclient_force import outcome
    from novaclient_force.cli import draining

    moves = (sdk_emptied.LIVE_MIGRATE, sdk_emptied.COLD_MIGRATE)
    if emptied.dry_run:
        moved = any(row.action in moves for row in emptied)
    else:
        moved = any(row.forced or (row.action in moves
                                   and row.status != outcome.ERROR)
                    for row in emptied)
    rows = []
    for row in emptied:
        result = fields(row)
        result.update(action=row.action, source=row.source,
                      destination=row.destination,
                      estimated_pause=row.estimated_pause,
                      vm_status=row.vm_status)
        rows.append(result)
    report = draining.ended(emptied)
    result = {
        'changed': moved or (disabling and (emptied.disabled
                                            or emptied.dry_run)),
        'host': emptied.host, 'empty': emptied.empty,
        'disabled': emptied.disabled, 'still_there': emptied.still_there,
        'servers': rows, 'rc': report.exit_code, 'msg': report.message,
    }
    if report.kind:
        result['kind'] = report.kind
    return result
