"""Scenario files with values of the wrong shape or size.

Each must stop the start with one line naming the file and the field,
and exit status 2: never a traceback, never a server that starts and
then answers 500.
"""

import contextlib
import io

import fixtures

from novaclient_force.refserver import cli
from tests import testcase

GOOD = {'host': 'compute-1', 'memory': '4GiB', 'extra': 'workload: busy',
        'id': '1', 'ago': '60'}


def scenario(host, memory, extra, id, ago):
    return f"""
hosts: [compute-1, compute-2]
servers:
  - {{name: vm, host: {host}, memory: {memory}, {extra}}}
migrations:
  - {{server: vm, dest: compute-2, id: {id}, started_ago: {ago}}}
"""


class _StartTestCase(testcase.TestCase):
    """Starts the CLI on a scenario file, with serving refused."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir())
        self.useFixture(fixtures.FakeLogger())

        def serve(*args, **kwargs):
            raise AssertionError('started serving despite the bad file')

        self.useFixture(fixtures.MonkeyPatch(
            'novaclient_force.refserver.edge.httpserver.make_server', serve))

    def start(self, text):
        path = self.tmp.join('scenario.yaml')
        with open(path, 'w') as out:
            out.write(text)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(['--scenario', path])
        return code, err.getvalue()

    def assert_refused(self, text, field):
        code, err = self.start(text)
        lines = err.strip().splitlines()
        self.assertEqual(2, code, err)
        self.assertEqual(1, len(lines), err)
        self.assertIn(f'scenario.yaml: {field}', lines[0])
        return lines[0]

    def case(self, **changes):
        return scenario(**dict(GOOD, **changes))


class TestScenarioErrors(_StartTestCase):

    def test_the_good_case_starts(self):
        self.assertRaisesRegex(AssertionError, 'started serving',
                               self.start, self.case())

    def test_list_as_host(self):
        self.assert_refused(self.case(host='[compute-1]'), r'servers[0].host')

    def test_list_as_workload(self):
        self.assert_refused(self.case(extra='workload: [busy]'),
                            'servers[0].workload')

    def test_workloads_not_a_mapping(self):
        self.assert_refused('workloads: 5\n', 'workloads')

    def test_memory_too_large(self):
        self.assert_refused(self.case(memory='1e300'), 'servers[0].memory')

    def test_working_set_beyond_the_memory(self):
        line = self.assert_refused(
            self.case(extra='workload: busy, working_set: 8GiB'),
            'servers[0].working_set')
        self.assertIn('at most the memory', line)

    def test_working_set_not_a_size(self):
        self.assert_refused(self.case(extra='working_set: lots'),
                            'servers[0].working_set')

    def test_disk_too_large(self):
        self.assert_refused(self.case(extra='disk: 99999999999999999999999'),
                            'servers[0].disk')

    def test_id_too_large(self):
        self.assert_refused(self.case(id='99999999999999999999999'),
                            'migrations[0].id')

    def test_started_ago_infinite(self):
        self.assert_refused(self.case(ago='.inf'), 'migrations[0].started_ago')

    def test_started_ago_before_any_clock(self):
        self.assert_refused(self.case(ago='1e300'),
                            'migrations[0].started_ago')

    def test_list_as_link_end(self):
        self.assert_refused(
            'hosts: [compute-1, compute-2]\nlinks:\n'
            '  - {src: [compute-1], dest: compute-2, bandwidth: 1Gbit/s}\n',
            'links[0].src')

    def test_deep_nesting(self):
        line = self.assert_refused(
            'servers: ' + '[' * 5000 + ']' * 5000 + '\n', '')
        self.assertIn('nested too deeply', line)

    def test_deep_nesting_in_a_mapping(self):
        line = self.assert_refused(
            'workloads: ' + '{a: ' * 5000 + '1' + '}' * 5000 + '\n', '')
        self.assertIn('nested too deeply', line)


def alias_bomb(levels=10, fanout=4):
    """A YAML flow list of a few hundred bytes that loads as ``fanout **
    levels`` strings: each level lists the previous one ``fanout`` times
    by alias, so loading shares it, and only walking it costs."""
    items = [f"&l0 [{', '.join(['x'] * fanout)}]"]
    for level in range(1, levels):
        aliases = ', '.join([f'*l{level - 1}'] * fanout)
        items.append(f'&l{level} [{aliases}]')
    return f"[{', '.join(items)}, *l{levels - 1}]"


class TestRejectedValuesAreBounded(_StartTestCase):
    """A rejected value is shown as a short preview, never whole: an
    alias bomb of a few hundred bytes holds a million strings here (a
    billion with a few more levels), and formatting one whole costs
    time and memory in proportion to all it holds."""

    def assert_short(self, text, field):
        line = self.assert_refused(text, field)
        self.assertLess(len(line), 400, line[:400])
        return line

    def test_bomb_as_a_workload_rate(self):
        line = self.assert_short(f'workloads:\n  busy2: {alias_bomb()}\n',
                                 'workloads.busy2')
        self.assertIn("must be a rate like 10Gbit/s or 200MB/s, not [['x'",
                      line)

    def test_bomb_as_a_server_uuid(self):
        line = self.assert_short(self.case(extra=f'uuid: {alias_bomb()}'),
                                 'servers[0].uuid')
        self.assertIn('not a UUID: [[', line)

    def test_bomb_as_a_migration_uuid(self):
        text = self.case().replace('id: 1,', f'uuid: {alias_bomb()}, id: 1,')
        self.assert_short(text, 'migrations[0].uuid')

    def test_a_long_string_is_cut(self):
        line = self.assert_short(
            f"workloads:\n  busy2: {'9' * 100000}MB/x\n", 'workloads.busy2')
        self.assertIn("not '9999", line)

    def test_an_integer_too_long_to_read(self):
        # Python refuses to convert an integer of over 4300 digits
        # (sys.int_info.default_max_str_digits) while YAML loads it.
        line = self.assert_short(f"workloads:\n  busy2: {'9' * 5000}\n", '')
        self.assertIn('not valid YAML', line)
