"""Host drain: paging, concurrency, partial failure, one poll loop."""

from novaclient_force import (
    connection_pool,
    diagnosis,
    drain,
    exceptions,
    follower,
    outcome,
    statuses,
    waiting,
)
from tests.unit.sdk import sdk_fakes as f

OS_MIGRATIONS = f.COMPUTE + '/os-migrations'
SERVERS = [f'{i:08d}-1111-4000-8000-000000000000' for i in range(4)]


def action(server, mid):
    return f'{f.COMPUTE}/servers/{server}/migrations/{mid}/action'


def page(rows, next_marker=None):
    body = {'migrations': rows}
    if next_marker:
        body['migrations_links'] = [{'rel': 'next', 'href': OS_MIGRATIONS +
                                     f'?limit=2&marker={next_marker}'}]
    return {'json': body}


class TestDrain(f.SDKTestCase):
    """Against fixed listings (requests-mock), one step at a time."""

    def setUp(self):
        super().setUp()
        self.requests.get(f.COMPUTE + '/servers', json={'servers': [
            {'id': s, 'name': f'vm-{i}'} for i, s in enumerate(SERVERS)]})

    def listing_gets(self):
        return [p for m, p in self.compute_calls()
                if m == 'GET' and '/os-migrations' in p]

    def rows(self, status='running'):
        return [f.os_migration_row(10 + i, status=status, server=s)
                for i, s in enumerate(SERVERS[:3])]

    def accept_all(self):
        """Nova answers 202 to the force-complete of each of rows()."""
        for i, server in enumerate(SERVERS[:3]):
            self.requests.post(action(server, 10 + i), status_code=202)

    def by_status(self, rows, *later):
        """Serve ``rows`` to the discovery (the host's first page, then
        one listing per status), then ``later`` to each poll."""
        def listing(request, context):
            status = request.qs.get('status', [None])[0]
            if status is None:
                return later[0] if len(later) == 1 else later.pop(0)
            return {'migrations': [r for r in rows
                                   if r['status'] == status]}
        later = list(later) or [{'migrations': rows}]
        self.requests.get(OS_MIGRATIONS, json=listing)

    def test_discovery_asks_for_each_status_leaving_the_host(self):
        self.by_status(self.rows())
        self.accept_all()
        self.manager().force_complete_host('compute-1')
        queries = [r.qs for r in self.requests.request_history
                   if r.path.endswith('/os-migrations')]
        self.assertNotIn('status', queries[-1])     # without --wait
        queries = queries[:-1]
        self.assertEqual(sorted(statuses.LEAVING),
                         sorted(q['status'][0] for q in queries))
        for query in queries:
            self.assertEqual(['compute-1'], query['source_compute'])
            self.assertEqual(['live-migration'], query['migration_type'])
            self.assertNotIn('host', query)

    def test_pages_are_followed_and_one_failure_stops_nothing(self):
        rows = self.rows()
        first, second = page(rows[:2], rows[1]['uuid']), page(rows[2:])

        def listing(request, context):
            if request.qs.get('status', ['running'])[0] != 'running':
                return {'migrations': []}
            return (second if 'marker' in request.qs else first)['json']
        self.requests.get(OS_MIGRATIONS, json=listing)
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        self.requests.post(action(SERVERS[1], 11), **f.fault(
            400, 'badRequest', f'Migration 11 state of instance {SERVERS[1]} '
            'is completed. Cannot force complete while the migration is in '
            'this state.'))
        self.requests.post(action(SERVERS[2], 12), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([10, 11, 12], [r.migration for r in results])
        self.assertEqual([outcome.ACCEPTED, outcome.ERROR, outcome.ACCEPTED],
                         [r.status for r in results])
        self.assertEqual([True, False, True], [r.forced for r in results])
        self.assertIsInstance(results[1].error,
                              exceptions.MigrationNotRunning)
        self.assertEqual(1, results[1].exit_code)
        # The second page in the discovery (by status, then the host's
        # listing), and again in the one listing that found 11 still
        # running after its refusal (so it stands).
        self.assertEqual(3, len([p for p in self.listing_gets()
                                 if f'marker={rows[1]["uuid"]}' in p]))
        self.assertEqual(3, [m for m, _ in self.compute_calls()]
                         .count('POST'))

    def test_rows_of_other_hosts_are_skipped(self):
        self.by_status([f.os_migration_row(10, server=SERVERS[0]),
                        f.os_migration_row(11, server=SERVERS[1],
                                           host='compute-9')])
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([10], [r.migration for r in results])

    def test_server_names_come_from_one_host_listing(self):
        self.by_status(self.rows())
        self.accept_all()
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual(['vm-0', 'vm-1', 'vm-2'],
                         [r.server_name for r in results])
        lookups = [p for m, p in self.compute_calls()
                   if m == 'GET' and p.startswith('/compute/v2.1/servers?')]
        self.assertEqual(1, len(lookups))
        self.assertIn('host=compute-1', lookups[0])

    def test_server_names_follow_the_servers_next_link(self):
        # Nova pages /servers too (1000 a page by default): the names of
        # the servers past the first page must not be left blank.
        def servers(request, context):
            if 'marker' in request.qs:
                return {'servers': [{'id': SERVERS[2], 'name': 'vm-2'}]}
            return {'servers': [{'id': s, 'name': f'vm-{i}'}
                                for i, s in enumerate(SERVERS[:2])],
                    'servers_links': [{'rel': 'next', 'href': f.COMPUTE +
                                       '/servers?host=compute-1&limit=2'
                                       f'&marker={SERVERS[1]}'}]}
        self.requests.get(f.COMPUTE + '/servers', json=servers)
        self.by_status(self.rows())
        self.accept_all()
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual(['vm-0', 'vm-1', 'vm-2'],
                         [r.server_name for r in results])

    def test_names_refused_leave_them_blank(self):
        self.requests.get(f.COMPUTE + '/servers', **f.fault(
            403, 'forbidden', 'Only admins may filter by host'))
        self.by_status(self.rows()[:1])
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([(outcome.ACCEPTED, '')],
                         [(r.status, r.server_name) for r in results])

    def test_cannot_list_raises(self):
        self.requests.get(OS_MIGRATIONS, **f.fault(
            403, 'forbidden', "Policy doesn't allow os_compute_api:"
            "os-migrations:index:all_projects to be performed."))
        self.assertRaises(exceptions.PolicyRefused,
                          self.manager().force_complete_host, 'compute-1')

    def test_bad_arguments_send_nothing(self):
        manager = self.manager()
        for host, concurrency in (('', 8), (None, 8), ('h', 0), ('h', 'x'),
                                  ('h', True)):
            self.assertRaises(exceptions.InvalidArgument,
                              manager.force_complete_host, host,
                              concurrency=concurrency)
        for kwargs in ({'timeout': -1}, {'stalled_after': -1},
                       {'force_after': 'soon'}, {'stalled_after': True}):
            self.assertRaises(exceptions.InvalidArgument,
                              manager.force_complete_host, 'h', **kwargs)
        self.assertEqual([], self.compute_calls())

    def test_a_migration_moving_on_during_the_first_look_is_seen(self):
        # Migration 11 goes from queued to preparing between the listing
        # of each status: neither lists it. The host's page does.
        running = f.os_migration_row(10, 'running', server=SERVERS[0])
        moving = f.os_migration_row(11, 'queued', server=SERVERS[1])

        def listing(request, context):
            asked = request.qs.get('status', [None])[0]
            if asked is None:
                return {'migrations': [moving, running]}
            if asked == 'queued':
                moving['status'] = 'preparing'
            return {'migrations': [r for r in (running,)
                                   if r['status'] == asked]}
        self.requests.get(OS_MIGRATIONS, json=listing)
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1')
        self.assertEqual([(10, outcome.ACCEPTED), (11, outcome.NOT_FORCED)],
                         [(r.migration, r.status) for r in results])
        self.assertEqual(9, max(r.exit_code for r in results))

    def test_wait_is_one_loop_over_the_listing(self):
        done = [f.os_migration_row(10, 'completed', server=SERVERS[0]),
                f.os_migration_row(11, 'running', server=SERVERS[1]),
                f.os_migration_row(12, 'cancelled', server=SERVERS[2])]
        later = [dict(done[0]), dict(done[1], status='completed'),
                 dict(done[2])]
        self.by_status(self.rows(), page(done)['json'], page(later)['json'])
        self.accept_all()
        events = []
        results = self.manager().force_complete_host(
            'compute-1', wait=True, timeout=60, progress=events.append)
        self.assertEqual([outcome.COMPLETED, outcome.COMPLETED,
                          outcome.CANCELLED], [r.status for r in results])
        # The discovery (one listing per status), then one per poll.
        self.assertEqual(len(statuses.LEAVING) + 2, len(self.listing_gets()))
        self.assertEqual([(SERVERS[1], 11, 'running', True)],
                         [(e.server, e.migration, e.status, e.forced)
                          for e in events[3:]])

    def test_wait_stops_paging_once_all_are_seen(self):
        rows = self.rows()
        self.by_status(rows, page([dict(r, status='completed')
                                   for r in rows], 'more')['json'])
        self.accept_all()
        results = self.manager().force_complete_host('compute-1', wait=True)
        self.assertEqual({outcome.COMPLETED}, {r.status for r in results})
        self.assertEqual(len(statuses.LEAVING) + 1, len(self.listing_gets()))

    def test_wait_times_out_per_migration(self):
        rows = self.rows()[:1]
        self.by_status(rows, {'migrations': rows})
        self.requests.post(action(SERVERS[0], 10), status_code=202)
        results = self.manager().force_complete_host('compute-1', wait=True,
                                                     timeout=2)
        self.assertEqual(outcome.TIMED_OUT, results[0].status)
        self.assertIn('may still finish', results[0].reason)

    def test_refusal_racing_the_end_is_followed_to_the_end(self):
        # Listed running, completed before the POST arrived: Nova's 409.
        # With or without --wait the drain reads what it became.
        row = self.rows()[0]
        completed = {'migrations': [dict(row, status='completed')]}
        self.requests.post(action(SERVERS[0], 10), **f.fault(
            409, 'conflictingRequest', f"Instance {SERVERS[0]} is in an "
            "invalid state for 'force_complete'"))
        for wait in (True, False):
            # Without --wait the first look reads the host's listing too.
            self.by_status([row], *[{'migrations': [row]}] * (not wait),
                           completed)
            results = self.manager().force_complete_host('compute-1',
                                                         wait=wait)
            self.assertEqual([(outcome.COMPLETED, False)],
                             [(r.status, r.forced) for r in results], wait)
            self.assertIn('force-complete refused', results[0].reason)

    def test_refusal_that_stands_is_an_error(self):
        row = self.rows()[0]
        self.by_status([row], {'migrations': [row]})
        self.requests.post(action(SERVERS[0], 10), **f.fault(
            409, 'conflictingRequest', "Cannot 'force_complete' instance "
            f"{SERVERS[0]} while it is in vm_state paused"))
        results = self.manager().force_complete_host('compute-1', wait=True)
        self.assertEqual([outcome.ERROR], [r.status for r in results])
        self.assertEqual(1, [m for m, _ in self.compute_calls()]
                         .count('POST'))


class TestQueue(f.SDKTestCase):
    """Against a host that runs its migrations as stock Nova does."""

    def host(self, *converges_after, **kwargs):
        self.queue = f.HostQueue(self.requests, self.clock, **kwargs)
        for i, seconds in enumerate(converges_after):
            self.queue.add(f'vm-{i}', seconds)
        return self.queue

    def drain(self, **kwargs):
        return self.manager().force_complete_host('compute-1', **kwargs)

    def listing_gets(self):
        return [p for m, p in self.compute_calls()
                if m == 'GET' and '/os-migrations' in p]

    def test_wait_follows_the_queue_until_the_host_is_empty(self):
        queue = self.host(None, None, None, None)
        results = self.drain(wait=True)
        self.assertEqual([outcome.COMPLETED] * 4,
                         [r.status for r in results])
        self.assertEqual([1, 2, 3, 4], [r.migration for r in results])
        self.assertEqual([True] * 4, [r.forced for r in results])
        self.assertEqual(['vm-0', 'vm-1', 'vm-2', 'vm-3'],
                         [r.server_name for r in results])
        # Each forced once, and only once it was running.
        self.assertEqual([1, 2, 3, 4], queue.forced)
        self.assertEqual([], queue.refused)
        # One listing per poll for all of them, after the discovery.
        self.assertEqual(len(statuses.LEAVING) + len(self.clock.sleeps),
                         len(self.listing_gets()))
        self.assertEqual(0, len([p for m, p in self.compute_calls()
                                 if p.endswith('/migrations')]))

    def test_without_wait_a_queued_host_is_not_drained(self):
        queue = self.host(None, None, None)
        results = self.drain()
        self.assertEqual([outcome.ACCEPTED, outcome.NOT_FORCED,
                          outcome.NOT_FORCED], [r.status for r in results])
        self.assertEqual([0, 9, 9], [r.exit_code for r in results])
        self.assertEqual('queued', results[1].migration_status)
        self.assertIn('max_concurrent_live_migrations', results[1].reason)
        self.assertIn('--wait', results[1].reason)
        self.assertEqual([1], queue.forced)
        self.assertEqual([], self.clock.sleeps)

    def test_without_wait_preparing_is_not_forced(self):
        # The first converged already; the next one is still preparing.
        queue = self.host(0.1, None)
        results = self.drain()
        self.assertEqual([(2, 'preparing', outcome.NOT_FORCED)],
                         [(r.migration, r.migration_status, r.status)
                          for r in results])
        self.assertEqual([], queue.forced)

    def test_limit_four_forces_all_that_run_at_once(self):
        queue = self.host(*[None] * 6, limit=4)
        results = self.drain(wait=True, concurrency=4)
        self.assertEqual([outcome.COMPLETED] * 6,
                         [r.status for r in results])
        self.assertEqual([1, 2, 3, 4], sorted(queue.forced[:4]))
        self.assertEqual(6, len(queue.forced))

    def test_paging_during_polls(self):
        queue = self.host(None, None, None, None, None, page_size=2)
        results = self.drain(wait=True)
        self.assertEqual([outcome.COMPLETED] * 5,
                         [r.status for r in results])
        self.assertEqual([1, 2, 3, 4, 5], queue.forced)

    def test_auto_on_a_host(self):
        queue = self.host(20, None, 8, None)
        results = self.drain(wait=True, auto=True)
        self.assertEqual([outcome.COMPLETED] * 4,
                         [r.status for r in results])
        self.assertEqual([2, 4], queue.forced)

    def test_auto_forces_on_the_first_look_after_the_proving_save(self):
        # Nova saves the counters every 5 s of running; the save 10 s in
        # is the first after the 8.6 s first pass (8 GiB at 1 GB/s) and
        # proves the guest stuck. The drain looks just after that save
        # (saves.py), not up to a back-off interval later, and reads the
        # index only when the listing shows a save it has not read.
        queue = self.host(None, stats_interval=5.0)
        self.drain(wait=True, auto=True)
        self.assertEqual([1], queue.forced)
        proving_save = queue._timeline()[1][0] + 10
        late = queue.post_times[0] - proving_save
        self.assertGreaterEqual(late, 0)
        self.assertLess(late, 1.5)
        index_reads = [p for m, p in self.compute_calls()
                       if m == 'GET' and p.endswith('/migrations')]
        # the counters as it starts running, 5 and 10 s in
        self.assertEqual(3, len(index_reads))

    def test_stall_policy_leaves_converging_migrations_alone(self):
        queue = self.host(20, None, 8, None)
        results = self.drain(wait=True, stalled_after=10)
        self.assertEqual([outcome.COMPLETED] * 4,
                         [r.status for r in results])
        self.assertEqual([False, True, False, True],
                         [r.forced for r in results])
        self.assertEqual([2, 4], queue.forced)
        self.assertIn('without forcing (left alone: copying',
                      results[0].reason)
        self.assertIn('no progress towards completion for',
                      results[1].reason)
        self.assertEqual(diagnosis.STALLED, results[1].diagnosis.state)
        self.assertIsNotNone(results[1].diagnosis.estimated_pause)

    def test_force_after_forces_at_that_age_not_at_the_next_poll(self):
        queue = self.host(None)
        start = self.clock()
        self.drain(wait=True, force_after=15)
        # running at the first look: forced 15 s later, to the poll
        self.assertEqual([1], queue.forced)
        self.assertAlmostEqual(start + 15, queue.post_times[0], places=6)

    def test_force_after(self):
        queue = self.host(40, 5)
        results = self.drain(wait=True, force_after=15)
        self.assertEqual([True, False], [r.forced for r in results])
        self.assertEqual([1], queue.forced)
        self.assertIn('--force-after 15', results[0].reason)

    def test_policy_without_wait_watches_what_runs_now(self):
        queue = self.host(None, None)
        results = self.drain(stalled_after=10)
        self.assertEqual([outcome.ACCEPTED, outcome.NOT_FORCED],
                         [r.status for r in results])
        self.assertEqual([1], queue.forced)
        self.assertGreaterEqual(sum(self.clock.sleeps), 10)

    def test_timeout_leaves_the_rest_timed_out(self):
        self.host(None, None, None)
        results = self.drain(wait=True, timeout=4)
        self.assertEqual(outcome.COMPLETED, results[0].status)
        self.assertEqual({outcome.TIMED_OUT},
                         {r.status for r in results[1:]})

    def test_a_lost_answer_is_followed_never_refused(self):
        # Applied, then the connection closed: the queue moves on, and
        # the migration is followed to its end.
        queue = self.host(None, None)
        queue.fail(1, 'after')
        results = self.drain(wait=True)
        self.assertEqual([outcome.COMPLETED] * 2,
                         [r.status for r in results])
        self.assertEqual([(1, 'after')], queue.posts[:1])
        first = results[0]
        if not first.forced:
            self.assertIn('closed before Nova answered the force-complete: '
                          'it may have been accepted', first.reason)

    def test_a_lost_answer_whose_end_is_unread_is_unknown(self):
        queue = self.host(None)
        queue.fail(1, 'after', 'after', 'after')
        results = self.drain(wait=True, timeout=1)
        self.assertEqual([(outcome.TIMED_OUT, False)],
                         [(r.status, r.forced) for r in results])
        self.assertIn('it may have been accepted', results[0].reason)

    def test_without_wait_a_lost_answer_is_unknown(self):
        queue = self.host(None)
        queue.fail(1, *['after'] * follower.ATTEMPTS)
        results = self.drain()
        self.assertEqual([(outcome.UNKNOWN, 8, False)],
                         [(r.status, r.exit_code, r.forced)
                          for r in results])
        self.assertIn('it may have been accepted, but its outcome is not '
                      'known yet', results[0].reason)
        self.assertEqual(follower.ATTEMPTS, len(queue.posts))

    def test_a_transient_failure_of_the_running_one_is_not_final(self):
        # Under a limit of 1 nothing behind it moves until it is forced.
        for fault in (500, 'before'):
            queue = self.host(None, None, None)
            queue.fail(1, fault)
            results = self.drain(wait=True)
            self.assertEqual([outcome.COMPLETED] * 3,
                             [r.status for r in results], fault)
            self.assertEqual([1, 2, 3], queue.forced)
            self.assertEqual([(1, fault), (1, 'running')], queue.posts[:2])

    def test_a_queue_that_never_moves_ends_the_wait(self):
        # The running one's force-complete keeps failing: the queue
        # behind it never moves, and the drain says so instead of
        # polling for ever.
        queue = self.host(None, None, None)
        queue.fail(1, *[500] * follower.ATTEMPTS)
        results = self.drain(wait=True)
        self.assertEqual([outcome.ERROR, outcome.NOT_FORCED,
                          outcome.NOT_FORCED], [r.status for r in results])
        self.assertEqual([7, 9, 9], [r.exit_code for r in results])
        self.assertRegex(results[1].reason, '^still queued; nothing leaving '
                         'the host changed for 60[0-9]s: ')
        waited = sum(self.clock.sleeps)
        self.assertTrue(drain.STILL_FOR <= waited < drain.STILL_FOR + 10,
                        waited)
        self.assertEqual([], queue.forced)

    def test_nothing_is_forced_at_or_after_the_deadline(self):
        # The last poll is taken at the deadline itself: a migration it
        # finds running is reported, not forced.
        late = []
        for tenths in range(30, 61, 2):
            timeout = tenths / 10
            self.clock = f.FakeClock()
            queue = self.host(None, None, None)
            self.drain(wait=True, timeout=timeout)
            late += [(timeout, at - 100.0) for at in queue.post_times
                     if at >= 100.0 + timeout]
        self.assertEqual([], late)

    def test_unknown_host_names_the_closest(self):
        self.host(known_hosts=('compute-1', 'compute-2', 'storage-1'))
        err = self.assertRaises(
            exceptions.UnknownHost, self.manager().force_complete_host,
            'compute2')
        self.assertEqual('No compute host is named compute2; did you mean '
                         'compute-2?', str(err))
        services = [p for m, p in self.compute_calls()
                    if '/os-services' in p]
        self.assertEqual(['/compute/v2.1/os-services?binary=nova-compute'],
                         services)

    def test_unknown_host_as_close_to_several_lists_them(self):
        self.host(known_hosts=('compute-1', 'compute-2', 'storage-1'))
        err = self.assertRaises(
            exceptions.UnknownHost, self.manager().force_complete_host,
            'compute-9')
        self.assertEqual('No compute host is named compute-9; known hosts: '
                         'compute-1, compute-2, storage-1', str(err))

    def test_known_host_with_nothing_leaving(self):
        self.host()
        results = self.drain(wait=True)
        self.assertEqual([], results)
        self.assertEqual('No live migration is leaving compute-1',
                         results.note)

    def test_a_busy_host_is_not_checked(self):
        self.host(None)
        self.drain()
        self.assertEqual([], [p for m, p in self.compute_calls()
                              if '/os-services' in p])


class TestOneServerPolicy(f.SDKTestCase):
    """--stalled-after / --force-after for one server (the SDK kwargs)."""

    def setUp(self):
        super().setUp()
        self.queue = f.HostQueue(self.requests, self.clock)

    def force(self, mid, **kwargs):
        server = self.queue.migrations[mid - 1]['server']
        return self.manager().force_complete(server, mid, **kwargs)

    def test_a_stalled_migration_is_forced_once_stalled_long_enough(self):
        self.queue.add('busy')
        events = []
        result = self.force(1, wait=True, stalled_after=10,
                            progress=events.append)
        self.assertEqual((outcome.COMPLETED, True),
                         (result.status, result.forced))
        self.assertEqual([1], self.queue.forced)
        self.assertIn('no progress towards completion for', result.reason)
        self.assertEqual(diagnosis.STALLED, result.diagnosis.state)
        self.assertGreaterEqual(sum(self.clock.sleeps), 10)
        judged = [e.diagnosis.state for e in events if e.diagnosis]
        self.assertEqual(diagnosis.STALLED, judged[-1])

    def test_auto_forces_once_the_first_sync_proves_it_stuck(self):
        self.queue.add('busy')
        result = self.force(1, wait=True, auto=True)
        self.assertEqual((outcome.COMPLETED, True),
                         (result.status, result.forced))
        self.assertIn('(--auto)', result.reason)
        self.assertTrue(result.diagnosis.stuck)
        # the first pass takes 8.6 s (8 GiB at 1 GB/s): nothing is
        # proven before it ends; two readings after it (5 s apart) catch
        # a sync that found all 8 GiB dirty again, and no wait follows
        forced_at = self.queue.post_times[0]
        running_at = self.queue._timeline()[1][0]
        first_pass = 8 * 2 ** 30 / 1e9
        self.assertGreater(forced_at - running_at, first_pass)
        self.assertLess(forced_at - running_at,
                        first_pass + 2 * waiting.MAX_DELAY + 1)

    def test_auto_looks_just_after_nova_saves_the_counters(self):
        self.queue = f.HostQueue(self.requests, self.clock,
                                 stats_interval=5.0)
        self.queue.add('busy')
        result = self.force(1, wait=True, auto=True)
        self.assertTrue(result.forced)
        # the save 10 s into running is the first after the first pass
        late = self.queue.post_times[0] - (self.queue._timeline()[1][0]
                                           + 10)
        self.assertGreaterEqual(late, 0)
        self.assertLess(late, 1.5)

    def test_auto_leaves_a_converging_migration_alone(self):
        self.queue.add('idle', converges_after=12)
        result = self.force(1, wait=True, auto=True)
        self.assertEqual((outcome.COMPLETED, False),
                         (result.status, result.forced))

    def test_auto_is_a_flag(self):
        self.queue.add('busy')
        self.assertRaises(exceptions.InvalidArgument, self.force, 1,
                          auto='yes')

    def test_a_converging_migration_is_left_alone(self):
        self.queue.add('idle', converges_after=12)
        result = self.force(1, wait=True, stalled_after=10)
        self.assertEqual((outcome.COMPLETED, False),
                         (result.status, result.forced))
        self.assertEqual([], self.queue.forced)
        self.assertIn('without forcing (left alone: copying',
                      result.reason)

    def test_without_wait_it_returns_once_forced(self):
        self.queue.add('busy')
        result = self.force(1, force_after=6)
        self.assertEqual((outcome.ACCEPTED, True),
                         (result.status, result.forced))
        self.assertIn('--force-after 6', result.reason)
        self.assertEqual('running', self.queue.status(1))

    def test_a_queued_migration_is_forced_once_it_runs(self):
        self.queue.add('first', converges_after=5)
        self.queue.add('second')
        result = self.force(2, wait=True, force_after=0)
        self.assertEqual((outcome.COMPLETED, True),
                         (result.status, result.forced))
        self.assertEqual([], self.queue.refused)

    def test_timeout_before_the_policy_decides(self):
        self.queue.add('busy')
        result = self.force(1, stalled_after=60, timeout=5)
        self.assertEqual(outcome.NOT_FORCED, result.status)
        self.assertEqual(9, result.exit_code)
        result = self.force(1, wait=True, stalled_after=60, timeout=5)
        self.assertEqual(outcome.TIMED_OUT, result.status)
        self.assertIn('not forced', result.reason)
        self.assertEqual([], self.queue.forced)


class TestQueueAsManager(TestQueue.__base__):
    roles = ('manager',)

    def test_a_manager_drains_its_own_projects_migrations(self):
        queue = f.HostQueue(self.requests, self.clock,
                            project_only=f.PROJECT)
        queue.add('vm-0')
        queue.add('vm-1')
        results = self.manager().force_complete_host('compute-1',
                                                     wait=True)
        self.assertEqual([outcome.COMPLETED] * 2,
                         [r.status for r in results])
        self.assertEqual([1, 2], queue.forced)
        listed = [r.qs for r in self.requests.request_history
                  if r.path.endswith('/os-migrations')]
        # Refused listings come from the first, concurrent batch only
        # (the order of its requests is the threads'); the poll's are all
        # narrowed to the caller's project.
        narrowed = [q for q in listed if 'project_id' in q]
        refused = len(listed) - len(narrowed)
        self.assertTrue(1 <= refused <= len(statuses.LEAVING), refused)
        self.assertIn('project_id', listed[-1])
        self.assertEqual({f.PROJECT}, {q['project_id'][0]
                                       for q in narrowed})

    def test_a_manager_cannot_tell_an_unknown_host(self):
        f.HostQueue(self.requests, self.clock)
        results = self.manager().force_complete_host('compute-9')
        self.assertEqual([], results)
        self.assertIn('not checked: only an admin can', results.note)
        self.assertEqual([], [p for m, p in self.compute_calls()
                              if '/os-services' in p])


class TestPool(f.SDKTestCase):

    def test_pool_is_sized_to_the_concurrency(self):
        adapters = self.session.session.adapters
        self.assertEqual(10, connection_pool.pool_size(adapters['http://']))
        connection_pool.ensure_pool_size(self.session, 32)
        self.assertEqual(32, connection_pool.pool_size(adapters['http://']))
        self.assertEqual(32, connection_pool.pool_size(adapters['https://']))
        before = adapters['http://']
        connection_pool.ensure_pool_size(self.session, 8)
        self.assertIs(before, adapters['http://'])
        # The pools requests makes from the new adapter keep 32.
        pool = before.poolmanager.connection_from_url('http://nova.test/')
        self.assertEqual(32, pool.pool.maxsize)
