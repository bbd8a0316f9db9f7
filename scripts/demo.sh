#!/usr/bin/env bash
# Start the dashboard on a simulated Mist org: ./scripts/demo.sh [app.py arguments...]
#
# No Mist account or token needed: `python app.py --demo` serves a built-in simulated org
# (MIST_DEMO_* variables shape it) on http://127.0.0.1:5000 (PORT or --port N to change).
# Idempotent and quick on a second run: creates .venv with Python >= 3.11 if it is missing or
# broken, and pip installs requirements.txt only when it changed (SHA-256 stamp inside .venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv

log() { printf '[demo.sh] %s\n' "$*" >&2; }

# shellcheck source=scripts/setup-lib.sh
. scripts/setup-lib.sh

ensure_venv
ensure_requirements requirements.txt

exec "$VENV/bin/python" app.py --demo "$@"
