"""Nova's versioned notifications: payloads and the writer that emits them.

Fed by the handlers and the lifecycle's transitions; depends only on
``state`` for flavor data.
"""
