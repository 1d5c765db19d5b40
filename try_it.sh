#!/usr/bin/env bash
# Try novaclient-force against the bundled reference server, with the real
# `openstack` and `nova` programs: a migration that never converges, what its
# readings say and how forcing ends it; then a host emptied in one command,
# where the guests that converge are left alone and the stuck ones forced.
set -euo pipefail
. "$(dirname "$0")/tools/bootstrap.sh"

workdir=$(mktemp -d)
server_pid=
stop_server() {
    if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null || true
        echo
        echo "Stopped the reference server."
    fi
    server_pid=
}
cleanup() {
    stop_server
    rm -rf "$workdir"
}
trap cleanup EXIT

# Start the reference server with a scenario; 20 simulated seconds pass per
# real second, so copies and Nova's timeouts run quickly.
serve() {
    novaclient-force-refserver --time-scale 20 \
        --clouds-yaml "$workdir/clouds.yaml" "$@" >"$workdir/out" 2>"$workdir/log" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^listening on ' "$workdir/out" 2>/dev/null && break
        sleep 0.1
    done
    url=$(sed -n 's/^listening on //p' "$workdir/out")
    [ -n "$url" ] || { echo "reference server did not start:" >&2; cat "$workdir/log" >&2; exit 1; }
    echo
    echo "Reference server listening on $url ($*)"
}

# Echo each command shlex-quoted, so that it works when pasted, then its
# exit status (see the README's table).
quote() { python -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "$@"; }
run() {
    echo; echo "\$ $(quote "$@")"
    status=0
    "$@" || status=$?
    echo "(exit status $status)"
}

serve --scenario stuck-migration
export OS_CLIENT_CONFIG_FILE="$workdir/clouds.yaml" OS_CLOUD=refserver-admin
run openstack server migration list --host compute-1 --status running \
    -c Id -c 'Server UUID' -c Status -c 'Source Compute' -c 'Dest Compute'
# busy-vm dirties memory faster than its link copies it: watch its readings
# and force it as soon as they prove it will not converge on its own.
run openstack server migration force complete busy-vm --wait --auto
run openstack server list --all-projects --long -c Name -c Status -c Host

# The legacy nova CLI reads OS_* variables rather than clouds.yaml. This
# time as the demo project's manager: since Nova 32.0.0 (2025.2) a project
# manager may live-migrate and force-complete its own project's servers.
(
    unset OS_CLOUD
    export OS_AUTH_URL="$url/identity" OS_USERNAME=demo-manager OS_PASSWORD=secret \
        OS_PROJECT_NAME=demo OS_USER_DOMAIN_ID=default OS_PROJECT_DOMAIN_ID=default
    run nova live-migration busy-vm-2
    run nova live-migration-force-complete busy-vm-2 --wait
)
stop_server

# Six servers leaving compute-1 under Nova's default of one live migration
# at a time: some converge on their own, some never do.
serve --scenario host-evacuation --servers 6
run openstack compute host drain compute-1 --auto
run openstack compute service list --service nova-compute -c Host -c Status
