"""The reference server's layers import one way only (docs/refserver.rst).

``edge`` (HTTP plumbing) and ``state`` (objects and simulation) must not
depend on the handlers or on each other, so that either can be read, and
changed, on its own.
"""

import ast
import pathlib

import testtools

import novaclient_force.refserver

ROOT = pathlib.Path(novaclient_force.refserver.__file__).parent
PREFIX = 'novaclient_force.refserver'
# The parts of the reference server each layer may import.
ALLOWED = {
    'edge': set(),
    'state': set(),
    'notify': {'state'},
    'handlers': {'edge', 'state', 'notify'},
}


def _imported_layers(path):
    """The top-level parts of the reference server a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ['%s.%s' % (node.module, a.name)
                                     for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.startswith(PREFIX + '.'):
                found.add(name[len(PREFIX) + 1:].split('.')[0])
    return found


class TestLayers(testtools.TestCase):

    def test_imports_point_one_way(self):
        checked = 0
        for layer, allowed in ALLOWED.items():
            for path in sorted((ROOT / layer).glob('*.py')):
                checked += 1
                wrong = _imported_layers(path) - allowed - {layer}
                self.assertEqual(set(), wrong, '%s/%s imports %s' % (
                    layer, path.name, ', '.join(sorted(wrong))))
        self.assertGreater(checked, 20)

    def test_every_module_belongs_to_a_layer(self):
        top = {p.stem for p in ROOT.glob('*.py')}
        self.assertEqual(
            {'__init__', '__main__', 'app', 'cli', 'clouds', 'fixture'}, top)
