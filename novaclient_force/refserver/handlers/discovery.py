"""Compute version documents (no token needed), as Nova serves them.

Sources: ``nova/api/openstack/compute/versions.py``, ``versionsV21.py``,
``views/versions.py`` and the samples ``versions-get-resp.json`` and
``v21-version-get-resp.json``. ``GET /`` lists versions without
``media-types``; ``/v2.1`` and ``/v2.1/`` return one document; any other
unversioned path is a 300 with choices.
"""

from novaclient_force.refserver.edge import faults, microversions

V20_UPDATED = '2025-07-04T12:00:00Z'
V21_UPDATED = '2013-07-23T11:33:21Z'


def _entries(base, max_version):
    return [
        {'id': 'v2.0', 'status': 'DEPRECATED', 'version': '',
         'min_version': '', 'updated': V20_UPDATED,
         'links': [{'rel': 'self', 'href': f"{base}/v2/"}]},
        {'id': 'v2.1', 'status': 'CURRENT',
         'version': microversions.fmt(max_version),
         'min_version': microversions.fmt(microversions.MIN_VERSION),
         'updated': V21_UPDATED,
         'links': [{'rel': 'self', 'href': f"{base}/v2.1/"}]},
    ]


def _media(version):
    return [{'base': 'application/json',
             'type': 'application/vnd.openstack.compute+json;'
                     f'version={version}'}]


def _describedby():
    return {'rel': 'describedby', 'type': 'text/html',
            'href': 'http://docs.openstack.org/'}


def versions(req, max_version):
    return faults.json_response(
        200, {'versions': _entries(req.application_url, max_version)})


def version_v21(req, max_version):
    entry = _entries(req.application_url, max_version)[1]
    entry['links'].append(_describedby())
    entry['media-types'] = _media('2.1')
    return faults.json_response(200, {'version': entry})


def version_v2(req):
    entry = _entries(req.application_url, microversions.MIN_VERSION)[0]
    entry['links'].append(_describedby())
    entry['media-types'] = _media('2')
    return faults.json_response(200, {'version': entry})


def choices(req, path, max_version):
    """Nova's ``Versions.multi``: 300 with a link per version."""
    entries = []
    for entry in _entries(req.application_url, max_version):
        prefix = entry['links'][0]['href'].rstrip('/')
        entries.append({
            'id': entry['id'], 'status': entry['status'],
            'links': [{'rel': 'self', 'href': prefix + path}],
            'media-types': _media(entry['id'][1:].replace('2.0', '2')),
        })
    return faults.json_response(300, {'choices': entries})
