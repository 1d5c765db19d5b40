"""When to look again at a live migration: just after Nova's next save."""

from novaclient_force import diagnosis, saves
from tests import testcase

# The caller's clock runs this far ahead of the cloud's.
AHEAD = 1000.0
INTERVAL = diagnosis.STATS_INTERVAL


class TestSaves(testcase.TestCase):

    def test_nothing_seen_leaves_it_to_the_back_off(self):
        self.assertIsNone(saves.Saves().next_look(AHEAD))

    def test_next_look_is_just_after_the_next_save(self):
        one = saves.Saves()
        one.seen(AHEAD + 10.3, 10.0, running=True)
        self.assertAlmostEqual(10.0 + INTERVAL + 0.3 + saves.MARGIN,
                               one.next_look(AHEAD + 11.0) - AHEAD)

    def test_a_late_save_is_looked_for_shortly_then_left(self):
        one = saves.Saves()
        one.seen(AHEAD + 10.0, 10.0, running=True)
        due = AHEAD + 10.0 + INTERVAL + saves.MARGIN
        self.assertEqual(due + 0.1 + saves.RETRY, one.next_look(due + 0.1))
        self.assertIsNone(one.next_look(due + saves.OVERDUE))

    def test_the_offset_is_the_quickest_look_at_any_migration(self):
        offset = saves.Offset()
        first, second = saves.Saves(offset), saves.Saves(offset)
        first.seen(AHEAD + 14.0, 10.0, running=True)   # read 4 s late
        second.seen(AHEAD + 20.2, 20.0, running=True)  # read at once
        self.assertAlmostEqual(AHEAD + 0.2, offset.value)
        self.assertAlmostEqual(
            10.0 + INTERVAL + 0.2 + saves.MARGIN,
            first.next_look(AHEAD + 14.5) - AHEAD)

    def test_an_old_save_read_again_changes_nothing(self):
        one = saves.Saves()
        one.seen(AHEAD + 10.0, 10.0, running=True)
        one.seen(AHEAD + 13.0, 10.0, running=True)
        one.seen(AHEAD + 13.0, 9.0, running=True)
        self.assertEqual(10.0, one.latest)
        self.assertEqual(AHEAD, one.offset.value)

    def test_the_interval_is_learnt_from_saves_while_running(self):
        one = saves.Saves()
        one.seen(AHEAD + 1.0, 1.0, running=False)     # preparing
        one.seen(AHEAD + 2.0, 2.0, running=True)      # running status
        one.seen(AHEAD + 2.3, 2.3, running=True)      # first counters
        self.assertEqual(INTERVAL, one.interval)
        one.seen(AHEAD + 22.3, 22.3, running=True)    # 20 s later
        self.assertAlmostEqual(20.0, one.interval)
        one.seen(AHEAD + 52.3, 52.3, running=True)    # one save missed
        self.assertAlmostEqual(20.0, one.interval)

    def test_newer_than(self):
        one = saves.Saves()
        self.assertTrue(one.newer_than(5.0))       # saves not dated
        one.seen(AHEAD + 5.0, 5.0, running=True)
        self.assertFalse(one.newer_than(5.0))
        self.assertTrue(one.newer_than(None))      # nothing read yet
        one.seen(AHEAD + 10.0, 10.0, running=True)
        self.assertTrue(one.newer_than(5.0))
