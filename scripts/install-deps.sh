#!/usr/bin/env bash
# Install the Debian packages rescuecircle needs, only those missing. Usage: install-deps.sh [--test]
# Runtime: PostgreSQL 15 with PostGIS 3 and pgRouting, npm. Tests also use osmium-tool (independent
# counts of OSM extracts) and a real QGIS 3.22 (python3-qgis, qgis-providers, for Debian's
# /usr/bin/python3) with GDAL's ogr2ogr, which load our OGC API, vector tiles and exports;
# Debian's chromium (driven by playwright-core from npm, never a downloaded browser) with CJK
# fonts for the web page tests (tests/test_web.py); Patroni with etcd for the failover test
# (tests/test_failover_patroni.py, `rescuecircle ha start`).
set -euo pipefail
packages=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting)
# npm installs MapLibre for the pages (and playwright-core for their tests); Debian's nodejs
# and npm only where no npm is on PATH already.
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then packages+=(osmium-tool python3-qgis qgis-providers gdal-bin
    chromium chromium-driver fonts-noto-cjk patroni etcd-server etcd-client); fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "rescuecircle: missing Debian packages: ${missing[*]}; install them as root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
