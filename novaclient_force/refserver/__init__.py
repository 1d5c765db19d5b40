"""A runnable emulation of the Nova and Keystone APIs live migration uses.

Run it with ``novaclient-force-refserver`` (or ``python -m
novaclient_force.refserver``); use :mod:`novaclient_force.refserver.fixture`
from test suites.
"""
