"""Nova's answers become typed, actionable, one-line errors."""

import requests
from keystoneauth1 import fixture as ksa_fixture

from novaclient_force import exceptions
from tests.unit.sdk import failing_connections
from tests.unit.sdk import sdk_fakes as f

ACTION = f.COMPUTE + f'/servers/{f.SERVER}/migrations/7/action'
REFUSED = failing_connections.refused()


def state(status):
    return (f'Migration 7 state of instance {f.SERVER} is {status}. Cannot '
            'force complete while the migration is in this state.')


# (status, fault key, Nova's text, expected class, advice fragment)
CASES = [
    (400, 'badRequest', state('queued'), exceptions.MigrationNotRunning,
     'is queued, not running yet: it waits behind the live migrations '
     'running on its source host (Nova runs max_concurrent_live_migrations '
     'per host at a time); rerun with --wait to force it once it runs, or '
     'abort it'),
    (400, 'badRequest', state('preparing'), exceptions.MigrationNotRunning,
     'is preparing, not running yet'),
    (400, 'badRequest', state('running (post-copy)'),
     exceptions.AlreadyPostCopy, 'already switched to post-copy'),
    (400, 'badRequest', state('completed'), exceptions.MigrationNotRunning,
     'already completed'),
    (400, 'badRequest', f'Migration 7 not found for instance {f.SERVER}',
     exceptions.MigrationNotFound, 'has no migration 7'),
    (409, 'conflictingRequest',
     f"Instance {f.SERVER} is in an invalid state for 'force_complete'",
     exceptions.ServerNotMigrating, 'is not being live-migrated'),
    (409, 'conflictingRequest', "Cannot 'force_complete' instance "
     f"{f.SERVER} while it is in vm_state paused",
     exceptions.ServerNotMigrating,
     'is paused'),
    (409, 'conflictingRequest', f'Instance {f.SERVER} is locked',
     exceptions.ServerLocked, f'`openstack server unlock {f.SERVER}`'),
    (403, 'forbidden', "Policy doesn't allow os_compute_api:servers:"
     "migrations:force_complete to be performed.", exceptions.PolicyRefused,
     "os_compute_api:servers:migrations:force_complete refused"),
    (404, 'itemNotFound', f'Instance {f.SERVER} could not be found.',
     exceptions.ServerNotFound, 'belongs to another project'),
    (500, 'computeFault', 'Unexpected API Error. Please report this.\n'
     "<class 'KeyError'>", exceptions.ServiceError, 'HTTP 500'),
]


class TestNovaAnswers(f.SDKTestCase):

    def test_each_answer_maps_to_its_error(self):
        # A refusal to force a queued migration reads the index for what
        # it waits behind; the host is not shown here.
        self.requests.get(f.COMPUTE + f'/servers/{f.SERVER}/migrations',
                          json={'migrations': []})
        for status, key, text, cls, advice in CASES:
            self.requests.post(ACTION, headers={
                'x-openstack-request-id': 'req-1'}, **f.fault(status, key,
                                                             text))
            exc = self.assertRaises(
                cls, self.client().server_migrations.force_complete,
                f.SERVER, 7)
            self.assertIs(cls, type(exc), text)
            self.assertIn(advice, str(exc))
            self.assertEqual(' '.join(text.split()), exc.nova_message)
            self.assertNotIn('\n', str(exc))
            self.assertEqual(status, exc.http_status)
            self.assertEqual('req-1', exc.request_id)
            self.assertTrue(str(exc).endswith(
                f'(HTTP {status}) (Request-ID: req-1)'), str(exc))

    def refusal(self, rule):
        self.requests.post(ACTION, **f.fault(
            403, 'forbidden', f"Policy doesn't allow {rule} to be performed."))
        return self.assertRaises(
            exceptions.PolicyRefused,
            self.client().server_migrations.force_complete, f.SERVER, 7)

    def test_refusal_of_an_admin_blames_the_clouds_policy(self):
        # Nova's default lets an admin force-complete: a cloud that refuses
        # one has its own policy, and saying "it needs the admin role"
        # would be false.
        exc = self.refusal('os_compute_api:servers:migrations:force_complete')
        self.assertIn('Nova\'s policy rule os_compute_api:servers:'
                      'migrations:force_complete refused', str(exc))
        self.assertIn("default policy allows it to the admin role you have",
                      str(exc))
        self.assertIn("this cloud's policy is stricter", str(exc))

    def test_unknown_rule_is_named_without_guessing_who_may(self):
        exc = self.refusal('os_compute_api:os-custom:thing')
        self.assertIn('os_compute_api:os-custom:thing refused', str(exc))
        self.assertNotIn('role', str(exc).split('(Nova:')[0])

    def test_refusal_without_a_rule_says_so(self):
        self.requests.post(ACTION, **f.fault(403, 'forbidden', 'Forbidden'))
        exc = self.assertRaises(
            exceptions.PolicyRefused,
            self.client().server_migrations.force_complete, f.SERVER, 7)
        self.assertIn("the cloud's policy refused", str(exc))

    def test_keystonemiddleware_401(self):
        self.requests.post(ACTION, status_code=401, json={'error': {
            'code': 401, 'title': 'Unauthorized', 'message':
            'The request you have made requires authentication.'}})
        exc = self.assertRaises(
            exceptions.Unauthorized,
            self.client().server_migrations.force_complete, f.SERVER, 7)
        self.assertEqual('The request you have made requires '
                         'authentication.', exc.nova_message)

    def test_keystone_refuses_the_password(self):
        self.requests.post(f.AUTH_URL + '/auth/tokens', status_code=401,
                           json={'error': {'code': 401, 'message': 'no'}})
        exc = self.assertRaises(
            exceptions.Unauthorized,
            self.client().server_migrations.force_complete, f.SERVER, 7)
        self.assertNotIn('secret', str(exc))

    def test_webob_404_is_not_taken_for_a_missing_server(self):
        self.requests.post(ACTION, status_code=404, json={
            'message': 'The resource could not be found.<br /><br />\n\n\n',
            'code': '404 Not Found', 'title': 'Not Found'})
        exc = self.assertRaises(
            exceptions.ForceCompleteError,
            self.client().server_migrations.force_complete, f.SERVER, 7)
        self.assertIs(exceptions.ForceCompleteError, type(exc))
        self.assertEqual('The resource could not be found.',
                         exc.nova_message)


