"""OpenStackClient plugin: ``openstack server migration force complete``."""
