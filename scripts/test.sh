#!/usr/bin/env bash
# Run the whole test suite: ./scripts/test.sh [pytest arguments...]
#
# Idempotent and quick on a second run:
#   1. creates .venv with Python >= 3.11 if it is missing or broken,
#   2. pip installs requirements-dev.txt only when the requirement files changed
#      (a SHA-256 stamp is kept inside .venv),
#   3. installs Debian's chromium, redis-server, shellcheck and prometheus with apt-get when missing
#      and we are root (or sudo works without a password); otherwise says what is missing,
#   4. runs `python -m pytest "$@"`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv

log() { printf '[test.sh] %s\n' "$*" >&2; }

# shellcheck source=scripts/setup-lib.sh
. scripts/setup-lib.sh

ensure_system_packages() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    # promtool and prometheus for the /metrics, alert rule and dashboard query tests (tests/metrics).
    command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
    [ "${#missing[@]}" -eq 0 ] && return 0
    if can_be_root && command -v apt-get >/dev/null 2>&1; then
        log "installing ${missing[*]} with apt-get"
        apt_install "${missing[@]}"
    else
        log "missing: ${missing[*]}: install them as root (apt-get install ${missing[*]}); the browser, Redis and script tests fail without them (the Prometheus tests skip)"
    fi
}

ensure_venv
ensure_requirements requirements-dev.txt
ensure_system_packages

# Tests find the venv's tools (hadolint, zizmor, gunicorn ...) on PATH.
export VIRTUAL_ENV="$PWD/$VENV"
export PATH="$VIRTUAL_ENV/bin:$PATH"
exec "$VENV/bin/python" -m pytest "$@"
