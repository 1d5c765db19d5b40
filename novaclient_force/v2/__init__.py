"""Compute API v2 pieces: the server migrations manager and the nova CLI
extension module (``shell``)."""
