"""Faults injected into the next N matching requests (test harness).

A rule matches a request by method (or any) and a regular expression
searched in its path and query string, and applies to the next ``times``
matching requests, then expires. What it does:

* ``status``: answer with that status (in the service's own error
  format), without applying the request -- a proxy or load balancer's
  error, say;
* ``delay``: hold the answer that many seconds; the request is applied;
* ``drop``: close the connection with no answer, ``before`` applying
  the request or ``after`` it (a request that was applied but whose
  answer was lost). With ``delay`` the drop comes after the delay.

Rules are tried in the order they were added; the first that matches
applies, alone.
"""

import dataclasses
import http
import itertools
import re
import threading

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')
DROPS = ('before', 'after')


class RuleError(ValueError):
    """A rule that cannot be used; the message is one line."""


@dataclasses.dataclass
class Rule:
    id: int
    path: str
    method: str | None = None
    times: int = 1
    status: int | None = None
    delay: float = 0.0
    drop: str | None = None
    message: str | None = None

    def view(self):
        return dataclasses.asdict(self)

    def describe(self):
        """What the request log shows for a request this rule hit."""
        if self.status is not None:
            return f'status {self.status:d}'
        parts = [f'delay {self.delay:g}'] if self.delay else []
        if self.drop:
            parts.append(f'drop {self.drop}')
        return ', '.join(parts)


def _number(body, name, kind, low, high, default):
    value = body.get(name, default)
    if (isinstance(value, bool) or not isinstance(value, kind)
            or not low <= value <= high):
        raise RuleError(f'{name} must be a number from {low} to {high}')
    return value


def parse(body, rule_id):
    """A :class:`Rule` from a control API body, or :class:`RuleError`."""
    if not isinstance(body, dict):
        raise RuleError('the body must be a JSON object')
    unknown = set(body) - {'path', 'method', 'times', 'status', 'delay',
                           'drop', 'message'}
    if unknown:
        raise RuleError(f'unknown field {sorted(unknown)[0]}')
    path = body.get('path')
    if not isinstance(path, str):
        raise RuleError('path must be a regular expression (a string)')
    try:
        re.compile(path)
    except re.error as error:
        raise RuleError(f'path is not a regular expression: {error}') from None
    method = body.get('method')
    if method is not None and method not in METHODS:
        raise RuleError(f"method must be one of {', '.join(METHODS)}")
    times = _number(body, 'times', int, 1, 10 ** 6, 1)
    status = body.get('status')
    if status is not None:
        status = _number(body, 'status', int, 400, 599, None)
        if status not in set(http.HTTPStatus):
            raise RuleError(f'status {status:d} is not an HTTP status')
    delay = _number(body, 'delay', (int, float), 0, 3600, 0)
    drop = body.get('drop')
    if drop is not None and drop not in DROPS:
        raise RuleError(f"drop must be one of {', '.join(DROPS)}")
    if status is not None and (delay or drop):
        raise RuleError('status answers at once: not with delay or drop')
    if status is None and not delay and drop is None:
        raise RuleError('give status, delay or drop')
    message = body.get('message')
    if message is not None and not isinstance(message, str):
        raise RuleError('message must be a string')
    return Rule(rule_id, path, method, times, status, float(delay), drop,
                message)


class FaultRules:
    def __init__(self):
        self._rules = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, body):
        with self._lock:
            rule = parse(body, next(self._ids))
            self._rules.append(rule)
            return rule

    def take(self, method, path):
        """The rule that applies to this request, counted as used."""
        with self._lock:
            for rule in self._rules:
                if ((rule.method is None or rule.method == method)
                        and re.search(rule.path, path)):
                    rule.times -= 1
                    if not rule.times:
                        self._rules.remove(rule)
                    return dataclasses.replace(rule)
        return None

    def active(self):
        with self._lock:
            return [rule.view() for rule in self._rules]

    def clear(self):
        with self._lock:
            self._rules.clear()
