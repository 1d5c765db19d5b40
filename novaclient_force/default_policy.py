"""What Nova's default policy says of a rule that refused a request.

A 403 names the rule (nova/exception.py PolicyNotAuthorized); telling
the operator who may apply it under Nova's default lets them ask for the
right role, or see that their cloud's policy is stricter than Nova's.
"""

# Who Nova's default policy (32.0.0 / 2025.2 and later) lets apply each rule
# a force-complete may meet (nova/policies/servers_migrations.py,
# migrations.py, instance_actions.py, migrate_server.py, lock_server.py,
# services.py, servers.py;
# the base rules in nova/policies/base.py). A cloud may have its own
# policy file, so this is only ever presented as Nova's default.
_MANAGER = ('manager', "the admin role, or the manager role on the "
            "server's project")
_MEMBER = ('member', "the admin role, or the member role on the server's "
           "project")
_READER = ('reader', "the admin role, or the reader role on the server's "
           "project")
_ADMIN = ('admin', 'the admin role')
_DEFAULT_POLICY = {
    'os_compute_api:servers:migrations:force_complete': _MANAGER,
    'os_compute_api:servers:migrations:delete': _MANAGER,
    'os_compute_api:servers:migrations:index': _MANAGER,
    'os_compute_api:servers:migrations:index:host': _ADMIN,
    'os_compute_api:servers:migrations:show': _ADMIN,
    'os_compute_api:os-migrations:index': _MANAGER,
    'os_compute_api:os-migrations:index:all_projects': _ADMIN,
    'os_compute_api:os-migrations:index:host': _ADMIN,
    'os_compute_api:os-migrate-server:migrate_live': _MANAGER,
    'os_compute_api:os-migrate-server:migrate_live:host': _ADMIN,
    'os_compute_api:os-instance-actions:list': _READER,
    'os_compute_api:os-instance-actions:show': _READER,
    'os_compute_api:os-instance-actions:events': _ADMIN,
    'os_compute_api:os-instance-actions:events:details': _ADMIN,
    'os_compute_api:os-lock-server:unlock': _MEMBER,
    'os_compute_api:os-services:list': _ADMIN,
    'os_compute_api:os-services:update': _ADMIN,
    'os_compute_api:os-migrate-server:migrate': _MANAGER,
    'os_compute_api:os-migrate-server:migrate:host': _ADMIN,
    'os_compute_api:servers:detail:get_all_tenants': _ADMIN,
    'os_compute_api:servers:confirm_resize': _MEMBER,
}
# Keystone's default role implications (admin > manager > member > reader)
# put the lower roles in the token too; this spells them out in case a
# cloud's tokens carry only the role assigned.
_IMPLIES = {'admin': {'admin', 'manager', 'member', 'reader'},
            'manager': {'manager', 'member', 'reader'},
            'member': {'member', 'reader'},
            'reader': {'reader'}}



def describe(rule, roles):
    """What Nova's default policy says of ``rule`` to a caller holding
    ``roles``, or None for a rule not in the table."""
    default = _DEFAULT_POLICY.get(rule)
    if default is None:
        return None
    role, who = default
    held = set()
    for name in roles:
        held |= _IMPLIES.get(name, {name})
    if role in held:
        mine = 'admin' if 'admin' in roles else role
        return (f"Nova's default policy allows it to the {mine} role you "
                f"have, so this cloud's policy is stricter: ask its "
                f"operator")
    return f"under Nova's default policy it needs {who}"
