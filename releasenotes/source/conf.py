"""Sphinx configuration for the novaclient-force release notes (reno)."""

project = 'novaclient-force release notes'
copyright = 'novaclient-force authors'

extensions = ['reno.sphinxext']

master_doc = 'index'
html_theme = 'alabaster'
smartquotes = False
