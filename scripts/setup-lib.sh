# shellcheck shell=bash
# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Expects VENV and a log() function from the script that sources it.

# Prefix for commands that need root: empty when we are root, "sudo -n" when that works.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}
can_be_root() { [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
        return 0
    fi
    local python
    python=$(pick_python) || { log "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
    log "creating $VENV with $($python --version 2>&1)"
    rm -rf "$VENV"
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
        # Debian ships the venv module (ensurepip) separately.
        rm -rf "$VENV"
        if can_be_root; then
            log "installing python3-venv"
            apt_install python3-venv
            "$python" -m venv "$VENV"
        else
            log "'$python -m venv' failed: install python3-venv (apt-get install python3-venv) and run again"
            exit 1
        fi
    fi
}

# SHA-256 of the requirement files behind $1 plus the venv's Python version: the install stamp.
requirements_stamp() {
    local files=(requirements.txt)
    [ "$1" = requirements.txt ] || files+=("$1")
    echo "$(cat "${files[@]}" | sha256sum | cut -d' ' -f1) $("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')"
}

# pip install a requirements file unless the stamp says these exact files are installed already.
ensure_requirements() {
    local req=$1 wanted
    wanted=$(requirements_stamp "$req")
    if [ -f "$VENV/.stamp-$req" ] && [ "$(cat "$VENV/.stamp-$req")" = "$wanted" ]; then
        return 0
    fi
    log "pip install -r $req"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
    echo "$wanted" >"$VENV/.stamp-$req"
    # requirements-dev.txt includes requirements.txt: that one is installed now as well.
    [ "$req" = requirements.txt ] || requirements_stamp requirements.txt >"$VENV/.stamp-requirements.txt"
}
