"""Keystone's default policies for checking and revoking tokens.

Check strings are Keystone's defaults: the base rules of
``keystone/common/policies/base.py`` and the token rules of
``keystone/common/policies/token.py`` (``identity:check_token`` for
``HEAD /v3/auth/tokens``, ``identity:validate_token`` for ``GET``,
``identity:revoke_token`` for ``DELETE``). The target is the subject
token's owner, ``target.token.user_id``
(``keystone/common/rbac_enforcer/enforcer.py``,
``_extract_subject_token_target_data``). They are Keystone's, so Nova's
``--policy-file`` does not change them.
"""

from oslo_config import cfg
from oslo_policy import policy

_SYSTEM_READER = '(role:reader and system_scope:all)'

_RULES = [
    ('admin_required', 'role:admin or is_admin:1'),
    ('service_role', 'role:service'),
    ('token_subject', 'user_id:%(target.token.user_id)s'),
    ('identity:check_token',
     f'rule:admin_required or {_SYSTEM_READER} or rule:token_subject'),
    ('identity:validate_token',
     f'rule:admin_required or {_SYSTEM_READER} or rule:service_role '
     'or rule:token_subject'),
    ('identity:revoke_token', 'rule:admin_required or rule:token_subject'),
]


class IdentityPolicy:
    """An oslo.policy enforcer loaded with Keystone's token rules."""

    def __init__(self):
        conf = cfg.ConfigOpts()
        conf([], project='keystone', default_config_files=[],
             default_config_dirs=[])
        self._enforcer = policy.Enforcer(conf, use_conf=False)
        defaults = [policy.RuleDefault(name, check) for name, check in _RULES]
        self._enforcer.register_defaults(defaults)
        self._enforcer.set_rules(policy.Rules(
            {rule.name: rule.check for rule in defaults}))

    def allowed(self, name, caller, subject):
        """Whether the ``caller`` Token may act on the ``subject`` Token
        (None when the request named none: only an admin passes)."""
        # Keystone flattens the target (``keystone/common/utils.py``,
        # ``flatten_dict``) before oslo.policy substitutes into it.
        target = {'target.token.user_id': subject.user_id} if subject else {}
        # A project-scoped token's policy values: this server issues no
        # system-scoped token (oslo.context ``to_policy_values``).
        credentials = {'user_id': caller.user_id,
                       'project_id': caller.project_id,
                       'roles': list(caller.roles), 'system_scope': None}
        return self._enforcer.enforce(name, target, credentials)
