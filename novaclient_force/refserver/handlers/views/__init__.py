"""Response bodies built from state rows, as Nova's
``nova/api/openstack/compute/views/`` builds them."""
