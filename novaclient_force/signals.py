"""SIGINT and SIGTERM as exceptions, so what Nova accepted is still told.

Python turns SIGINT into KeyboardInterrupt; SIGTERM kills the process
outright, and whatever Nova had accepted by then goes unreported. Inside
``raised()`` the first of them raises ``Signalled``, a KeyboardInterrupt
that knows its signal, in the main thread; the SDK catches
KeyboardInterrupt around what it sends and waits for and raises
``exceptions.Interrupted`` with the outcomes known so far, for the CLI to
print before it exits 128 + signal.

Only the first signal is acted on. A second one is common: GNU timeout
signals the command and then its whole process group, so the command gets
SIGTERM twice; a user presses Ctrl-C twice. Raised again, it would cut
short what the first one started (the SDK gathering its outcomes into
Interrupted), and once the default handlers are back it would kill the
CLI while it writes its report. So the handler (a ``Latch``) records the
first signal and drops the rest, and the CLI keeps a Latch installed
until its report is written (``novaclient_force.cli.running``).
"""

import contextlib
import signal

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Signalled(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived (``signum`` says which)."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signum_of(interrupt):
    """The signal behind a KeyboardInterrupt (plain ones are SIGINT)."""
    return getattr(interrupt, 'signum', signal.SIGINT)


class Latch:
    """The handler of SIGINT and SIGTERM that acts on the first only.

    ``signum`` is the first signal, None until one came: raised as
    Signalled if it comes while ``raising`` (within ``raised``), else
    only recorded. Later signals are dropped, so that nothing the first
    one set going (an Interrupted being built, a report being written) is
    cut short.
    """

    def __init__(self):
        self.signum = None
        self.raising = False

    def __call__(self, signum, frame):
        if self.signum is not None:
            return
        self.signum = signum
        if self.raising:
            raise Signalled(signum)

    @contextlib.contextmanager
    def raised(self):
        """Within this block the first signal raises Signalled, at once
        if it came before the block."""
        self.raising = True
        try:
            if self.signum is not None:
                raise Signalled(self.signum)
            yield
        finally:
            self.raising = False


@contextlib.contextmanager
def latched(ending=False):
    """Within this block a Latch (the one yielded) handles SIGINT and
    SIGTERM; the previous handlers come back afterwards. Only the main
    thread may do this.

    ``ending``: once a signal has come, the process ends after this block
    (a command exiting 128 + the signal), so the Latch stays, dropping
    any later signal: GNU timeout's second one would otherwise interrupt
    the interpreter's exit with a traceback under the report.
    """
    latch = Latch()
    previous = {signum: signal.signal(signum, latch) for signum in HANDLED}
    try:
        yield latch
    finally:
        if not (ending and latch.signum is not None):
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@contextlib.contextmanager
def raised():
    """Within this block the first SIGINT or SIGTERM raises Signalled and
    any later one is ignored; the previous handlers come back afterwards.
    Only the main thread may do this."""
    with latched() as latch, latch.raised():
        yield
