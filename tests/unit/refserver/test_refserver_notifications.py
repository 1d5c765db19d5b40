"""Notification builders against Nova's own notification samples."""

import datetime
import json
import os

from novaclient_force.refserver.notify import payloads
from tests import testcase

SAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', 'samples',
                       'notifications')
SOURCE, DEST = 'compute', 'host2'   # the hosts in Nova's samples
STARTED = 1700000000.0

INSTANCE = {
    'uuid': '178b0921-8f85-4257-88b6-2e743b5a975c',
    'name': 'some-server',
    'host': SOURCE,
    'node': 'fake-mini',
    'project_id': '6f70656e737461636b20342065766572',
    'user_id': 'fake',
    'vm_state': 'active',
    'power_state': 1,
    'locked': False,
    'locked_reason': None,
    'created_at': STARTED - 86400,
    'launched_at': STARTED - 86370,
    'updated_at': STARTED,
    'image_uuid': '155d900f-4e14-4e4c-a73d-069cbf4541e6',
    'flavor': {'name': 'm1.medium', 'flavorid': '3', 'memory_mb': 4096,
               'vcpus': 2, 'root_gb': 40},
}
MIGRATION = {'source_compute': SOURCE, 'dest_compute': DEST}
CONTEXT = {'user_id': 'admin', 'project_id': 'admin-project',
           'request_id': 'req-5b6c791d-5709-4f36-8fbe-c3e02869e35d'}


