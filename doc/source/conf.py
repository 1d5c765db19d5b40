"""Sphinx configuration for the novaclient-force documentation."""

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
exclude_patterns = []
html_theme = 'alabaster'
