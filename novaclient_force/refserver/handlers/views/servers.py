"""Server bodies: keys per microversion and role.

Source: ``nova/api/openstack/compute/views/servers.py`` (``ViewBuilder``:
``basic``, ``show``, ``_get_flavor``, ``_get_links``).
"""

from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import flavors
from novaclient_force.refserver.state import store as store_mod

_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE',
                      'VERIFY_RESIZE', 'MIGRATING')


def links(context, server_id):
    """``ViewBuilder._get_links``: self and bookmark."""
    return [
        {'rel': 'self',
         'href': f'{context.links_base}/servers/{server_id}'},
        {'rel': 'bookmark',
         'href': f'{context.bookmark_base}/servers/{server_id}'},
    ]


def basic(context, server):
    """``ViewBuilder.basic``: the entries of ``GET /servers``."""
    return {'id': server['uuid'], 'name': server['name'],
            'links': links(context, server['uuid'])}


def _flavor(context, server):
    flavor = flavors.for_memory(server['memory_bytes'])
    if context.version >= (2, 47):
        return {'vcpus': flavor.vcpus, 'ram': flavor.ram,
                'disk': flavor.disk, 'ephemeral': 0, 'swap': 0,
                'original_name': flavor.name, 'extra_specs': {}}
    return {'id': str(flavor.id), 'links': [{
        'rel': 'bookmark',
        'href': f'{context.bookmark_base}/flavors/{flavor.id}'}]}


def _hostname(server):
    """``Instance.hostname``: the name at creation until a rename, which
    keeps it (a row renamed by no one has none of its own)."""
    return server['hostname'] or server['name']


def show(context, server, allowed, listed=False):
    """One server (``ViewBuilder.show``); ``allowed(rule)`` says whether
    the caller passes a policy rule for it; ``listed`` for the entries of
    servers/detail, which never carry ``server_groups``."""
    v = context.version
    shown = common.status(server)
    body = {
        'id': server['uuid'], 'name': server['name'], 'status': shown,
        'tenant_id': server['project_id'], 'user_id': server['user_id'],
        'metadata': {}, 'hostId': common.host_id(server['project_id'],
                                                 server['host']),
        'image': '', 'flavor': _flavor(context, server),
        'created': store_mod.zulu(server['created']),
        'updated': store_mod.zulu(server['updated']),
        'addresses': {}, 'accessIPv4': '', 'accessIPv6': '',
        'links': links(context, server['uuid']),
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': 'nova', 'config_drive': '',
        'key_name': None,
        'OS-SRV-USG:launched_at': store_mod.isotime(server['launched_at']),
        'OS-SRV-USG:terminated_at': None,
        'OS-EXT-STS:task_state': server['task_state'],
        'OS-EXT-STS:vm_state': server['vm_state'],
        'OS-EXT-STS:power_state': server['power_state'],
        'os-extended-volumes:volumes_attached': [],
        'security_groups': [{'name': 'default'}],
    }
    if shown in _PROGRESS_STATUSES:
        body['progress'] = 0
    if allowed('os_compute_api:os-extended-server-attributes'):
        body['OS-EXT-SRV-ATTR:host'] = server['host']
        body['OS-EXT-SRV-ATTR:hypervisor_hostname'] = server['node']
        body['OS-EXT-SRV-ATTR:instance_name'] = (
            f"instance-{int(server['uuid'][:8], 16) % 2 ** 32:08x}")
        if v >= (2, 3):
            body.update({
                'OS-EXT-SRV-ATTR:hostname': _hostname(server),
                'OS-EXT-SRV-ATTR:reservation_id':
                    f"r-{server['uuid'][:8]}",
                'OS-EXT-SRV-ATTR:launch_index': 0,
                'OS-EXT-SRV-ATTR:kernel_id': '',
                'OS-EXT-SRV-ATTR:ramdisk_id': '',
                'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
                'OS-EXT-SRV-ATTR:user_data': None})
    elif v >= (2, 90):
        # 2.90 shows everyone the hostname, the one extended attribute
        # that is not admin-only; host and node stay hidden.
        body['OS-EXT-SRV-ATTR:hostname'] = _hostname(server)
    if v >= (2, 9):
        body['locked'] = bool(server['locked'])
    if v >= (2, 16) and allowed('os_compute_api:servers:show:host_status'):
        body['host_status'] = 'UP'
    if v >= (2, 19):
        body['description'] = None
    if v >= (2, 26):
        body['tags'] = []
    if v >= (2, 63):
        body['trusted_image_certificates'] = None
    if v >= (2, 71) and not listed:
        body['server_groups'] = []
    if v >= (2, 73):
        body['locked_reason'] = server['locked_reason']
    if v >= (2, 96):
        body['pinned_availability_zone'] = None
    if v >= (2, 100):
        body['scheduler_hints'] = {}
    return body
