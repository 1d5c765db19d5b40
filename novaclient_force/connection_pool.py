"""How many connections the shared session keeps open per host.

A drain sends its requests from a pool of workers over the one
keystoneauth session. requests keeps 10 connections per host by default
(``requests.adapters.DEFAULT_POOLSIZE``); with more workers than that,
every request beyond them would open a connection and drop it after.
"""

from requests import adapters


def ensure_pool_size(session, size):
    """Let keystoneauth ``session`` keep ``size`` connections per host.

    The adapters mounted with a smaller pool are replaced by one of the
    same kind with ``pool_maxsize=size`` and the same retries; a pool
    already large enough is kept, with its open connections.
    """
    requests_session = session.session
    for prefix, current in list(requests_session.adapters.items()):
        if (isinstance(current, adapters.HTTPAdapter)
                and pool_size(current) < size):
            requests_session.mount(prefix, type(current)(
                pool_maxsize=size, max_retries=current.max_retries))


def pool_size(adapter):
    """The connections per host an HTTPAdapter keeps: its pool manager
    passes ``maxsize`` to every connection pool it makes."""
    return adapter.poolmanager.connection_pool_kw.get(
        'maxsize', adapters.DEFAULT_POOLSIZE)
