"""State and simulation: the cloud's objects and how they change with time.

The SQLite store, the identity model, the servers' and migrations'
lifecycle, the live-migration simulator, the scenarios and the seeding of
a new store. It knows nothing of HTTP: it imports neither the handlers nor
the edge.
"""