class TestConnectionErrors(f.SDKTestCase):

    def test_refused_post_is_retried_then_sent(self):
        manager = self.manager()
        self.requests.post(ACTION, [{'exc': REFUSED}, {'status_code': 202}])
        result = manager.force_complete(f.SERVER, 7)
        self.assertEqual('accepted', result.status)
        self.assertEqual(2, len(self.compute_calls()))
        self.assertEqual([0.5], self.clock.sleeps)

    def test_refused_until_retries_run_out(self):
        manager = self.manager()
        self.requests.post(ACTION, exc=REFUSED)
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                manager.force_complete, f.SERVER, 7)
        self.assertEqual('Cannot reach http://nova.test (Connection '
                         'refused): check that the service is up and that '
                         "the URL's host and port are right", str(exc))
        self.assertEqual(6, exc.exit_code)
        self.assertEqual(5, len(self.compute_calls()))

    def test_post_never_retried_after_a_read_timeout(self):
        manager = self.manager()
        self.requests.post(ACTION, exc=requests.exceptions.ReadTimeout('x'))
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                manager.force_complete, f.SERVER, 7)
        self.assertEqual(1, len(self.compute_calls()))
        self.assertIn('may have been applied', str(exc))
        self.assertIn('openstack server migration list --server '
                      f'{f.SERVER}', str(exc))

    def test_post_never_retried_on_503(self):
        manager = self.manager()
        self.requests.post(ACTION, **f.fault(503, 'serviceUnavailable',
                                             'down'))
        self.assertRaises(exceptions.ServiceError, manager.force_complete,
                          f.SERVER, 7)
        self.assertEqual(1, len(self.compute_calls()))

    def test_reads_are_retried_on_503_and_connection_errors(self):
        manager = self.manager()
        self.requests.get(f.COMPUTE + f'/servers/{f.SERVER}/migrations', [
            f.fault(503, 'serviceUnavailable', 'busy'),
            {'exc': requests.exceptions.ReadTimeout('slow')},
            {'json': {'migrations': [f.migration_row()]}}])
        self.requests.post(ACTION, status_code=202)
        result = manager.force_complete(f.SERVER)
        self.assertEqual(7, result.migration)
        self.assertEqual([0.5, 1.0], self.clock.sleeps)

    def test_tls_failure(self):
        manager = self.manager()
        self.requests.post(
            ACTION, exc=failing_connections.untrusted_certificate())
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                manager.force_complete, f.SERVER, 7)
        self.assertIn('(TLS error: certificate verify failed: self-signed '
                      'certificate)', str(exc))
        self.assertIn('Cannot reach http://nova.test', str(exc))
        self.assertNotIn('may have been applied', str(exc))
        self.assertEqual(1, len(self.compute_calls()))

    def test_dns_failure_is_not_retried(self):
        manager = self.manager()
        self.requests.get(f.COMPUTE + f'/servers/{f.SERVER}/migrations',
                          exc=failing_connections.unresolved())
        exc = self.assertRaises(exceptions.EndpointUnreachable,
                                manager.force_complete, f.SERVER)
        self.assertIn('(Name or service not known): check the host name',
                      str(exc))
        self.assertEqual(1, len(self.compute_calls()))
        self.assertEqual([], self.clock.sleeps)

    def test_keystone_unreachable_names_it(self):
        self.requests.post(
            f.AUTH_URL + '/auth/tokens',
            exc=failing_connections.refused(f.AUTH_URL + '/auth/tokens'))
        exc = self.assertRaises(
            exceptions.EndpointUnreachable,
            self.manager().force_complete, f.SERVER, 7)
        self.assertIn('http://keystone.test', str(exc))

    def test_no_compute_in_catalog(self):
        token = ksa_fixture.V3Token()
        token.set_project_scope()
        self.requests.post(f.AUTH_URL + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 't'})
        exc = self.assertRaises(
            exceptions.ForceCompleteError,
            self.client().server_migrations.force_complete, f.SERVER, 7)
        self.assertIn('no compute endpoint', str(exc))
        self.assertEqual([], self.compute_calls())


