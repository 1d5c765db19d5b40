"""The ``pause`` and ``unpause`` server actions.

Sources: ``nova/api/openstack/compute/pause_server.py`` and
``nova/compute/api.py`` (``API.pause``, ``API.unpause``: the lock and
vm_state checks) and ``nova/compute/manager.py`` (``pause_instance``,
``unpause_instance``: the ``compute_<action>_instance`` event on the
server's host).
"""

from novaclient_force.refserver.handlers import common
from novaclient_force.refserver.state import actions
from novaclient_force.refserver.state import servers as servers_state

POLICY = 'os_compute_api:os-pause-server:'
#: ``nova/compute/power_state.py``.
RUNNING, PAUSED = 1, 3


def _change(call, action, vm_states, vm_state, power_state):
    server = call.server
    common.check_lock(call.context, server)
    common.check_state(server, call.server_id, action, vm_states)
    servers_state.set_vm_state(call.db, server, vm_state, power_state,
                               call.now)
    action_id = actions.add_action(call.db, server['uuid'], action,
                                   call.context, call.now)
    actions.add_event(call.db, action_id, f'compute_{action}_instance',
                      call.now, server['host'])
    return 202, None


@common.on_server(f"{POLICY}pause")
def pause(call):
    return _change(call, 'pause', ('active',), 'paused', PAUSED)


@common.on_server(f"{POLICY}unpause")
def unpause(call):
    return _change(call, 'unpause', ('paused',), 'active', RUNNING)
