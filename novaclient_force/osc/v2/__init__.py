"""Commands of the plugin's command group ``openstack.migration_force.v2``."""
