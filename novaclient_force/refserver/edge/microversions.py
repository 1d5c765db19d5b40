"""Compute microversion parsing, checked the way Nova checks it.

Sources: ``nova/api/openstack/wsgi.py`` (``Request.set_api_version_request``)
and ``nova/api/openstack/api_version_request.py``. microversion-parse reads
the headers (``OpenStack-API-Version: compute X.Y`` wins over the legacy
``X-OpenStack-Nova-API-Version``; the last value of a folded header wins);
the format and range checks and their messages are Nova's.
"""

import re

import microversion_parse

from novaclient_force.refserver.edge import faults

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 104)
LEGACY_HEADER = 'X-OpenStack-Nova-API-Version'
STANDARD_HEADER = 'OpenStack-API-Version'

_FORMAT = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


def parse(text):
    """'2.22' -> (2, 22); raises ValueError for anything else."""
    match = _FORMAT.match(text or '')
    if not match:
        raise ValueError(text)
    return int(match.group(1)), int(match.group(2))


def fmt(version):
    major, minor = version
    return f'{major:d}.{minor:d}'


class VersionFault(faults.Fault):
    """A version error; ``echo`` is the version to put in the headers."""

    def __init__(self, code, message, echo=None):
        super().__init__(code, message)
        self.echo = echo


def requested_version(headers, max_version=MAX_VERSION):
    """The (major, minor) a request asks for, or raise VersionFault.

    No header means 2.1; ``latest`` (case-sensitive) means the maximum.
    A malformed value is a 400 without version headers; a well-formed one
    out of range is a 406 ``computeFault`` that echoes the requested
    version in the response headers, as Nova does.
    """
    text = microversion_parse.get_version(
        headers, 'compute', legacy_headers=[LEGACY_HEADER])
    if text is None:
        return MIN_VERSION
    if text == 'latest':
        return max_version
    try:
        version = parse(text)
    except ValueError:
        raise VersionFault(
            400, f'API Version String {text} is of invalid format. Must be '
                 'of format MajorNum.MinorNum.') from None
    if not MIN_VERSION <= version <= max_version:
        raise VersionFault(
            406, f'Version {fmt(version)} is not supported by the API. '
                 f'Minimum is {fmt(MIN_VERSION)} and maximum is '
                 f'{fmt(max_version)}.',
            echo=version)
    return version


def response_headers(version):
    """Headers Nova adds to every versioned response, two Vary lines."""
    return [
        (STANDARD_HEADER, f'compute {fmt(version)}'),
        (LEGACY_HEADER, fmt(version)),
        ('Vary', STANDARD_HEADER),
        ('Vary', LEGACY_HEADER),
    ]
