"""Nova's default policies for the calls the reference server serves.

Check strings are Nova's current defaults (32.0.0+): ``nova/policies/
base.py``, ``servers_migrations.py``, ``migrations.py``,
``migrate_server.py``, ``instance_actions.py``, ``lock_server.py``,
``pause_server.py``, ``services.py`` and ``servers.py``. A
``--policy-file`` (YAML or JSON, oslo.policy format) overrides any of
them.
"""

import os

from oslo_config import cfg
from oslo_policy import policy

from novaclient_force.refserver.edge import faults

ADMIN = 'rule:context_is_admin'
MANAGER_OR_ADMIN = 'rule:project_manager_or_admin'
MEMBER_OR_ADMIN = 'rule:project_member_or_admin'
READER_OR_ADMIN = 'rule:project_reader_or_admin'

_BASE = [
    ('context_is_admin', 'role:admin'),
    ('project_manager_api', 'role:manager and project_id:%(project_id)s'),
    ('project_member_api', 'role:member and project_id:%(project_id)s'),
    ('project_reader_api', 'role:reader and project_id:%(project_id)s'),
    ('project_manager_or_admin',
     'rule:project_manager_api or rule:context_is_admin'),
    ('project_member_or_admin',
     'rule:project_member_api or rule:context_is_admin'),
    ('project_reader_or_admin',
     'rule:project_reader_api or rule:context_is_admin'),
]

_API = [
    ('os_compute_api:servers:migrations:force_complete', MANAGER_OR_ADMIN),
    ('os_compute_api:servers:migrations:delete', MANAGER_OR_ADMIN),
    ('os_compute_api:servers:migrations:index', MANAGER_OR_ADMIN),
    ('os_compute_api:servers:migrations:index:host', ADMIN),
    ('os_compute_api:servers:migrations:show', ADMIN),
    ('os_compute_api:os-migrations:index', MANAGER_OR_ADMIN),
    ('os_compute_api:os-migrations:index:all_projects', ADMIN),
    ('os_compute_api:os-migrations:index:host', ADMIN),
    ('os_compute_api:os-services:list', ADMIN),
    ('os_compute_api:os-services:update', ADMIN),
    ('os_compute_api:os-migrate-server:migrate', MANAGER_OR_ADMIN),
    ('os_compute_api:os-migrate-server:migrate:host', ADMIN),
    ('os_compute_api:servers:confirm_resize', MEMBER_OR_ADMIN),
    ('os_compute_api:servers:revert_resize', MEMBER_OR_ADMIN),
    ('os_compute_api:os-migrate-server:migrate_live', MANAGER_OR_ADMIN),
    ('os_compute_api:os-migrate-server:migrate_live:host', ADMIN),
    ('os_compute_api:os-instance-actions:list', READER_OR_ADMIN),
    ('os_compute_api:os-instance-actions:show', READER_OR_ADMIN),
    ('os_compute_api:os-instance-actions:events', ADMIN),
    ('os_compute_api:os-instance-actions:events:details', ADMIN),
    ('os_compute_api:servers:index', READER_OR_ADMIN),
    ('os_compute_api:servers:detail', READER_OR_ADMIN),
    ('os_compute_api:servers:show', READER_OR_ADMIN),
    ('os_compute_api:servers:index:get_all_tenants', ADMIN),
    ('os_compute_api:servers:detail:get_all_tenants', ADMIN),
    ('os_compute_api:servers:show:host_status', ADMIN),
    ('os_compute_api:os-extended-server-attributes', ADMIN),
    ('os_compute_api:os-lock-server:lock', MEMBER_OR_ADMIN),
    ('os_compute_api:os-lock-server:unlock', MEMBER_OR_ADMIN),
    ('os_compute_api:os-lock-server:unlock:unlock_override', ADMIN),
    ('os_compute_api:os-pause-server:pause', MEMBER_OR_ADMIN),
    ('os_compute_api:os-pause-server:unpause', MEMBER_OR_ADMIN),
]


