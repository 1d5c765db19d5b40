"""SIGINT and SIGTERM as exceptions, so what Nova accepted is still told.

Python turns SIGINT into KeyboardInterrupt; SIGTERM kills the process
outright, and whatever Nova had accepted by then goes unreported. Inside
``raised()`` both raise ``Signalled``, a KeyboardInterrupt that knows its
signal, in the main thread; the SDK catches KeyboardInterrupt around what
it sends and waits for and raises ``exceptions.Interrupted`` with the
outcomes known so far, for the CLI to print before it exits 128 + signal.
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


def _raise(signum, frame):
    raise Signalled(signum)


@contextlib.contextmanager
def raised():
    """Within this block SIGINT and SIGTERM raise Signalled; the previous
    handlers come back afterwards. Only the main thread may do this."""
    previous = {signum: signal.signal(signum, _raise) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
