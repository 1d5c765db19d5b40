"""JSON-schema checks of bodies and query strings with Nova's texts.

Nova validates request bodies and query strings with jsonschema and
reports the first error (``nova/api/validation/validators.py``):
``Invalid input for field/attribute <key>. Value: <value>. <message>``
for a body, ``Invalid input for query parameters <name>. ...`` for a
query, or just the message for an error at the root. The few keywords
Nova's schemas for these calls use are implemented here with jsonschema's
(4.21+) wording and keyword order, so the server needs no jsonschema
dependency.
"""

import json
import re
import unicodedata

from oslo_utils import timeutils

from novaclient_force.refserver.edge import faults

_TYPES = {
    'null': lambda v: v is None,
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'boolean': lambda v: isinstance(v, bool),
    'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
}

# nova/api/validation/parameter_types.py: ``boolean``.
BOOLEAN = {
    'type': ['boolean', 'string'],
    'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
             'YES', 'Yes', 'yes',
             False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off',
             'NO', 'No', 'no'],
}
# parameter_types.py ``non_negative_integer`` (limit).
NON_NEGATIVE_INTEGER = {'type': ['integer', 'string'],
                        'pattern': '^[0-9]*$', 'minimum': 0,
                        'minLength': 1}
DATE_TIME = {'type': 'string', 'format': 'date-time'}
TRUE_STRINGS = ('True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES',
                'Yes', 'yes')


def load_json(raw):
    """Decode a request body; ValueError for anything that is not JSON.

    A body nested thousands deep exhausts the decoder's recursion limit
    (RecursionError); that is a malformed body, not a server error. So is
    a lone surrogate (``"\\ud800"``): JSON syntax, but no Unicode text
    (RFC 8259 section 8.2), it could be neither stored nor compared; the
    check is to encode the document back as UTF-8.
    """
    try:
        decoded = json.loads(raw)
        json.dumps(decoded, ensure_ascii=False).encode('utf-8')
    except RecursionError:
        raise ValueError('JSON nested too deeply') from None
    except UnicodeEncodeError:
        raise ValueError('JSON text is not Unicode') from None
    return decoded


def as_bool(value):
    return value is True or value in TRUE_STRINGS


def _number(value):
    """Nova's ``_SchemaValidator._number_from_str``: minimum applies to
    numbers and to strings that read as one; anything else passes."""
    for kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            continue
    return None


def _is_datetime(value):
    """Nova's ``date-time`` format check (``timeutils.parse_isotime``)."""
    if not isinstance(value, str):
        return True
    try:
        timeutils.parse_isotime(value)
    except ValueError:
        return False
    return True


def _printable(char):
    """``parameter_types._is_printable``: no control or format character
    and no separator but a horizontal space."""
    category = unicodedata.category(char)
    return not category.startswith('C') and (
        not category.startswith('Z') or category == 'Zs')


def _valid_name(value):
    """``validators._validate_name`` with ``valid_name_regex``: printable
    characters, not starting or ending with a space (the empty string
    passes: ``minLength`` refuses it)."""
    def edge(char):
        return _printable(char) and unicodedata.category(char) != 'Zs'

    return all(map(_printable, value)) and (
        not value or (edge(value[0]) and edge(value[-1])))


#: ``exception.InvalidName`` with ``valid_name_regex``'s reason: Nova
#: reports it bare, with no field or value (``_SchemaValidator.validate``).
INVALID_NAME = ("An invalid 'name' value was provided. The name must be: "
                'printable characters. Can not start or end with '
                'whitespace.')


def _too_short(value, limit):
    verdict = 'should be non-empty' if limit == 1 else 'is too short'
    return f'{value!r} {verdict}'


def _too_long(value, limit):
    verdict = 'is expected to be empty' if limit == 0 else 'is too long'
    return f'{value!r} {verdict}'


