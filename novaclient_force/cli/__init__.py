"""The CLI core: what both commands do with arguments and outcomes.

``nova live-migration-force-complete`` and ``openstack server migration
force complete`` declare their arguments and help, and draw in their own
program's way (nova's Property/Value table and ``ERROR (Kind): ...`` line,
cliff's columns); the rest is here, once, so the two cannot drift apart:

* ``checks``: the arguments, refused before anything is sent;
* ``running``: the SDK call, its progress line, SIGINT and SIGTERM;
* ``verdict``: the exit status and the one line on stderr;
* ``cells``: the words of an Outcome's fields in a table.

Imported only when one of the commands runs: ``nova`` and ``openstack``
load the commands' modules on every run, and those import none of this.
"""
