"""Flavors for scenario servers, named after devstack's by RAM size.

Scenarios give a server's RAM; the API needs a flavor. The five m1.*
flavors devstack creates are used when the RAM matches one of them, and an
ad hoc ``refserver.<MiB>M`` flavor otherwise.
"""

import dataclasses
import functools

MIB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Flavor:
    id: int
    name: str
    ram: int        # MiB
    vcpus: int
    disk: int       # GiB


_DEVSTACK = {
    512: Flavor(1, 'm1.tiny', 512, 1, 1),
    2048: Flavor(2, 'm1.small', 2048, 1, 20),
    4096: Flavor(3, 'm1.medium', 4096, 2, 40),
    8192: Flavor(4, 'm1.large', 8192, 4, 80),
    16384: Flavor(5, 'm1.xlarge', 16384, 8, 160),
}


@functools.lru_cache(maxsize=256)
def for_memory(memory_bytes):
    """The flavor of a server with ``memory_bytes`` of RAM (looked up for
    each server seeded and listed; a cloud has few sizes)."""
    ram = max(1, memory_bytes // MIB)
    if ram in _DEVSTACK:
        return _DEVSTACK[ram]
    return Flavor(ram, f'refserver.{int(ram)}M', ram, max(1, ram // 4096), 20)
