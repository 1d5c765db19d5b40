"""The classifier on recorded reading series, and the force policy."""

import json
import os

from novaclient_force import diagnosis
from tests import testcase

SAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                       'samples', 'migration-readings.json')
SAWTOOTH = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                        'samples', 'sawtooth-readings.json')
GIB = 1024 ** 3


def series(name, until=None):
    """Samples of a recorded series, up to ``until`` seconds."""
    with open(SAMPLES) as stream:
        rows = json.load(stream)[name]
    return [diagnosis.Sample(r['time'], r['memory_remaining_bytes'],
                             r['memory_processed_bytes'],
                             r['memory_total_bytes'])
            for r in rows if until is None or r['time'] <= until]


def recorded(name):
    """A reference-server recording: its Samples (dated by the save) and
    when the migration finished (None: it did not)."""
    with open(SAWTOOTH) as stream:
        found = json.load(stream)[name]
    return [diagnosis.Sample(r['time'], r['memory_remaining_bytes'],
                             r['memory_processed_bytes'],
                             r['memory_total_bytes'])
            for r in found['readings']], found['finished_at']


class TestClassify(testcase.TestCase):

    def test_recorded_sawtooth_of_a_converging_guest(self):
        readings, finished = recorded('slow')
        seen = [diagnosis.classify(readings[:n])
                for n in range(1, len(readings) + 1)]
        self.assertFalse(any(found.stuck for found in seen))
        last = seen[-1]
        self.assertEqual(diagnosis.CONVERGING, last.state)
        # honest: it ended 0.2 s after the last save
        left = finished - readings[-1].time
        self.assertAlmostEqual(left, last.eta, delta=10)
        self.assertAlmostEqual(1.25e9, last.transfer_rate, delta=0.05e9)
        self.assertAlmostEqual(1.0e9, last.dirty_rate, delta=0.1e9)
        self.assertIn('converging, ETA', last.summary())

    def test_recorded_sawtooth_of_a_busy_guest(self):
        readings, _ = recorded('busy')
        first = diagnosis.classify(readings[:1])
        # the first save, 1.6 s after the first sync, proves it
        self.assertTrue(first.stuck)
        for count in range(1, len(readings) + 1):
            found = diagnosis.classify(readings[:count])
            self.assertNotEqual(diagnosis.CONVERGING, found.state)
        # no progress since the first pass ended (running from 1.5 s)
        self.assertAlmostEqual(readings[-1].time - 1.5 - 4 * GIB / 1.25e9,
                               found.stalled_for)

    def test_recorded_sawtooth_within_a_working_set(self):
        readings, _ = recorded('busy-working-set')
        states = [diagnosis.classify(readings[:n])
                  for n in range(1, len(readings) + 1)]
        self.assertFalse(any(found.state == diagnosis.CONVERGING
                             for found in states))
        self.assertTrue(states[-1].stuck)

    def test_a_flat_recording_is_proven_stuck(self):
        # An idealized server's busy guest: remaining stays at the total
        # while processed grows past it, so every round finds all of the
        # memory dirty again.
        found = diagnosis.classify(series('stalled'))
        self.assertEqual((diagnosis.STALLED, True),
                         (found.state, found.stuck))
        self.assertIsNone(found.eta)
        self.assertEqual(32 * GIB, found.remaining_bytes)
        self.assertAlmostEqual(1.25e9, found.transfer_rate, delta=0.1e9)
        self.assertGreaterEqual(found.dirty_rate,
                                0.95 * found.transfer_rate)
        self.assertAlmostEqual(32 * GIB / found.transfer_rate,
                               found.estimated_pause)
        # no progress since the second save (15 s): remaining did not
        # fall while the link sent 9 GB, so a sync had found them dirty
        # again and the first pass was over
        self.assertEqual(90 - 15, found.stalled_for)
        self.assertIn('not converging for', found.summary())

    def test_a_growing_recording_is_not_converging(self):
        found = diagnosis.classify(series('growing'))
        self.assertNotEqual(diagnosis.CONVERGING, found.state)
        self.assertIsNone(found.eta)
        self.assertAlmostEqual(1.0e9, found.transfer_rate, delta=1e6)

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


class TestPolicy(testcase.TestCase):

    def decide(self, policy, name, until, running_for):
        return policy.decide(
            diagnosis.classify(series(name, until=until)), running_for)

    def test_no_thresholds_force_at_once(self):
        policy = diagnosis.Policy()
        self.assertTrue(policy.forces_at_once)
        self.assertTrue(self.decide(policy, 'converging', 20, 0)[0])

    def test_stalled_after(self):
        policy = diagnosis.Policy(stalled_after=30)
        # no progress after the save at 15 s
        self.assertFalse(self.decide(policy, 'stalled', 40, 40)[0])
        force, why = self.decide(policy, 'stalled', 45, 45)
        self.assertTrue(force)
        self.assertIn('no progress towards completion for 30s', why)
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