class TestAbortAnswers(f.SDKTestCase):

    def abort(self, status, key, text):
        self.requests.delete(ACTION.rsplit('/', 1)[0], **f.fault(
            status, key, text))
        return self.assertRaises(
            exceptions.ForceCompleteError,
            self.client().server_migrations.live_migration_abort,
            f.SERVER, 7)

    def test_queued_on_an_old_cloud(self):
        exc = self.abort(400, 'badRequest', 'Migration 7 state of instance '
                         f'{f.SERVER} is queued. Cannot abort live migration '
                         'while the migration is in this state.')
        self.assertIsInstance(exc, exceptions.MigrationNotRunning)
        self.assertIn('2.65', str(exc))

    def test_missing_migration_is_404_for_abort(self):
        exc = self.abort(404, 'itemNotFound', 'Migration 7 not found for '
                         f'instance {f.SERVER}')
        self.assertIsInstance(exc, exceptions.MigrationNotFound)

    def test_invalid_state(self):
        exc = self.abort(409, 'conflictingRequest', f'Instance {f.SERVER} is '
                         "in an invalid state for 'abort live migration'")
        self.assertIsInstance(exc, exceptions.ServerNotMigrating)
        self.assertIn('nothing to abort', str(exc))


class TestRefusalsOfAMember(f.SDKTestCase):
    """A member lacks what Nova's default asks: it is told the default."""

    roles = ('member', 'reader')

    def refusal(self, rule):
        self.requests.post(ACTION, **f.fault(
            403, 'forbidden', f"Policy doesn't allow {rule} to be performed."))
        return str(self.assertRaises(
            exceptions.PolicyRefused,
            self.client().server_migrations.force_complete, f.SERVER, 7))

    def test_force_complete_needs_a_manager_by_default(self):
        message = self.refusal(
            'os_compute_api:servers:migrations:force_complete')
        self.assertIn("under Nova's default policy it needs the admin role, "
                      "or the manager role on the server's project", message)

    def test_os_migrations_index_also_allows_a_manager_by_default(self):
        message = self.refusal('os_compute_api:os-migrations:index')
        self.assertIn("or the manager role on the server's project", message)

    def test_show_needs_an_admin_by_default(self):
        message = self.refusal('os_compute_api:servers:migrations:show')
        self.assertIn("under Nova's default policy it needs the admin role "
                      "(Nova:", message)


class TestRefusalsOfAManager(f.SDKTestCase):
    """A manager refused what Nova's default allows it (an admin-only
    policy file) is not told that a manager role is enough."""

    roles = ('manager',)

    def test_stricter_policy_is_the_clouds(self):
        self.requests.post(ACTION, **f.fault(
            403, 'forbidden', "Policy doesn't allow os_compute_api:servers:"
            "migrations:force_complete to be performed."))
        message = str(self.assertRaises(
            exceptions.PolicyRefused,
            self.client().server_migrations.force_complete, f.SERVER, 7))
        self.assertIn('allows it to the manager role you have', message)
        self.assertNotIn('it needs', message)
