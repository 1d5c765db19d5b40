"""JSON-schema body checks with Nova's error texts.

Nova validates request bodies with jsonschema and reports the first error
(``nova/api/validation/validators.py``): ``Invalid input for
field/attribute <path>. Value: <value>. <message>``, or just the message
for an error at the root. The few keywords Nova's schemas for these calls
use are implemented here with jsonschema's wording and keyword order, so
the server needs no jsonschema dependency.
"""

import json
import re

from novaclient_force.refserver.edge import faults

_TYPES = {
    'null': lambda v: v is None,
    'object': lambda v: isinstance(v, dict),
    'string': lambda v: isinstance(v, str),
    'boolean': lambda v: isinstance(v, bool),
}

# nova/api/validation/parameter_types.py: ``boolean``.
BOOLEAN = {
    'type': ['boolean', 'string'],
    'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on',
             'YES', 'Yes', 'yes',
             False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off',
             'NO', 'No', 'no'],
}
TRUE_STRINGS = ('True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES',
                'Yes', 'yes')


def load_json(raw):
    """Decode a request body; ValueError for anything that is not JSON.

    A body nested thousands deep exhausts the decoder's recursion limit
    (RecursionError); that is a malformed body, not a server error.
    """
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError('JSON nested too deeply') from None


def as_bool(value):
    return value is True or value in TRUE_STRINGS


def _errors(schema, value, path):
    """Yield (path, value, message) in jsonschema's keyword order."""
    for keyword, rule in schema.items():
        if keyword == 'type':
            kinds = rule if isinstance(rule, list) else [rule]
            if not any(_TYPES[kind](value) for kind in kinds):
                yield path, value, '%r is not of type %s' % (
                    value, ', '.join(repr(kind) for kind in kinds))
                return
        elif keyword == 'enum' and not any(
                value == item and type(value) is type(item)
                for item in rule):
            yield path, value, '%r is not one of %r' % (value, rule)
        elif not isinstance(value, (dict, str)):
            continue
        elif keyword == 'properties' and isinstance(value, dict):
            for name, subschema in rule.items():
                if name in value:
                    yield from _errors(subschema, value[name],
                                       path + [name])
        elif keyword == 'required' and isinstance(value, dict):
            for name in rule:
                if name not in value:
                    yield path, value, '%r is a required property' % name
        elif (keyword == 'additionalProperties' and rule is False
              and isinstance(value, dict)):
            extra = sorted(set(value) - set(schema.get('properties', {})))
            if extra:
                verb = 'was' if len(extra) == 1 else 'were'
                yield path, value, (
                    'Additional properties are not allowed (%s %s '
                    'unexpected)' % (', '.join(map(repr, extra)), verb))
        elif keyword == 'minLength' and isinstance(value, str):
            if len(value) < rule:
                yield path, value, '%r is too short' % value
        elif keyword == 'maxLength' and isinstance(value, str):
            if len(value) > rule:
                yield path, value, '%r is too long' % value
        elif keyword == 'pattern' and isinstance(value, str):
            if not re.search(rule, value):
                yield path, value, '%r does not match %r' % (value, rule)


def validate(schema, body):
    """Raise Nova's 400 for the first schema error in ``body``."""
    for path, value, message in _errors(schema, body, []):
        if path:
            message = ('Invalid input for field/attribute %s. Value: %s. %s'
                       % ('/'.join(map(str, path)), value, message))
        raise faults.bad_request(message)
