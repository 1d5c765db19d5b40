"""How the outcomes of ``openstack server migration force complete`` are
reported: one row each (cliff columns: words in a table, values in
``-f json``/``yaml``), the exit status and the one line on stderr.

Imported when the command runs, not when ``openstack`` loads the command
module (which it does on every run, for every command): see
``force_complete``.
"""

from cliff import columns

from novaclient_force import outcome, terminal

COLUMNS = ('Server', 'Server Name', 'Migration', 'Status', 'Forced',
           'Diagnosis', 'Estimated Pause', 'Duration', 'Reason')
#: Formats that escape every value themselves and are read by programs:
#: they get the values as the SDK holds them.
MACHINE_FORMATS = ('json', 'yaml')


class ForcedColumn(columns.FormattableColumn):
    """yes/no in a table, a boolean in -f json/yaml."""

    def human_readable(self):
        return 'yes' if self._value else 'no'

    def machine_readable(self):
        return bool(self._value)


class DiagnosisColumn(columns.FormattableColumn):
    """The diagnosis in words in a table, its numbers in -f json/yaml."""

    def human_readable(self):
        return '' if self._value is None else self._value.summary()

    def machine_readable(self):
        return None if self._value is None else self._value.as_dict()


class Seconds(columns.FormattableColumn):
    """A duration: ``31.0s`` in a table, the number of seconds in
    ``-f value`` or ``csv``; empty when not known."""

    def human_readable(self):
        return '' if self._value is None else terminal.seconds(self._value)

    def machine_readable(self):
        return None if self._value is None else round(self._value, 1)


class Reason(columns.FormattableColumn):
    """A table shows what happened in a few words; ``-f value`` and
    ``csv`` give the whole reason and hint, escaped."""

    def human_readable(self):
        return terminal.brief(self._value)

    def machine_readable(self):
        return terminal.printable(self._value)


def row(result, machine=False):
    """One row for an SDK Outcome (see COLUMNS).

    ``machine`` (a MACHINE_FORMATS format): the values as they are, the
    reason with its hint. Otherwise what comes from the cloud is escaped
    and the reason is kept brief (the whole of it is on stderr).
    """
    migration = result.migration
    if migration is None:
        migration = result.migration_uuid or None
    found = result.diagnosis
    pause = None if found is None else found.estimated_pause
    if machine:
        return (result.server, result.server_name, migration, result.status,
                ForcedColumn(result.forced), DiagnosisColumn(found),
                None if pause is None else round(pause, 1),
                round(result.duration, 1), result.detail)
    return (terminal.printable(result.server),
            terminal.printable(result.server_name), migration,
            result.status, ForcedColumn(result.forced),
            DiagnosisColumn(found), Seconds(pause),
            Seconds(result.duration), Reason(result.detail))


def verdict(outcomes, host=None):
    """The exit status and, if it is not 0, a one-line explanation.

    The exit status is the highest of the outcomes' (outcome.py): a script
    learns the most serious thing that happened, and 0 means every
    migration completed (or, without --wait, was accepted).
    """
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return 0, ''
    exit_code = max(o.exit_code for o in failed)
    if host is None:
        only = failed[0]
        name = terminal.printable(only.server_name or only.server)
        what = f'migration {only.migration} of server {name}'
        if only.migration is None:
            what = f'server {name}'
        reason = f': {only.detail}' if only.reason else ''
        return exit_code, f'{what} {only.status}{reason}'
    counts = {}
    for o in failed:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ', '.join(f'{n} {status}' for status, n in counts.items())
    what = 'did not complete'
    if outcome.NOT_FORCED in counts:
        what = 'were not forced or did not complete'
    return exit_code, (f'{len(failed)} of {len(outcomes)} live migrations '
                       f'leaving {host} {what}: {summary}')


def interrupted(stop, host=None):
    """The one line for a command stopped by SIGINT or SIGTERM."""
    if not stop.outcomes:
        return f'interrupted ({stop.signal_name}) before anything was sent'
    if host is None and len(stop.outcomes) == 1:
        return f'interrupted ({stop.signal_name}): {stop.outcomes[0].detail}'
    counts = {}
    for o in stop.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ', '.join(f'{n} {status}' for status, n in counts.items())
    where = f' leaving {host}' if host else ''
    return (f'interrupted ({stop.signal_name}): of {len(stop.outcomes)} '
            f'live migrations{where}, {summary}; accepted ones go on, and '
            f'each row says how to follow it')