# Rules split out of an older one in 32.0.0 carry it as their
# ``deprecated_rule`` (Nova's ``DeprecatedRule(<old>, base.ADMIN,
# deprecated_since='32.0.0')`` in ``nova/policies/migrate_server.py``,
# ``migrations.py`` and ``servers_migrations.py``): a policy file that
# overrides only the old rule overrides the new one too (oslo.policy,
# ``Enforcer._handle_deprecated_rule``).
_SPLIT_FROM = {
    'os_compute_api:os-migrate-server:migrate_live:host':
        'os_compute_api:os-migrate-server:migrate_live',
    'os_compute_api:os-migrations:index:all_projects':
        'os_compute_api:os-migrations:index',
    'os_compute_api:os-migrations:index:host':
        'os_compute_api:os-migrations:index',
    'os_compute_api:servers:migrations:index:host':
        'os_compute_api:servers:migrations:index',
}


def _api_rule(name, check):
    old = _SPLIT_FROM.get(name)
    deprecated = old and policy.DeprecatedRule(
        old, ADMIN, deprecated_reason='split in two by Nova 32.0.0',
        deprecated_since='32.0.0')
    return policy.RuleDefault(name, check, scope_types=['project'],
                              deprecated_rule=deprecated)


def defaults():
    """The registered RuleDefaults, base rules first."""
    rules = [policy.RuleDefault(name, check) for name, check in _BASE]
    rules += [_api_rule(name, check) for name, check in _API]
    return rules


def check_file(path):
    """Raise ValueError (one line) unless ``path`` holds oslo.policy rules.

    oslo.policy reads the file with ``yaml.safe_load`` (JSON is YAML too)
    and expects a mapping of rule names to check strings
    (``oslo_policy/policy.py``, ``parse_file_contents``); checking that
    here gives the line of a syntax error.
    """
    import yaml

    try:
        with open(path, encoding='utf-8') as stream:
            rules = yaml.safe_load(stream)
    except OSError as error:
        raise ValueError(
            f'cannot read: {error.strerror or error}') from None
    except UnicodeDecodeError:
        raise ValueError('not UTF-8 text') from None
    except yaml.YAMLError as error:
        mark = getattr(error, 'problem_mark', None)
        where = f' (line {mark.line + 1:d})' if mark else ''
        raise ValueError(f'not valid YAML or JSON{where}: '
                         f"{getattr(error, 'problem', None) or error}"
                         ) from None
    if rules is None:
        return
    if not isinstance(rules, dict) or not all(
            isinstance(name, str) and isinstance(check, str)
            for name, check in rules.items()):
        raise ValueError('must map rule names to check strings')


class Policy:
    """An oslo.policy enforcer loaded with Nova's defaults.

    A relative ``policy_file`` is relative to the working directory:
    oslo.policy would otherwise look for it in its configuration
    directories only and, not finding it, silently keep the defaults.
    """

    def __init__(self, policy_file=None):
        if policy_file is not None:
            policy_file = os.path.abspath(policy_file)
            check_file(policy_file)
        conf = cfg.ConfigOpts()
        conf([], project='nova', default_config_files=[],
             default_config_dirs=[])
        self._enforcer = policy.Enforcer(
            conf, policy_file=policy_file, use_conf=policy_file is not None)
        # Only the file named on the command line, never a stray
        # policy.d or policy.yaml found in a config directory.
        conf.set_override('policy_dirs', [], 'oslo_policy')
        self._enforcer.suppress_default_change_warnings = True
        self._enforcer.register_defaults(defaults())
        if policy_file is None:
            self._enforcer.set_rules(policy.Rules(
                {rule.name: rule.check for rule in defaults()}))
        else:
            # Loaded now so that a bad file stops start-up, not a request.
            self._enforcer.load_rules()

    def allowed(self, name, context, project_id):
        return self._enforcer.enforce(
            name, {'project_id': project_id, 'user_id': context.user_id},
            context.credentials())

    def authorize(self, name, context, project_id):
        """Raise Nova's 403 when ``name`` fails for this target."""
        if not self.allowed(name, context, project_id):
            raise faults.forbidden(name)
