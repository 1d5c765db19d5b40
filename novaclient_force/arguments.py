"""Checks of what an operator typed, shared by both CLIs and the SDK.

They run before anything is sent (for OSC, before authentication), so a
typo costs no request, and both commands refuse it in the same words.
"""

import uuid

from novaclient_force import exceptions


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


def bad_migration(value):
    return exceptions.InvalidArgument(
        'Invalid migration %r: give an integer migration ID or a migration '
        'UUID' % (value,))
