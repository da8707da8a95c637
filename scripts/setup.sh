#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# setup.sh - install what building and testing hugepaged needs (Debian 12).
# Installs only what is missing, so it is quick on a machine that has it all.
set -euo pipefail

# systemd-container and debootstrap: the tests boot a real systemd in a container;
# dpkg-dev, debhelper, lintian: the Debian packages are built (debian/) and
# checked in the suite.
# python3: the tests read hugepagectl's JSON with a real JSON parser.
packages=(build-essential cmake pkgconf libevent-dev libsystemd-dev libinih-dev check clang-format git python3
        systemd-container debootstrap man-db groff-base dpkg-dev debhelper lintian)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
                exit 1
        fi
        echo "setup: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
