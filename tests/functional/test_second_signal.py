"""Two SIGTERMs close together do not cut the report of what was accepted.

``timeout`` (GNU coreutils) signals the command and then its whole process
group, so the command gets SIGTERM twice. Here the real ``openstack`` and
``nova`` run in a session of their own against the reference server and
get two SIGTERMs sent to their process group once Nova has answered a
force-complete with 202. Where the second one lands is a race (while the
SDK gathers its outcomes, while the rows are written), so each test
repeats it with different delays.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import time

from tests.functional import test_nova_cli, test_osc_cli
from tests.functional import test_reliability_faults as faults

_ACTION = re.compile(r'/servers/[^/]+/migrations/\d+/action$')
#: (seconds from the first 202 to the first SIGTERM, to the second).
TIMINGS = ((0.0, 0.0005), (0.0, 0.001), (0.3, 0.002))


class TestTwoSigterms(faults.FaultTest):

    scenario = 'host-maintenance'
    servers = 20
    # A forced migration needs ~3.5 simulated s: ~35 real s at this scale.
    time_scale = 0.1

    def twice(self, argv, env, first, gap):
        """Run ``argv``; SIGTERM its process group ``first`` s after
        Nova's first 202 to it, and again ``gap`` s later. (exit status,
        stdout, stderr lines)."""
        self.cloud.reset()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        end = time.monotonic() + 60
        while not any(r['method'] == 'POST' and r['status'] == 202
                      and _ACTION.search(r['path'])
                      for r in self.cloud.requests()):
            if proc.poll() is not None:
                self.fail(f'exited {proc.returncode} before a 202: '
                          f'{proc.communicate()}')
            self.assertLess(time.monotonic(), end)
            time.sleep(0.01)
        time.sleep(first)
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(gap)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)     # unless it has ended
        out, err = proc.communicate(timeout=60)
        err = [line for line in err.splitlines()
               if not line.startswith(faults.DEPRECATION)]
        return proc.returncode, out, err

    def assertSignalled(self, code, detail):
        """143, as the process exits after its report. A second SIGTERM
        that comes once the report is written and the handlers are back
        may end it first, by the default action: a shell reports that as
        143 too."""
        self.assertIn(code, (143, -signal.SIGTERM), detail)

    def assertTruthful(self, err):
        text = '\n'.join(err)
        self.assertIn('interrupted (SIGTERM)', text)
        for words in ('before anything was sent', 'not sent', 'refused the',
                      'Traceback'):
            self.assertNotIn(words, text)

    def test_openstack_host_drain(self):
        argv = [test_osc_cli.openstack_program(), *test_osc_cli.COMMAND,
                '--host', 'compute-1', '--wait', '-f', 'json']
        for first, gap in TIMINGS:
            code, out, err = self.twice(argv, self.openstack_env(), first,
                                        gap)
            detail = (first, gap, out, err)
            self.assertSignalled(code, detail)
            rows = json.loads(out)
            self.assertEqual(self.servers, len(rows), detail)
            statuses = {row['Status'] for row in rows}
            self.assertLessEqual(statuses, {'accepted', 'unknown',
                                            'not forced'}, detail)
            # Nova answered 202 at least once: that row is accepted (or,
            # its answer not read yet, unknown), and accepted is forced.
            self.assertTrue(statuses & {'accepted', 'unknown'}, detail)
            for row in rows:
                if row['Status'] == 'accepted':
                    self.assertIs(True, row['Forced'], detail)
            self.assertTruthful(err)

    def test_nova_one_server(self):
        argv = [test_nova_cli.NOVA, faults.NOVA_COMMAND, 'maint-vm-001',
                '1', '--wait']
        for first, gap in TIMINGS:
            code, out, err = self.twice(argv, self.nova_env(), first, gap)
            detail = (first, gap, out, err)
            self.assertSignalled(code, detail)
            self.assertRegex(out, r'\| status +\| accepted +\|')
            self.assertRegex(out, r'\| forced +\| yes +\|')
            self.assertTrue(out.rstrip().endswith('+'), detail)
            self.assertEqual(1, len(err), detail)
            self.assertTrue(err[0].startswith(
                'ERROR (Interrupted): interrupted (SIGTERM): '), detail)
            self.assertTruthful(err)
