"""The compute hosts of the scenario: one ``nova-compute`` service each."""


def names(db):
    """Every compute host's name, sorted."""
    return [row['name'] for row in
            db.all('SELECT name FROM hosts ORDER BY name')]


def exists(db, name):
    """Whether ``name`` is a compute host (``ComputeHostNotFound``
    otherwise)."""
    return db.one('SELECT 1 FROM hosts WHERE name = ?', name) is not None


def least_loaded(db, excluding):
    """The host the scheduler picks for a migration away from
    ``excluding``: among the hosts whose service is enabled (the
    ``ComputeFilter``, nova/scheduler/filters/compute_filter.py), the one
    holding the fewest servers, by name on a tie; None when there is no
    other such host."""
    row = db.one(
        'SELECT name FROM hosts WHERE name != ? AND name NOT IN '
        '(SELECT host FROM services WHERE disabled = 1) ORDER BY '
        '(SELECT COUNT(*) FROM servers s WHERE s.host = hosts.name),'
        ' name LIMIT 1', excluding or '')
    return None if row is None else row['name']
