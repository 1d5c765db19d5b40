"""The classifier on recorded reading series, and the force policy."""

import json
import os

import testtools

from novaclient_force import diagnosis

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                       'samples', 'migration-readings.json')
GIB = 1024 ** 3


def series(name, until=None):
    """Samples of a recorded series, up to ``until`` seconds."""
    with open(SAMPLES) as stream:
        rows = json.load(stream)[name]
    return [diagnosis.Sample(r['time'], r['memory_remaining_bytes'],
                             r['memory_processed_bytes'],
                             r['memory_total_bytes'])
            for r in rows if until is None or r['time'] <= until]


class TestClassify(testtools.TestCase):

    def test_converging_has_an_eta_that_matches_the_recording(self):
        readings = series('converging', until=40)
        found = diagnosis.classify(readings)
        self.assertEqual(diagnosis.CONVERGING, found.state)
        # The recording ends (remaining under 2 GiB) at 70 s: the ETA
        # taken at 40 s must point there, give or take a stats interval.
        finished = series('converging')[-1].time
        self.assertAlmostEqual(finished - 40, found.eta, delta=8)
        # Readings between two stats saves repeat the last one.
        self.assertLess(found.stalled_for, diagnosis.STATS_INTERVAL)
        # 10 Gbit/s link, guest dirtying 0.6 of it (see the recording).
        self.assertAlmostEqual(1.25e9, found.transfer_rate, delta=0.05e9)
        self.assertAlmostEqual(0.75e9, found.dirty_rate, delta=0.05e9)
        self.assertAlmostEqual(found.remaining_bytes / 1.25e9,
                               found.estimated_pause, delta=1)
        self.assertIn('converging, ETA', found.summary())

    def test_stalled(self):
        found = diagnosis.classify(series('stalled'))
        self.assertEqual(diagnosis.STALLED, found.state)
        self.assertIsNone(found.eta)
        self.assertEqual(32 * GIB, found.remaining_bytes)
        # Remaining memory first read at 7.5 s and never lower since.
        self.assertEqual(90 - 7.5, found.stalled_for)
        self.assertAlmostEqual(1.25e9, found.transfer_rate, delta=0.1e9)
        self.assertGreaterEqual(found.dirty_rate, found.transfer_rate)
        self.assertAlmostEqual(32 * GIB / found.transfer_rate,
                               found.estimated_pause)
        self.assertIn('stalled for 82s (sending', found.summary())

    def test_growing(self):
        found = diagnosis.classify(series('growing'))
        self.assertEqual(diagnosis.GROWING, found.state)
        self.assertAlmostEqual(1.0e9, found.transfer_rate, delta=1e6)
        self.assertAlmostEqual(1.15e9, found.dirty_rate, delta=1e6)
        self.assertEqual(60, found.stalled_for)

    def test_missing_counters_are_unknown(self):
        found = diagnosis.classify(series('no-counters'))
        self.assertEqual(diagnosis.UNKNOWN, found.state)
        self.assertIsNone(found.remaining_bytes)
        self.assertIsNone(found.stalled_for)
        self.assertIsNone(found.estimated_pause)
        self.assertIn('no memory counters', found.summary())

    def test_one_stats_save_is_not_enough(self):
        # 7.5 s and 10 s show the same save: no rate can be measured yet.
        found = diagnosis.classify(series('converging', until=10))
        self.assertEqual(diagnosis.UNKNOWN, found.state)
        self.assertIsNotNone(found.remaining_bytes)
        self.assertIn('one reading', found.summary())

    def test_stalled_before_converging_shows_the_recent_trend(self):
        # Flat for a minute, then shrinking: the window sees the shrink.
        stuck = [diagnosis.Sample(t, 10 * GIB, int(t * 1e9))
                 for t in range(0, 61, 5)]
        moving = [diagnosis.Sample(60 + t, 10 * GIB - int(t * 0.5e9),
                                   int((60 + t) * 1e9))
                  for t in range(5, 31, 5)]
        self.assertEqual(diagnosis.STALLED,
                         diagnosis.classify(stuck).state)
        found = diagnosis.classify(stuck + moving)
        self.assertEqual(diagnosis.CONVERGING, found.state)
        self.assertEqual(0, found.stalled_for)

    def test_frozen_counters_are_stalled(self):
        # The link carries nothing: every save repeats the same numbers.
        frozen = [diagnosis.Sample(t, 8 * GIB, 3 * GIB, 8 * GIB)
                  for t in range(0, 31, 5)]
        found = diagnosis.classify(frozen)
        self.assertEqual(diagnosis.STALLED, found.state)
        self.assertEqual(0, found.transfer_rate)
        self.assertIsNone(found.estimated_pause)

    def test_order_and_missing_processed(self):
        readings = [diagnosis.Sample(10, 4 * GIB), diagnosis.Sample(0,
                                                                    6 * GIB)]
        found = diagnosis.classify(readings)
        self.assertEqual(diagnosis.CONVERGING, found.state)
        self.assertEqual(20, found.eta)
        self.assertIsNone(found.transfer_rate)
        self.assertIsNone(found.estimated_pause)

    def test_as_dict_carries_numbers(self):
        found = diagnosis.classify(series('stalled'))
        numbers = found.as_dict()
        self.assertEqual('stalled', numbers['state'])
        self.assertIsInstance(numbers['estimated_pause'], float)


class TestPolicy(testtools.TestCase):

    def decide(self, policy, name, until, running_for):
        return policy.decide(
            diagnosis.classify(series(name, until=until)), running_for)

    def test_no_thresholds_force_at_once(self):
        policy = diagnosis.Policy()
        self.assertTrue(policy.forces_at_once)
        self.assertTrue(self.decide(policy, 'converging', 20, 0)[0])

    def test_stalled_after(self):
        policy = diagnosis.Policy(stalled_after=30)
        self.assertFalse(self.decide(policy, 'stalled', 35, 35)[0])
        force, why = self.decide(policy, 'stalled', 40, 40)
        self.assertTrue(force)
        self.assertIn('not shrunk for 32s', why)
        force, why = self.decide(policy, 'converging', 65, 65)
        self.assertFalse(force)
        self.assertIn('left alone: converging', why)

    def test_stalled_after_without_counters_is_an_age_limit(self):
        policy = diagnosis.Policy(stalled_after=30)
        self.assertFalse(self.decide(policy, 'no-counters', 25, 25)[0])
        force, why = self.decide(policy, 'no-counters', 30, 30)
        self.assertTrue(force)
        self.assertIn('no memory counters', why)

    def test_force_after(self):
        policy = diagnosis.Policy(force_after=60)
        self.assertFalse(self.decide(policy, 'converging', 55, 55)[0])
        force, why = self.decide(policy, 'converging', 65, 65)
        self.assertTrue(force)
        self.assertIn('--force-after 60', why)
