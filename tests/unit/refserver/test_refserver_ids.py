"""Seeded IDs are RFC 4122 version 5 UUIDs, as docs and tests rely on."""

import uuid

from novaclient_force.refserver.state import accounts, ids, scenarios
from tests import testcase

SPACE = uuid.UUID('5b4a4c1e-7c1d-5a53-9d0e-2f6f7263652d')


class TestNameUUID(testcase.TestCase):
    def test_same_text_as_the_standard_library(self):
        for name in ('', 'server:maint-vm-001', 'migration:busy-vm#3',
                     'caf\u00e9 \u2603', 'x' * 300):
            self.assertEqual(str(uuid.uuid5(SPACE, name)),
                             ids.name_uuid(ids.namespace(str(SPACE)), name))

    def test_hex_form_is_keystones(self):
        space = ids.namespace(str(SPACE))
        self.assertEqual(uuid.uuid5(SPACE, 'project:demo').hex,
                         ids.name_hex(space, 'project:demo'))

    def test_scenario_and_identity_ids_are_unchanged(self):
        # Published in docs and scenario files: they must never move.
        self.assertEqual(str(uuid.uuid5(SPACE, 'server:busy-vm')),
                         scenarios.server_uuid('busy-vm'))
        self.assertEqual(str(uuid.uuid5(SPACE, 'migration:busy-vm')),
                         scenarios.migration_uuid('busy-vm'))
        self.assertEqual(
            uuid.uuid5(uuid.UUID('6c1b8d4e-2f0a-4d8e-9a51-3f3e7b1c2a10'),
                       'project:demo').hex,
            accounts.project_id('demo'))
