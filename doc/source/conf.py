"""Sphinx configuration for the novaclient-force documentation.

The ``nova`` command's help is generated here, at build time, from the
installed extension, so the page cannot drift from the command; the
``openstack`` command's reference comes from cliff's ``autoprogram-cliff``.
The front page includes README.rst, whose links to these pages name them
by their path in the repository (what GitHub shows): here they become
links to the pages.
"""

import contextlib
import io
import os
import re

import novaclient_force

project = 'novaclient-force'
copyright = 'novaclient-force authors'
release = novaclient_force.__version__
version = release

extensions = [
    'sphinx.ext.autodoc',
    'cliff.sphinxext',
]

master_doc = 'index'
exclude_patterns = ['_generated']
html_theme = 'alabaster'
# Option names like --host must not turn into en dashes.
smartquotes = False
autodoc_member_order = 'bysource'
# Every command has -h/--help; the pages need not list it.
autoprogram_cliff_ignored = ['--help']

GENERATED = os.path.join(os.path.dirname(__file__), '_generated')


def _write_nova_help():
    from novaclient import shell

    out = io.StringIO()
    os.environ['COLUMNS'] = '79'
    with contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(io.StringIO()):
        shell.OpenStackComputeShell().main(
            ['help', 'live-migration-force-complete'])
    os.makedirs(GENERATED, exist_ok=True)
    path = os.path.join(GENERATED, 'nova-live-migration-force-complete.txt')
    with open(path, 'w') as f:
        f.write(out.getvalue())


_write_nova_help()


#: A README link to a page of these docs: `text <doc/source/page.rst>`_.
README_LINK = re.compile(r'`([^`<]*?)\s*<doc/source/([^>`]+)\.rst>`_')


def _page_link(match):
    text = ' '.join(match.group(1).split())
    page = match.group(2)
    if text in ('', f'doc/source/{page}.rst'):
        return f':doc:`/{page}`'            # the page's title
    return f':doc:`{text} </{page}>`'


def _readme_links(app, relative_path, parent_docname, content):
    content[0] = README_LINK.sub(_page_link, content[0])


def setup(app):
    app.connect('include-read', _readme_links)
