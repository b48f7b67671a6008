#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (pygeoapi 0.22+ needs it): PATH first, then pyenv.
# Debian 12's own python3 is 3.11, so on a fresh Debian machine this usually finds pyenv's.
set -u
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
for name in python3.12 python3.13 python3.14 python3; do
    if path=$(command -v "$name" 2>/dev/null) && ok "$path"; then echo "$path"; exit 0; fi
done
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv /opt/pyenv; do
    [ -n "$root" ] || continue
    for path in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do
        if ok "$path"; then echo "$path"; exit 0; fi
    done
done
cat >&2 <<'MSG'
rescuecircle needs Python >= 3.12 (pygeoapi 0.22+ requires it) and found none on PATH or in pyenv.
Install one, for example:  pyenv install 3.12  (or your distribution's python3.12 package),
or name it explicitly:      make run PYTHON=/path/to/python3.12
MSG
exit 1
