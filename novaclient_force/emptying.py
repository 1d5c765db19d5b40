"""Empty a host: disable it, move every server off it, verify it is
empty (``openstack compute host drain``; ``drain_host`` in the SDK).

drain.py forces migrations someone else started; this module starts
them. Each live migration it starts or finds is then a Follower's
(follower.py), as in a drain of started migrations.
"""

from novaclient_force import arguments, exceptions

#: Orders a drain may send its requests in.
ORDERS = ('soonest', 'listed')
#: The most requests queued in Nova beyond what it runs at once.
MAX_LOOKAHEAD = 8


def check(host, order, lookahead, deadline, target_host):
    """InvalidArgument for options no drain can run with, before
    anything is sent."""
    arguments.host(host)
    if order not in ORDERS:
        raise exceptions.InvalidArgument(
            f'Invalid order {order!r}: give one of {", ".join(ORDERS)}')
    if (isinstance(lookahead, bool) or not isinstance(lookahead, int)
            or not 0 <= lookahead <= MAX_LOOKAHEAD):
        raise exceptions.InvalidArgument(
            f'Invalid lookahead {lookahead!r}: give a whole number from 0 '
            f'to {MAX_LOOKAHEAD}')
    if deadline is not None:
        arguments.timeout_in_range(
            arguments.threshold('deadline', deadline), 'deadline')
    if target_host is not None:
        arguments.host(target_host)
        if target_host == host:
            raise exceptions.InvalidArgument(
                'The target host must differ from the host being drained')


def drain_host(compute, host, disable=True, disable_reason=None,
               target_host=None, cold_migrate_stopped=False,
               order='soonest', policy=None, force=True, deadline=None,
               dry_run=False, timeout=None, lookahead=1, progress=None,
               cli='openstack'):
    """See ServerMigrationsManager.drain_host."""
    check(host, order, lookahead, deadline, target_host)
    raise NotImplementedError('host drain is being written')