def resolve(node, base):
    """Expand the samples' ``$ref``s the way Nova's sample tests do: the
    referenced object, with the referring object's ``nova_object.data``
    keys overriding its own."""
    if isinstance(node, list):
        return [resolve(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    if '$ref' not in node:
        return {key: resolve(value, base) for key, value in node.items()}
    path = os.path.join(base, node['$ref'].split('#')[0])
    with open(path, encoding='utf-8') as stream:
        target = resolve(json.load(stream), os.path.dirname(path))
    for key, value in node.items():
        if key == 'nova_object.data':
            target[key] = dict(target[key], **resolve(value, base))
        elif key != '$ref':
            target[key] = resolve(value, base)
    return target


def sample(event_type):
    event = event_type[len('instance.'):].replace('.', '-')
    name = f'instance-{event}.json'
    with open(os.path.join(SAMPLES, name), encoding='utf-8') as stream:
        return resolve(json.load(stream), SAMPLES)


def built():
    """Every builder's output, by event type."""
    result = []
    result += payloads.live_migration_pre(INSTANCE, MIGRATION, CONTEXT,
                                               STARTED)
    result += payloads.force_complete(INSTANCE, MIGRATION, CONTEXT,
                                           STARTED + 60)
    result += payloads.abort(INSTANCE, MIGRATION, CONTEXT, STARTED + 61)
    result += payloads.live_migration_success(INSTANCE, MIGRATION,
                                                   CONTEXT, STARTED + 64)
    result += payloads.live_migration_rollback(INSTANCE, MIGRATION,
                                                    CONTEXT, STARTED + 65)
    return {item['event_type']: item for item in result}


def shape(value):
    """The key structure of a versioned object, values dropped."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return None


def flavor_shape(flavor):
    """A flavor's shape; extra_specs keys are data, not structure."""
    result = shape(flavor)
    result['nova_object.data']['extra_specs'] = {}
    return result


class TestAgainstNovaSamples(testcase.TestCase):

    def test_every_sample_is_covered(self):
        names = sorted(name for name in os.listdir(SAMPLES)
                       if name.endswith('.json'))
        self.assertEqual(14, len(names))
        events = built()
        self.assertEqual(len(names), len(events))
        for name in names:
            event_type = 'instance.' + name[len('instance-'):-5].replace(
                '-', '.')
            self.assertIn(event_type, events)

    def test_envelope_and_payload_shapes(self):
        for event_type, ours in built().items():
            theirs = sample(event_type)
            self.assertEqual({'message_id', 'timestamp'},
                             set(ours) - set(theirs), event_type)
            self.assertEqual(set(), set(theirs) - set(ours))
            for key in ('event_type', 'priority', 'publisher_id'):
                self.assertEqual(theirs[key], ours[key], event_type)
            payload, expected = ours['payload'], theirs['payload']
            for key in ('nova_object.name', 'nova_object.namespace',
                        'nova_object.version'):
                self.assertEqual(expected[key], payload[key])
            data, expected_data = (payload['nova_object.data'],
                                   expected['nova_object.data'])
            self.assertEqual(sorted(expected_data), sorted(data),
                             event_type)
            self.assertEqual(flavor_shape(expected_data['flavor']),
                             flavor_shape(data['flavor']))

    def test_state_values_match_the_samples(self):
        # The values the samples pin for this flow: task_state, host and
        # node as they are at each point, and the initiator.
        for event_type, ours in built().items():
            data = ours['payload']['nova_object.data']
            expected = sample(event_type)['payload']['nova_object.data']
            self.assertEqual(expected['task_state'], data['task_state'],
                             event_type)
            self.assertEqual(expected['action_initiator_user'],
                             data['action_initiator_user'])
            self.assertEqual(expected['state'], data['state'])
            self.assertEqual(expected['power_state'], data['power_state'])
            if event_type == 'instance.live_migration_post_dest.end':
                self.assertEqual((DEST, DEST), (data['host'], data['node']))
            else:
                self.assertEqual(SOURCE, data['host'], event_type)


class TestBuilders(testcase.TestCase):

    def test_order_of_a_successful_migration(self):
        events = payloads.live_migration_success(
            INSTANCE, MIGRATION, CONTEXT, STARTED)
        self.assertEqual(
            ['instance.live_migration_post.start',
             'instance.live_migration_post_dest.start',
             'instance.live_migration_post_dest.end',
             'instance.live_migration_post.end'],
            [event['event_type'] for event in events])

    def test_failed_driver_call_has_no_end(self):
        events = payloads.force_complete(
            INSTANCE, MIGRATION, CONTEXT, STARTED, succeeded=False)
        self.assertEqual(['instance.live_migration_force_complete.start'],
                         [event['event_type'] for event in events])

    def test_values_from_inputs(self):
        (start, _) = payloads.abort(INSTANCE, MIGRATION, CONTEXT,
                                         STARTED)
        data = start['payload']['nova_object.data']
        self.assertEqual(CONTEXT['request_id'], data['request_id'])
        self.assertEqual('admin-project', data['action_initiator_project'])
        self.assertEqual(INSTANCE['project_id'], data['tenant_id'])
        self.assertEqual('2023-11-14T22:13:20Z', data['updated_at'])
        self.assertEqual(4096, data['flavor']['nova_object.data']
                         ['memory_mb'])
        self.assertEqual('running', data['power_state'])
        stamp = datetime.datetime.strptime(start['timestamp'],
                                           '%Y-%m-%d %H:%M:%S.%f')
        self.assertEqual(STARTED, stamp.replace(
            tzinfo=datetime.timezone.utc).timestamp())

    def test_message_ids_are_unique_and_stable(self):
        first = [event['message_id'] for event in built().values()]
        again = [event['message_id'] for event in built().values()]
        self.assertEqual(first, again)
        self.assertEqual(len(first), len(set(first)))

    def test_paused_server_and_hostname(self):
        instance = dict(INSTANCE, name='My_Server.01 (test)', power_state=3,
                        vm_state='paused')
        (start, _) = payloads.live_migration_pre(
            instance, MIGRATION, CONTEXT, STARTED)
        data = start['payload']['nova_object.data']
        self.assertEqual('my-server-01-test', data['host_name'])
        self.assertEqual(('paused', 'paused'),
                         (data['state'], data['power_state']))
        self.assertEqual('nova-compute:' + DEST, start['publisher_id'])

    def test_unknown_action(self):
        self.assertRaises(ValueError, payloads.instance_action,
                          'live_migration_pause', 'start', INSTANCE,
                          SOURCE, CONTEXT, STARTED)
