"""The reference server's layers import one way only (see "Code layout"
in doc/source/refserver.rst).

``edge`` (HTTP plumbing) and ``state`` (objects and simulation) must not
depend on the handlers or on each other, so that either can be read, and
changed, on its own. Handlers change state only through ``state``: none
runs SQL. And the reference server imports no client code, so it
emulates Nova rather than agreeing with our client by construction.
"""

import ast
import pathlib
import re

import fixtures

import novaclient_force.refserver
from tests import testcase

ROOT = pathlib.Path(novaclient_force.refserver.__file__).parent
PREFIX = 'novaclient_force.refserver'
# The parts of the reference server each layer may import.
ALLOWED = {
    'edge': set(),
    'state': set(),
    'notify': {'state'},
    'handlers': {'edge', 'state', 'notify'},
}
#: What a module holding a database handle calls to run SQL.
SQL_CALLS = {'execute', 'executemany', 'executescript_safe', 'one', 'all',
             'insert', 'insert_many', 'update'}
SQL_TEXT = re.compile(
    r'\b(SELECT|INSERT|UPDATE|DELETE)\b.*\b(FROM|INTO|SET)\b', re.DOTALL)


def _modules(layer):
    return sorted((ROOT / layer).rglob('*.py'))


def _sql_in(path):
    """The lines of ``path`` that run SQL or hold a statement's text."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(
                node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else (
                getattr(owner, 'id', ''))
            if node.func.attr == 'execute' or (
                    node.func.attr in SQL_CALLS and name == 'db'):
                found.append(node.lineno)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and SQL_TEXT.search(node.value)):
            found.append(node.lineno)
    return found


def _imported_layers(path):
    """The top-level parts of the reference server a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f'{node.module}.{a.name}'
                                     for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.startswith(f"{PREFIX}."):
                found.add(name[len(PREFIX) + 1:].split('.')[0])
    return found


class TestLayers(testcase.TestCase):

    def test_imports_point_one_way(self):
        checked = 0
        for layer, allowed in ALLOWED.items():
            for path in _modules(layer):
                checked += 1
                wrong = _imported_layers(path) - allowed - {layer}
                self.assertEqual(set(), wrong, f'{path} imports '
                                 f"{', '.join(sorted(wrong))}")
        self.assertGreater(checked, 20)

    def test_every_module_belongs_to_a_layer(self):
        top = {p.stem for p in ROOT.glob('*.py')}
        self.assertEqual(
            {'__init__', '__main__', 'app', 'cli', 'clouds', 'fixture'}, top)

    def test_handlers_run_no_sql(self):
        modules = _modules('handlers')
        self.assertIn(ROOT / 'handlers' / 'views' / 'servers.py', modules)
        for path in modules:
            self.assertEqual([], _sql_in(path), path)

    def test_sql_is_found(self):
        """What :func:`_sql_in` must see, so the test above can fail."""
        checked = ROOT / 'state' / 'servers.py'
        self.assertNotEqual([], _sql_in(checked))
        sample = f"{self.useFixture(fixtures.TempDir()).path}/sample.py"
        for text in ("db.update('servers', 'uuid', uuid, locked=1)\n",
                     "self.store.execute('x')\n",
                     "q = 'SELECT name\\nFROM hosts'\n"):
            pathlib.Path(sample).write_text(text)
            self.assertEqual([1], _sql_in(pathlib.Path(sample)), text)
        pathlib.Path(sample).write_text("body.update({'a': 1})\n")
        self.assertEqual([], _sql_in(pathlib.Path(sample)))

    def test_never_imports_client_code(self):
        for path in ROOT.rglob('*.py'):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom):
                    self.assertEqual(0, node.level, path)
                    names = [node.module] + [
                        f'{node.module}.{a.name}' for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                # The package itself (its version) is loaded anyway, as
                # the parent of this one.
                for name in names:
                    if name.startswith('novaclient_force.'):
                        self.assertTrue(name.startswith(PREFIX), (
                            path, name))
