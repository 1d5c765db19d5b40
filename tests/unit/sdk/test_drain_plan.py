"""What a host drain plans for each server, its order, its deadline
policy and its exit status: pure, no cloud."""


from novaclient_force import diagnosis, drain_plan, emptied, outcome
from tests import testcase

GIB_MIB = 1024


def _server(name, vm_state='active', task=None, ram=4 * GIB_MIB,
            status=None):
    return {'id': f'id-{name}', 'name': name, 'OS-EXT-STS:vm_state': vm_state,
            'OS-EXT-STS:task_state': task, 'flavor': {'ram': ram},
            'status': status or {'active': 'ACTIVE', 'paused': 'PAUSED',
                                 'stopped': 'SHUTOFF'}.get(vm_state,
                                                           vm_state.upper())}


class TestPlan(testcase.TestCase):

    def test_active_and_paused_are_live_migrated(self):
        for state in ('active', 'paused'):
            row = drain_plan.plan(_server('a', state), False)
            self.assertEqual(emptied.LIVE_MIGRATE, row.action)
            self.assertEqual(4 * 2 ** 30, row.memory_bytes)

    def test_stopped_is_left_with_novas_words_unless_asked(self):
        row = drain_plan.plan(_server('s', 'stopped'), False)
        self.assertEqual(emptied.LEAVE, row.action)
        self.assertIn("Cannot 'os-migrateLive' instance id-s while it is in "
                      'vm_state stopped', row.why)
        self.assertIn('--cold-migrate-stopped', row.why)
        row = drain_plan.plan(_server('s', 'stopped'), True)
        self.assertEqual(emptied.COLD_MIGRATE, row.action)

    def test_migrating_is_followed_and_other_tasks_left(self):
        row = drain_plan.plan(_server('m', task='migrating'), False)
        self.assertEqual(emptied.FOLLOW, row.action)
        row = drain_plan.plan(_server('r', task='rebooting'), True)
        self.assertEqual(emptied.LEAVE, row.action)
        self.assertIn('task_state rebooting', row.why)

    def test_other_states_are_left_never_skipped(self):
        for state in ('suspended', 'error', 'rescued', 'resized',
                      'shelved'):
            row = drain_plan.plan(_server('x', state), True)
            self.assertEqual(emptied.LEAVE, row.action, state)
            self.assertTrue(row.why, state)


class TestOrder(testcase.TestCase):

    def test_soonest_puts_paused_then_small_first(self):
        rows = [drain_plan.plan(s, False) for s in (
            _server('big', ram=8 * GIB_MIB), _server('small', ram=GIB_MIB),
            _server('paused-big', 'paused', ram=16 * GIB_MIB))]
        self.assertEqual(['paused-big', 'small', 'big'],
                         [r.name for r in drain_plan.ordered(rows,
                                                             'soonest')])
        self.assertEqual(['big', 'small', 'paused-big'],
                         [r.name for r in drain_plan.ordered(rows,
                                                             'listed')])


class _Clock:
    now = 100.0

    def __call__(self):
        return self.now


class TestDeadlinePolicy(testcase.TestCase):

    def policy(self, queue_seconds, deadline_in=60.0,
               inner=diagnosis.Policy(stalled_after=3600)):
        clock = _Clock()
        return drain_plan.DeadlinePolicy(
            inner, clock.now + deadline_in, clock,
            lambda transfer: queue_seconds, deadline_in)

    def test_forces_one_that_does_not_converge(self):
        force, why = self.policy(0).decide(
            diagnosis.Diagnosis(diagnosis.STALLED, stalled_for=5), 10)
        self.assertTrue(force)
        self.assertIn('--deadline 60', why)

    def test_leaves_one_that_ends_in_time_with_its_queue(self):
        converging = diagnosis.Diagnosis(diagnosis.CONVERGING, eta=10.0)
        self.assertFalse(self.policy(20).decide(converging, 5)[0])
        force, why = self.policy(55).decide(converging, 5)
        self.assertTrue(force)
        self.assertIn('the queue behind it about 55s', why)

    def test_a_first_pass_is_not_judged_stuck(self):
        # 4 GiB still to copy at 1 GB/s: about 4 s, with 60 s left
        copying = diagnosis.Diagnosis(
            diagnosis.COPYING, remaining_bytes=4 * 2 ** 30,
            transfer_rate=1e9)
        self.assertFalse(self.policy(20).decide(copying, 2)[0])
        force, why = self.policy(57).decide(copying, 2)
        self.assertTrue(force)
        self.assertIn('it needs about 4s', why)

    def test_the_inner_policy_still_forces(self):
        force, why = self.policy(0, inner=diagnosis.Policy()).decide(
            diagnosis.Diagnosis(diagnosis.CONVERGING, eta=1.0), 0)
        self.assertEqual((True, 'forced as soon as it was running'),
                         (force, why))

    def test_no_force_never_forces(self):
        self.assertFalse(drain_plan.NoForce().decide(
            diagnosis.Diagnosis(diagnosis.STALLED), 1e6)[0])


class TestExitStatus(testcase.TestCase):

    def rows(self, *statuses):
        return emptied.Emptied([emptied.ServerOutcome(
            f's{i}', None, status) for i, status in enumerate(statuses)])

    def test_zero_only_when_empty(self):
        done = self.rows(outcome.COMPLETED)
        self.assertEqual(9, done.exit_code)
        done.empty = True
        self.assertEqual(0, done.exit_code)

    def test_worst_first(self):
        self.assertEqual(9, self.rows(outcome.COMPLETED,
                                      emptied.LEFT).exit_code)
        self.assertEqual(3, self.rows(emptied.LEFT, outcome.TIMED_OUT,
                                      outcome.FAILED).exit_code)
        self.assertEqual(5, self.rows(emptied.LEFT,
                                      outcome.TIMED_OUT).exit_code)
        self.assertEqual(8, self.rows(outcome.UNKNOWN).exit_code)

    def test_a_dry_run_says_whether_the_plan_empties_the_host(self):
        plan = emptied.Emptied([emptied.ServerOutcome(
            's', None, emptied.PLANNED, action=emptied.LIVE_MIGRATE)])
        plan.dry_run = True
        self.assertEqual(0, plan.exit_code)
        plan.append(emptied.ServerOutcome('t', None, emptied.PLANNED,
                                          action=emptied.LEAVE))
        self.assertEqual(9, plan.exit_code)


class TestDeadlineBeforeAnyJudgement(testcase.TestCase):

    def test_one_reading_is_not_yet_a_reason_to_force(self):
        clock = _Clock()
        policy = drain_plan.DeadlinePolicy(
            diagnosis.Policy(stalled_after=3600), clock.now + 60, clock,
            lambda transfer: 10.0, 60)
        unknown = diagnosis.Diagnosis(diagnosis.UNKNOWN,
                                      remaining_bytes=2 ** 30)
        self.assertFalse(policy.decide(unknown, 1)[0])
        clock.now += 55
        self.assertTrue(policy.decide(unknown, 56)[0])
