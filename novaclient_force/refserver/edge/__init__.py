"""The HTTP edge: what every request meets before and after a handler.

The HTTP server itself, microversion headers, JSON and schema validation,
policy checks and Nova's (and Keystone's) fault bodies. Nothing here knows
about servers or migrations: it imports no other part of the reference
server.
"""
