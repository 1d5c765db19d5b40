"""Force stuck Nova live migrations to complete.

This package is imported by the ``nova`` and ``openstack`` programs on every
run (through their plugin entry points), so it must stay import-light: the
SDK modules are imported only by the code that uses them.
"""

__version__ = '0.1.0'
