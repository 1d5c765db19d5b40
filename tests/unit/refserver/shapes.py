"""Pending memory of a guest that never converges, written from QEMU's
pre-copy rules (not from the simulator's closed form), for the tests to
check the simulator against."""


def sawtooth(memory, seconds, link, working_set=None):
    """Pending bytes of a guest that re-dirties its whole working set
    every round (dirty rate >= link), ``seconds`` into its memory copy:
    one full pass, then rounds of the working set, each falling at link
    speed from the set to nothing before the next sync refills it."""
    working_set = memory if working_set is None else working_set
    sent = seconds * link
    if sent < memory:
        return memory - sent
    return working_set - (sent - memory) % working_set
