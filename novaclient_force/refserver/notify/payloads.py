"""Versioned notifications Nova emits around live migration.

Pure builders: they take plain dicts and return the notification dicts the
oslo.messaging notifier would put on the wire (``message_id``,
``publisher_id``, ``event_type``, ``priority``, ``payload``,
``timestamp``); the caller decides when to emit them and writes them out.

Shapes follow Nova's ``doc/notification_samples/instance-live_migration_*``
(payload ``InstanceActionPayload`` 1.9 = ``InstancePayload`` fields plus
``fault``; ``FlavorPayload`` 1.4); emission points and order follow
``nova/compute/manager.py``:

* ``pre_live_migration`` (destination): ``live_migration_pre.start/.end``;
* ``_post_live_migration`` (source): ``live_migration_post.start``, then
  the destination's ``post_live_migration_at_destination``
  (``live_migration_post_dest.start``, ``.end`` once the instance's host
  and node are the destination's and its task_state is cleared), then
  ``live_migration_post.end`` (the source's copy of the instance, still
  showing the source host);
* ``_rollback_live_migration`` (source): ``live_migration_rollback.start``,
  the destination's ``live_migration_rollback_dest.start/.end``, then
  ``live_migration_rollback.end`` with task_state cleared;
* ``live_migration_force_complete`` and ``live_migration_abort`` (source):
  ``.start``, the driver call, ``.end`` -- an exception from the driver
  (e.g. NoActiveMigrationForInstance) means no ``.end``.

Inputs:

``instance``
    ``uuid``, ``name``, ``host``, ``node``, ``project_id``, ``user_id``,
    ``vm_state``, ``power_state`` (Nova's int or name), ``locked``,
    ``locked_reason``, ``created_at``/``launched_at``/``updated_at`` (epoch
    seconds), ``flavor`` (``name``, ``flavorid``, ``memory_mb``, ``vcpus``,
    ``root_gb``, optional ``ephemeral_gb``, ``swap``, ``extra_specs``) and
    optionally ``image_uuid``, ``key_name``, ``availability_zone``,
    ``description``, ``progress``, ``ip_addresses``;
``migration``
    ``source_compute``, ``dest_compute`` and optionally ``dest_node``;
``context``
    ``user_id``, ``project_id``, ``request_id`` of the request behind the
    action (for the live-migration phases: the live-migrate request).
"""

import datetime
import re

from novaclient_force.refserver.state import ids

PRIORITY = 'INFO'
ACTIONS = ('live_migration_pre', 'live_migration_post',
           'live_migration_post_dest', 'live_migration_rollback',
           'live_migration_rollback_dest', 'live_migration_force_complete',
           'live_migration_abort')
#: ``nova/compute/power_state.py``
POWER_STATES = {0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown',
                6: 'crashed', 7: 'suspended'}
_MESSAGE_NAMESPACE = ids.namespace(
    '0b1d6a5e-9a51-5c47-8f8a-6e6f74696679')


def live_migration_pre(instance, migration, context, timestamp):
    """``live_migration_pre.start/.end`` from the destination."""
    return _pair('live_migration_pre', _migrating(instance),
                 migration['dest_compute'], context, timestamp)


def live_migration_success(instance, migration, context, timestamp):
    """post.start, post_dest.start, post_dest.end, post.end."""
    source, dest = migration['source_compute'], migration['dest_compute']
    during = _migrating(instance, host=source,
                        node=instance.get('node') or source)
    arrived = dict(during, host=dest,
                   node=migration.get('dest_node') or dest, task_state=None)
    return [
        instance_action('live_migration_post', 'start', during, source,
                        context, timestamp),
        instance_action('live_migration_post_dest', 'start', during, dest,
                        context, timestamp),
        instance_action('live_migration_post_dest', 'end', arrived, dest,
                        context, timestamp),
        instance_action('live_migration_post', 'end', during, source,
                        context, timestamp),
    ]


def live_migration_rollback(instance, migration, context, timestamp):
    """rollback.start, rollback_dest.start/.end, rollback.end."""
    source, dest = migration['source_compute'], migration['dest_compute']
    during = _migrating(instance, host=source,
                        node=instance.get('node') or source)
    return [
        instance_action('live_migration_rollback', 'start', during, source,
                        context, timestamp),
        instance_action('live_migration_rollback_dest', 'start', during,
                        dest, context, timestamp),
        instance_action('live_migration_rollback_dest', 'end', during, dest,
                        context, timestamp),
        instance_action('live_migration_rollback', 'end',
                        dict(during, task_state=None), source, context,
                        timestamp),
    ]


def force_complete(instance, migration, context, timestamp,
                   succeeded=True):
    """``live_migration_force_complete.start`` (+ ``.end`` if the driver
    accepted the request)."""
    return _pair('live_migration_force_complete', _migrating(instance),
                 migration['source_compute'], context, timestamp, succeeded)


