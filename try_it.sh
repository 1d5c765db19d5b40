#!/usr/bin/env bash
# Try novaclient-force against the bundled reference server: start it with the
# stuck-migration scenario, force the stuck migrations to complete with the
# real `openstack` and `nova` programs, show the result, stop the server.
set -euo pipefail
. "$(dirname "$0")/tools/bootstrap.sh"

workdir=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null || true
        echo
        echo "Stopped the reference server."
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# 20 simulated seconds pass per real second, so a forced copy ends quickly.
novaclient-force-refserver --scenario stuck-migration --time-scale 20 \
    --clouds-yaml "$workdir/clouds.yaml" >"$workdir/out" 2>"$workdir/log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$workdir/out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$workdir/out")
[ -n "$url" ] || { echo "reference server did not start:" >&2; cat "$workdir/log" >&2; exit 1; }
echo "Reference server listening on $url (scenario stuck-migration)"

export OS_CLIENT_CONFIG_FILE="$workdir/clouds.yaml" OS_CLOUD=refserver-admin
# Echo each command shlex-quoted, so that it works when pasted.
quote() { python -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))' "$@"; }
run() { echo; echo "\$ $(quote "$@")"; "$@"; }

run openstack server list --all-projects --long -c Name -c Status -c Host
run openstack server migration list --host compute-1 --status running \
    -c Id -c 'Server UUID' -c Status -c 'Source Compute' -c 'Dest Compute'
run openstack server migration force complete busy-vm --wait
run openstack server list --all-projects --long -c Name -c Status -c Host

# The legacy nova CLI reads OS_* variables rather than clouds.yaml. This
# time as the demo project's manager: since Nova 32.0.0 (2025.2) a project
# manager may live-migrate and force-complete its own project's servers.
unset OS_CLOUD
export OS_AUTH_URL="$url/identity" OS_USERNAME=demo-manager OS_PASSWORD=secret \
    OS_PROJECT_NAME=demo OS_USER_DOMAIN_ID=default OS_PROJECT_DOMAIN_ID=default
run nova live-migration busy-vm-2
run nova live-migration-force-complete busy-vm-2 --wait
run nova list --fields name,status
