"""Checks of what an operator typed, shared by both CLIs and the SDK.

They run before anything is sent (for OSC, before authentication), so a
typo costs no request, and both commands refuse it in the same words.
"""

import math
import uuid

from novaclient_force import diagnosis, exceptions


def migration(text):
    """An integer migration ID, a canonical migration UUID, or None (the
    one in progress); InvalidArgument for anything else."""
    if text is None:
        return None
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise bad_migration(text) from None


#: The longest wait a --timeout may ask for: 30 days. Far beyond it (about
#: 9.2e9 s) socket timeouts and sleeps overflow the platform's time_t;
#: Nova's own live_migration_completion_timeout gives up far sooner.
MAX_TIMEOUT = 30 * 24 * 3600


def timeout_in_range(seconds, name='--timeout'):
    """InvalidArgument unless ``seconds`` is finite and at most
    MAX_TIMEOUT, before anything is sent."""
    if not math.isfinite(seconds) or seconds > MAX_TIMEOUT:
        raise exceptions.InvalidArgument(
            f'{name} must be at most {MAX_TIMEOUT} seconds (30 days), not '
            f'{seconds!r}')
    return seconds


def wait_timeout(timeout):
    """The SDK's ``timeout`` (seconds, 0 or more, or None for no limit):
    InvalidArgument for anything else, before anything is sent."""
    if timeout is None:
        return
    if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
            or timeout < 0):
        raise exceptions.InvalidArgument(
            f'Invalid timeout {timeout!r}: give a number of seconds, 0 or '
            'more')
    timeout_in_range(timeout, 'timeout')


def timeout_needs_wait(timeout, wait):
    """``--timeout`` bounds a wait, so without ``--wait`` it is refused."""
    if timeout is not None and not wait:
        raise exceptions.InvalidArgument('--timeout applies only with --wait')


def host(value):
    """A host name for a drain: InvalidArgument unless it is one."""
    if not isinstance(value, str) or not value.strip():
        raise exceptions.InvalidArgument(
            f'A host name is required, got {value!r}')
    return value


#: The most requests a drain sends at once, for the SDK and both CLIs:
#: each is a connection and a thread, and Nova runs few live migrations
#: per host at a time anyway (``max_concurrent_live_migrations``).
MAX_CONCURRENCY = 64


def concurrency(value):
    """How many requests a drain sends at once: a whole number from 1
    to MAX_CONCURRENCY (InvalidArgument otherwise)."""
    if (isinstance(value, bool) or not isinstance(value, int)
            or not 1 <= value <= MAX_CONCURRENCY):
        raise exceptions.InvalidArgument(
            f'Invalid concurrency {value!r}: give a whole number from 1 to '
            f'{MAX_CONCURRENCY}')
    return value


def bad_migration(value):
    return exceptions.InvalidArgument(
        f'Invalid migration {value!r}: give an integer migration ID or a '
        'migration UUID')


def threshold(option, value):
    """Seconds for a force threshold (a number or its text, 0 or more),
    or None when not given; ``option`` names it as the caller typed it
    (a CLI flag, or the SDK's parameter)."""
    if value is None:
        return None
    seconds = math.nan
    if isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise exceptions.InvalidArgument(
            f'Invalid {option} {value!r}: give a number of seconds, 0 or '
            'more')
    return seconds


def policy(stalled_after=None, force_after=None, auto=False):
    """The diagnosis.Policy for the SDK's force parameters (the CLIs
    check their flags with threshold() first, in their words)."""
    if not isinstance(auto, bool):
        raise exceptions.InvalidArgument(
            f'Invalid auto {auto!r}: give True or False')
    return diagnosis.Policy(
        stalled_after=threshold('stalled_after', stalled_after),
        force_after=threshold('force_after', force_after), auto=auto)

