"""Name-based identifiers: the UUIDs of RFC 4122 version 5 (SHA-1).

Seeded objects get deterministic IDs so that docs and tests can rely on
them, and a cloud of 10,000 servers needs some 40,000 at start-up.
:func:`name_uuid` gives the text ``str(uuid.uuid5(namespace, name))``
gives, from the digest alone: the standard library builds a UUID object
through its integer form for each, which costs six times the hash.
"""

import hashlib
import uuid


def namespace(text):
    """A namespace for :func:`name_uuid`, from its UUID text."""
    return uuid.UUID(text).bytes


def name_uuid(space, name):
    """The version 5 UUID of ``name`` (text) in ``space`` (namespace
    bytes), as lower-case hyphenated text."""
    digest = bytearray(hashlib.sha1(space + name.encode('utf-8'))
                       .digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50     # version 5
    digest[8] = digest[8] & 0x3F | 0x80     # RFC 4122 variant
    text = digest.hex()
    return f'{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}'


def name_hex(space, name):
    """:func:`name_uuid` without hyphens (Keystone's ID format)."""
    return name_uuid(space, name).replace('-', '')