def abort(instance, migration, context, timestamp, succeeded=True):
    """``live_migration_abort.start`` (+ ``.end`` if the driver accepted
    the request)."""
    return _pair('live_migration_abort', _migrating(instance),
                 migration['source_compute'], context, timestamp, succeeded)


def _migrating(instance, **changes):
    return dict(instance, task_state='migrating', **changes)


def _pair(action, instance, host, context, timestamp, succeeded=True):
    phases = ('start', 'end') if succeeded else ('start',)
    return [instance_action(action, phase, instance, host, context,
                            timestamp) for phase in phases]


def instance_action(action, phase, instance, host, context, timestamp):
    """One ``instance.<action>.<phase>`` notification from ``host``."""
    if action not in ACTIONS or phase not in ('start', 'end'):
        raise ValueError(f'unknown notification {action}.{phase}')
    event_type = f'instance.{action}.{phase}'
    wire_time = _utc(timestamp).strftime('%Y-%m-%d %H:%M:%S.%f')
    return {
        'message_id': ids.name_uuid(_MESSAGE_NAMESPACE, '|'.join((
            event_type, instance['uuid'], context.get('request_id') or '',
            repr(float(timestamp))))),
        'publisher_id': f'nova-compute:{host}',
        'event_type': event_type,
        'priority': PRIORITY,
        'payload': _versioned('InstanceActionPayload', '1.9',
                              _instance_payload(instance, context)),
        'timestamp': wire_time,
    }


def _versioned(name, version, data):
    return {'nova_object.name': name, 'nova_object.namespace': 'nova',
            'nova_object.version': version, 'nova_object.data': data}


def _utc(epoch):
    return datetime.datetime.fromtimestamp(float(epoch),
                                           datetime.timezone.utc)


def _iso(epoch):
    """Notification datetime fields: ``2012-10-29T13:42:11Z``."""
    return None if epoch is None else _utc(epoch).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def _instance_payload(instance, context):
    power = instance.get('power_state', 1)
    return {
        'action_initiator_project': context.get('project_id'),
        'action_initiator_user': context.get('user_id'),
        'architecture': 'x86_64',
        'auto_disk_config': 'MANUAL',
        'availability_zone': instance.get('availability_zone', 'nova'),
        'block_devices': [],
        'created_at': _iso(instance.get('created_at')),
        'deleted_at': None,
        'display_description': instance.get('description',
                                            instance['name']),
        'display_name': instance['name'],
        'fault': None,
        'flavor': _flavor(instance['flavor']),
        'host': instance.get('host'),
        'host_name': _hostname(instance['name'], instance['uuid']),
        'image_uuid': instance.get('image_uuid', ''),
        'ip_addresses': [_versioned('IpPayload', '1.0', address)
                         for address in instance.get('ip_addresses', ())],
        'kernel_id': '',
        'key_name': instance.get('key_name'),
        'launched_at': _iso(instance.get('launched_at')),
        'locked': bool(instance.get('locked', False)),
        'locked_reason': instance.get('locked_reason'),
        'metadata': {},
        'node': instance.get('node'),
        'os_type': None,
        'power_state': POWER_STATES.get(power, power),
        'progress': instance.get('progress', 0),
        'ramdisk_id': '',
        'request_id': context.get('request_id'),
        'reservation_id': f"r-{instance['uuid'].replace('-', '')[:8]}",
        'shares': [],
        'state': instance.get('vm_state', 'active'),
        'task_state': instance.get('task_state'),
        'tenant_id': instance.get('project_id'),
        'terminated_at': None,
        'updated_at': _iso(instance.get('updated_at')),
        'user_id': instance.get('user_id'),
        'uuid': instance['uuid'],
    }


def _flavor(flavor):
    return _versioned('FlavorPayload', '1.4', {
        'description': None,
        'disabled': False,
        'ephemeral_gb': flavor.get('ephemeral_gb', 0),
        'extra_specs': dict(flavor.get('extra_specs', {})),
        'flavorid': str(flavor['flavorid']),
        'is_public': True,
        'memory_mb': flavor['memory_mb'],
        'name': flavor['name'],
        'projects': None,
        'root_gb': flavor['root_gb'],
        'rxtx_factor': 1.0,
        'swap': flavor.get('swap', 0),
        'vcpu_weight': 0,
        'vcpus': flavor['vcpus'],
    })


def _hostname(name, server_uuid):
    """Nova's ``utils.sanitize_hostname``: spaces, underscores and dots to
    hyphens, other non-word characters dropped, lower case, at most 63
    characters; ``Server-<uuid>`` when nothing is left."""
    cleaned = re.sub(r'[^\w.-]+', '', re.sub(r'[ _.]', '-', name))
    return cleaned.lower().strip('.-')[:63] or f"server-{server_uuid}"
