"""The judgement on readings shaped like QEMU's pre-copy rounds, sampled
as Nova saves them (precopy_series), at several sampling phases."""


from novaclient_force import diagnosis
from tests import testcase
from tests.unit.sdk import precopy_series as ps

GIB = ps.GIB
PHASES = (0.3, 1.1, 1.9, 2.7, 3.5, 4.3, 4.9, 5.0)
STALLED_AFTER = 30.0
#: Never converge: the guest re-dirties its whole working set every
#: round, and no working set fits the downtime budget.
STUCK = {
    'busy': ps.Guest(),
    'busy on a quarter link': ps.Guest(link=ps.LINK / 4),
    'busy, 16 GiB': ps.Guest(memory=16 * GIB),
    'busy, 1 GiB working set': ps.Guest(working_set=GIB),
    'busy, 2 GiB working set': ps.Guest(working_set=2 * GIB),
    'busy, 16 GiB, 4 GiB working set': ps.Guest(memory=16 * GIB,
                                                working_set=4 * GIB),
    'active on a quarter link': ps.Guest(dirty_rate=400e6,
                                         link=ps.LINK / 4),
}
#: Converge on their own, quickly or slowly.
CONVERGE = {
    'idle': ps.Guest(dirty_rate=20e6),
    'quick': ps.Guest(dirty_rate=0.3 * ps.LINK),
    'slow': ps.Guest(dirty_rate=0.9 * ps.LINK),
    'slow, 16 GiB': ps.Guest(memory=16 * GIB, dirty_rate=0.9 * ps.LINK),
    'slow, 2 GiB working set': ps.Guest(dirty_rate=0.85 * ps.LINK,
                                        working_set=2 * GIB),
    'slow on a quarter link': ps.Guest(dirty_rate=0.8 * ps.LINK / 4,
                                       link=ps.LINK / 4),
}


def judged(guest, phase, horizon=300.0):
    """[(seconds into the copy, Diagnosis)] as a client judges each new
    reading, and when the copy completes (None: never)."""
    samples, done = ps.readings(guest, phase=phase, horizon=horizon)
    return [(samples[n - 1].time - 1000.0, diagnosis.classify(samples[:n]))
            for n in range(1, len(samples) + 1)], done


def forced_at(policy, steps):
    for seconds, found in steps:
        if policy.decide(found, seconds)[0]:
            return seconds
    return None


class TestNeverConverging(testcase.TestCase):

    def test_never_called_converging_nor_given_an_eta(self):
        for name, guest in STUCK.items():
            for phase in PHASES:
                steps, done = judged(guest, phase)
                self.assertIsNone(done)
                for seconds, found in steps:
                    self.assertNotEqual(
                        diagnosis.CONVERGING, found.state,
                        f'{name}, phase {phase}, at {seconds:.1f}s')
                    self.assertIsNone(found.eta)

    def test_stalled_after_forces_within_20s_of_it(self):
        policy = diagnosis.Policy(stalled_after=STALLED_AFTER)
        for name, guest in STUCK.items():
            for phase in PHASES:
                at = forced_at(policy, judged(guest, phase)[0])
                self.assertIsNotNone(at, f'{name}, phase {phase}')
                self.assertLessEqual(at, STALLED_AFTER + 20,
                                     f'{name}, phase {phase}')

    def test_auto_forces_once_proven(self):
        policy = diagnosis.Policy(auto=True)
        for name, guest in STUCK.items():
            for phase in PHASES:
                steps, _ = judged(guest, phase)
                at = forced_at(policy, steps)
                self.assertIsNotNone(at, f'{name}, phase {phase}')
                found = dict(steps)[at]
                self.assertTrue(found.stuck)
                self.assertIn('not converging', found.summary())

    def test_auto_proves_a_whole_ram_plateau_at_the_first_sync(self):
        # Nova's saves 5 s apart from the start of the copy: the first
        # after the first sync proves it (4 GiB at 10 Gbit/s: 3.4 s; 16
        # GiB or a quarter of the link: 13.7 s).
        policy = diagnosis.Policy(auto=True)
        for guest, proof in ((STUCK['busy'], 5),
                             (STUCK['busy on a quarter link'], 15),
                             (STUCK['busy, 16 GiB'], 15)):
            self.assertEqual(proof, forced_at(policy,
                                              judged(guest, 0.0)[0]))


class TestConverging(testcase.TestCase):

    def test_neither_stall_nor_auto_forces_it(self):
        policies = (diagnosis.Policy(stalled_after=STALLED_AFTER),
                    diagnosis.Policy(auto=True))
        for name, guest in CONVERGE.items():
            for phase in PHASES:
                steps, done = judged(guest, phase)
                self.assertIsNotNone(done, name)
                for policy in policies:
                    self.assertIsNone(forced_at(policy, steps),
                                      f'{name}, phase {phase}, {policy}')

    def test_eta_is_honest(self):
        errors = []
        for name, guest in CONVERGE.items():
            for phase in PHASES:
                steps, done = judged(guest, phase)
                for seconds, found in steps:
                    if found.eta is None:
                        continue
                    left = done - seconds
                    errors.append(abs(found.eta - left) / max(left, 1.0))
                    # never off by more than a few saves, or 3/4 of it
                    self.assertLessEqual(
                        abs(found.eta - left), max(0.75 * left, 20.0),
                        f'{name}, phase {phase}, at {seconds:.1f}s')
        errors.sort()
        self.assertGreater(len(errors), 100)
        self.assertLess(errors[len(errors) // 2], 0.1)


class TestRates(testcase.TestCase):

    def test_rates_follow_the_link_at_any_sampling(self):
        for guest in (STUCK['busy'], STUCK['busy on a quarter link'],
                      CONVERGE['slow, 16 GiB']):
            for phase in PHASES:
                for _, found in judged(guest, phase)[0][1:]:
                    self.assertAlmostEqual(guest.link, found.transfer_rate,
                                           delta=0.1 * guest.link)

    def test_the_dirty_rate_is_what_the_rounds_find_again(self):
        # 16 GiB at 0.9 of the link: each round finds 90% of the one
        # before dirty again.
        steps, _ = judged(CONVERGE['slow, 16 GiB'], 0.0)
        self.assertAlmostEqual(0.9 * ps.LINK, steps[-1][1].dirty_rate,
                               delta=0.1 * ps.LINK)

    def test_save_times_not_poll_times(self):
        # Polled every second, sped up 20 times: the readings repeat a
        # save until the next; dated by the save, the rate is the link's.
        samples, _ = ps.readings(STUCK['busy'], phase=0.0, horizon=40)
        polled = [diagnosis.Sample(s.time, s.remaining, s.processed,
                                   s.total)
                  for s in samples for _ in range(5)]
        found = diagnosis.classify(polled)
        self.assertAlmostEqual(ps.LINK, found.transfer_rate,
                               delta=0.01 * ps.LINK)
