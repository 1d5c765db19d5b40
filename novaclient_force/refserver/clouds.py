"""The clouds.yaml that ``--clouds-yaml`` writes (openstacksdk format)."""

import os

import yaml

CLOUDS = (
    ('refserver-admin', 'admin', 'admin'),
    ('refserver-demo', 'demo', 'demo'),
    ('refserver-manager', 'demo-manager', 'demo'),
    ('refserver-reader', 'demo-reader', 'demo'),
)


def document(auth_url, password='secret'):
    clouds = {}
    for cloud, user, project in CLOUDS:
        clouds[cloud] = {
            'auth': {'auth_url': auth_url, 'username': user,
                     'password': password, 'project_name': project,
                     'user_domain_id': 'default',
                     'project_domain_id': 'default'},
            'region_name': 'RegionOne',
            'identity_api_version': 3,
            'interface': 'public',
        }
    return {'clouds': clouds}


def write(path, auth_url):
    """Written owner-only: it holds passwords."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as stream:
        yaml.safe_dump(document(auth_url), stream, default_flow_style=False)