def _errors(schema, value, path):
    """Yield (path, value, message) in jsonschema's keyword order, with
    the messages of jsonschema's Draft 2020-12 validator."""
    for keyword, rule in schema.items():
        if keyword == 'type':
            kinds = rule if isinstance(rule, list) else [rule]
            if not any(_TYPES[kind](value) for kind in kinds):
                names = ', '.join(repr(kind) for kind in kinds)
                yield path, value, f'{value!r} is not of type {names}'
        elif keyword == 'enum' and not any(
                value == item and type(value) is type(item)
                for item in rule):
            yield path, value, f'{value!r} is not one of {rule!r}'
        elif keyword == 'minimum':
            number = _number(value)
            if number is not None and number < rule:
                yield path, value, (
                    f'{number!r} is less than the minimum of {rule!r}')
        elif keyword == 'format' and rule == 'date-time':
            if not _is_datetime(value):
                yield path, value, f'{value!r} is not a {rule!r}'
        elif keyword == 'format' and rule == 'name':
            if isinstance(value, str) and not _valid_name(value):
                # No path: the message stands alone, as Nova gives it.
                yield [], value, INVALID_NAME
        elif isinstance(value, list):
            if keyword == 'items':
                for index, item in enumerate(value):
                    yield from _errors(rule, item, path + [index])
            elif keyword == 'maxItems' and len(value) > rule:
                yield path, value, _too_long(value, rule)
        elif isinstance(value, dict):
            if keyword == 'properties':
                for name, subschema in rule.items():
                    if name in value:
                        yield from _errors(subschema, value[name],
                                           path + [name])
            elif keyword == 'required':
                for name in rule:
                    if name not in value:
                        yield path, value, f'{name!r} is a required property'
            elif keyword == 'additionalProperties' and rule is False:
                extra = sorted(set(value) - set(schema.get('properties',
                                                           {})))
                if extra:
                    verb = 'was' if len(extra) == 1 else 'were'
                    yield path, value, (
                        'Additional properties are not allowed '
                        f"({', '.join(map(repr, extra))} {verb} unexpected)")
        elif isinstance(value, str):
            if keyword == 'pattern' and not re.search(rule, value):
                yield path, value, f'{value!r} does not match {rule!r}'
            elif keyword == 'minLength' and len(value) < rule:
                yield path, value, _too_short(value, rule)
            elif keyword == 'maxLength' and len(value) > rule:
                yield path, value, _too_long(value, rule)


def validate(schema, body):
    """Raise Nova's 400 for the first schema error in ``body``.

    Nova (``nova/api/validation/validators.py``,
    ``_SchemaValidator.validate``) raises jsonschema's first error and
    names only the innermost key of its path (``ex.path.pop()``): a bad
    ``host`` in ``{"os-migrateLive": {...}}`` is "field/attribute host",
    a missing one is reported on ``os-migrateLive``, the object that
    lacks it; an error at the root is the bare message.
    """
    for path, value, message in _errors(schema, body, []):
        if path:
            message = (f'Invalid input for field/attribute {path[-1]}. '
                       f'Value: {value}. {message}')
        raise faults.bad_request(message)


def validate_query(schema, req):
    """Raise Nova's 400 for the first error in the query string.

    Nova's ``query_schema`` (``nova/api/validation/__init__.py``)
    validates ``req.GET.dict_of_lists()``, so every parameter is a list
    (``parameter_types.single_param`` allows one item, ``multi_params``
    any number), and names the parameter, the first key of the path
    (``ex.path.popleft()``).
    """
    for path, value, message in _errors(schema, req.GET.dict_of_lists(),
                                        []):
        if path:
            message = (f'Invalid input for query parameters {path[0]}. '
                       f'Value: {value}. {message}')
        raise faults.bad_request(message)


def single_param(schema):
    """``parameter_types.single_param``: a query parameter given once."""
    return {'type': 'array', 'items': schema, 'maxItems': 1}


def multi_params(schema):
    """``parameter_types.multi_params``: given any number of times."""
    return {'type': 'array', 'items': schema}


#: ``show_query_v2102`` and the like: 2.102 made every API reject query
#: parameters it does not know, here all of them.
NO_QUERY = {'type': 'object', 'properties': {},
            'additionalProperties': False}
