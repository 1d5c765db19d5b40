"""The words of an Outcome's fields, as both commands' tables show them.

Every value that came from the cloud is escaped (``terminal.printable``):
a server's name is chosen by whoever created it.
"""

from novaclient_force import terminal


def forced(value):
    """Whether force_complete was sent: ``yes`` or ``no``."""
    return 'yes' if value else 'no'


def diagnosis(found):
    """The diagnosis in words (``stalled for 20s``), empty if none."""
    return '' if found is None else terminal.printable(found.summary())


def seconds(value):
    """A duration (``31.0s``), empty when not known."""
    return '' if value is None else terminal.seconds(value)


def estimated_pause(result):
    """How long the guest will be paused, in seconds, if diagnosed."""
    return getattr(result.diagnosis, 'estimated_pause', None)


def migration(result):
    """The migration's ID, or its UUID when Nova gave no ID."""
    if result.migration is None:
        return result.migration_uuid or None
    return result.migration


def reason(result, whole=False):
    """The reason; a table cell keeps what happened (``terminal.brief``)
    unless ``whole``: the whole of it, with how to follow the migration,
    is on the stderr line when the command fails, and in the machine
    formats."""
    if whole:
        return terminal.printable(result.reason)
    return terminal.brief(result.detail)
