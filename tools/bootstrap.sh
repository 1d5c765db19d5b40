# Sourced by the top-level scripts: make .venv hold this checkout and its
# test requirements, then put it first on PATH. Needs only python3 and pip.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$here/.venv"
stamp="$venv/.installed"
if [ ! -x "$venv/bin/python" ]; then
    # Some distributions ship python3 without ensurepip (no venv module
    # that works); pip can always fetch virtualenv instead, into a scratch
    # directory: those distributions refuse changes to the system's or the
    # user's site-packages (PEP 668), and nothing is left behind.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        scratch=$(mktemp -d)
        python3 -m pip install --quiet --target "$scratch" virtualenv >&2
        PYTHONPATH="$scratch" python3 -m virtualenv --quiet "$venv"
        rm -rf "$scratch"
    fi
fi
if [ ! -f "$stamp" ] || [ "$here/setup.cfg" -nt "$stamp" ]; then
    echo "Installing novaclient-force and its test requirements into .venv ..." >&2
    log="$venv/pip.log"
    if ! { "$venv/bin/python" -m pip install --upgrade pip &&
           "$venv/bin/python" -m pip install -e "$here[test]"; } >"$log" 2>&1
    then
        tail -n 30 "$log" >&2
        echo "pip install failed; the full log is $log" >&2
        exit 1
    fi
    touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
cd "$here"
