"""A runnable emulation of the Nova and Keystone APIs live migration uses.

Run it with ``novaclient-force-refserver`` (or ``python -m
novaclient_force.refserver``); use :mod:`novaclient_force.refserver.fixture`
from test suites.

Layers, imports pointing one way only (top to bottom)::

    cli, fixture, app      process, test harness, the WSGI app
    handlers/              one module per Nova/Keystone resource
    notify/                versioned notifications
    edge/   state/         HTTP plumbing | objects, store and simulator

``edge`` and ``state`` import nothing else of the reference server.
"""
