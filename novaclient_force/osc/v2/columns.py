"""The rows of ``openstack server migration force complete``: one per
Outcome, in cliff columns (in a table the words both commands use,
``novaclient_force.cli.cells``; in ``-f json``/``yaml`` the values).

Imported when the command runs, not when ``openstack`` loads the command
module (which it does on every run, for every command): see
``force_complete``.
"""

from cliff import columns

from novaclient_force import terminal
from novaclient_force.cli import cells

#: ``Force To End``: seconds from Nova accepting our force-complete to
#: the migration's end as read; ``Migration Time``: Nova's own seconds
#: from the migration's creation to its end (outcome.Outcome); blank
#: where not known.
COLUMNS = ('Server', 'Server Name', 'Migration', 'Status', 'Forced',
           'Diagnosis', 'Estimated Pause', 'Force To End', 'Migration Time',
           'Reason')
#: Formats that escape every value themselves and are read by programs:
#: they get the values as the SDK holds them.
MACHINE_FORMATS = ('json', 'yaml')


class ForcedColumn(columns.FormattableColumn):
    """yes/no in a table, a boolean in -f json/yaml."""

    def human_readable(self):
        return cells.forced(self._value)

    def machine_readable(self):
        return bool(self._value)


class DiagnosisColumn(columns.FormattableColumn):
    """The diagnosis in words in a table, its numbers in -f json/yaml."""

    def human_readable(self):
        return cells.diagnosis(self._value)

    def machine_readable(self):
        return None if self._value is None else self._value.as_dict()


class DiagnosisWords(DiagnosisColumn):
    """The diagnosis in words in ``-f value`` and ``csv`` too: a line of
    text there, not a Python dict."""

    def machine_readable(self):
        return self.human_readable()


class Seconds(columns.FormattableColumn):
    """A duration: ``31.0s`` in a table, the number of seconds in
    ``-f value`` or ``csv``; empty when not known."""

    def human_readable(self):
        return cells.seconds(self._value)

    def machine_readable(self):
        return rounded(self._value)


class Reason(columns.FormattableColumn):
    """Of an Outcome, a table shows what happened in a few words;
    ``-f value`` and ``csv`` give the whole reason and hint, escaped."""

    def human_readable(self):
        return cells.reason(self._value)

    def machine_readable(self):
        return terminal.printable(self._value.detail)


def row(result, machine=False):
    """One row for an SDK Outcome (see COLUMNS).

    ``machine`` (a MACHINE_FORMATS format): the values as they are, the
    reason with its hint. Otherwise what comes from the cloud is escaped
    and the reason is kept brief (the whole of it is on stderr).
    """
    migration = cells.migration(result)
    pause = cells.estimated_pause(result)
    if machine:
        return (result.server, result.server_name, migration, result.status,
                ForcedColumn(result.forced), DiagnosisColumn(result.diagnosis),
                rounded(pause), rounded(result.force_to_end),
                rounded(result.migration_time), result.detail)
    return (terminal.printable(result.server),
            terminal.printable(result.server_name), migration,
            result.status, ForcedColumn(result.forced),
            DiagnosisWords(result.diagnosis), Seconds(pause),
            Seconds(result.force_to_end), Seconds(result.migration_time),
            Reason(result))


def rounded(seconds):
    """Seconds to a tenth, for machine formats; None stays None."""
    return None if seconds is None else round(seconds, 1)
