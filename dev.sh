#!/usr/bin/env bash
# Set up this checkout and run the demo or the tests.
#
#   ./dev.sh demo [--headless]   set up, then run the whole product on this machine
#   ./dev.sh test [PYTEST ARGS]  set up, then run the checks and the test suite
#
# Setting up means: Debian packages the product needs (mosquitto) when they
# are missing, a virtual environment in .venv, and the project installed in
# it with its test extras. It is idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need_apt+=(iproute2)  # discovery namespace tests
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "dev.sh: installing ${need_apt[*]} from Debian's packages" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

stamp=.venv/.camwarden-installed
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -c 'import camwarden, zeep, paho.mqtt, textual, sqlalchemy' \
        || { echo "dev.sh: installation failed" >&2; exit 2; }
    touch "$stamp"
fi

what="${1:-}"
[ $# -gt 0 ] && shift
case "$what" in
    demo)
        exec .venv/bin/camwarden demo "$@"
        ;;
    test)
        .venv/bin/ruff check .
        .venv/bin/mypy
        .venv/bin/lint-imports
        for policy in policies/*.yaml; do .venv/bin/camwarden policy check "$policy" >/dev/null; done
        exec .venv/bin/pytest -q -n 2 "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo [--headless] | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
