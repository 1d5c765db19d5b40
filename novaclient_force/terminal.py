"""How text reaches a terminal: the one place it is escaped and shortened.

Server names, host names, statuses and Nova's messages come from the cloud,
and anyone who may create a server chooses its name: a newline in it would
split an error line, ``ESC ] 0 ; ... BEL`` would set the operator's
terminal title, ``\\r`` would overwrite what was printed before. Both CLIs
and the SDK's own messages pass every such value through ``printable``;
machine formats that escape by themselves (JSON, YAML) get the raw value.
"""

#: Table cells show this many characters of a reason at most; the whole
#: reason is in ``-f json`` and on the command's stderr line.
BRIEF = 60


def printable(text):
    """``text`` as one line of a terminal may show it.

    As is when every character is printable; otherwise Python's quoted
    literal of it, in which every control or formatting character is
    escaped (``'vm\\n'``). The result is always printable, so escaping
    twice changes nothing.
    """
    if text is None:
        return ''
    text = str(text)
    return text if text.isprintable() else repr(text)


def brief(text, width=BRIEF):
    """The first clause of ``text``, shortened to ``width`` characters.

    What follows the first ``;`` elaborates (what to do next, Nova's own
    words); a table row keeps only what happened.
    """
    text = printable(text).split('; ', 1)[0]
    if len(text) <= width:
        return text
    cut = text[:width - 3].rsplit(' ', 1)[0]
    return cut.rstrip(' ,:;(') + '...'


def seconds(value):
    """A duration with its unit, for a table cell: ``12.5s``."""
    return f'{value:.1f}s'


def plural(n, noun):
    """``1 live migration``, ``2 live migrations``."""
    return f'{n} {noun}' if n == 1 else f'{n} {noun}s'
