"""The API handlers: one module per Nova or Keystone resource.

``compute`` declares the compute routes (the placement service's
declared-routes style) and dispatches to the resource modules; each handler
checks its microversion, schema and policy at the edge (``edge``) and
reads or changes state only through ``state``. Handlers are the only
layer that imports both.
"""
