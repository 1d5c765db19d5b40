"""The rows of ``openstack compute host drain``: one per server, in
cliff columns (escaped words in a table, values in ``-f json``/``yaml``).
Imported when the command runs (see ``host_drain``)."""

from novaclient_force import terminal
from novaclient_force.osc.v2 import columns

COLUMNS = ('Name', 'ID', 'Status', 'Action', 'From', 'To', 'Forced',
           'Diagnosis', 'Estimated Pause', 'Reason')
MACHINE_FORMATS = columns.MACHINE_FORMATS


def row(result, machine=False):
    """One row for a ServerOutcome (see COLUMNS)."""
    pause = result.estimated_pause
    if machine:
        return (result.server_name, result.server, result.status,
                result.action, result.source, result.destination,
                columns.ForcedColumn(result.forced),
                columns.DiagnosisColumn(result.diagnosis),
                columns.rounded(pause), result.detail)
    return (terminal.printable(result.server_name),
            terminal.printable(result.server), result.status,
            result.action, terminal.printable(result.source),
            terminal.printable(result.destination),
            columns.ForcedColumn(result.forced),
            columns.DiagnosisColumn(result.diagnosis),
            columns.Seconds(pause), columns.Reason(result))
