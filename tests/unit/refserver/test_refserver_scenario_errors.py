"""Scenario files with values of the wrong shape or size.

Each must stop the start with one line naming the file and the field,
and exit status 2: never a traceback, never a server that starts and
then answers 500.
"""

import contextlib
import io

import fixtures
import testtools

from novaclient_force.refserver import cli

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


class TestScenarioErrors(testtools.TestCase):
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
