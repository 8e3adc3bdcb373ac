#!/bin/sh
# Installs the system packages Kith builds against, only when they are missing.
# Debian/Ubuntu: libsodium-dev (and pkg-config to find it).
set -eu

if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libsodium; then
    exit 0
fi

echo "kith: libsodium-dev (or pkg-config) is missing; installing it with apt-get." >&2

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "kith: cannot install libsodium-dev: not root and sudo is not available." >&2
    echo "      Install it yourself (Debian/Ubuntu: apt-get install libsodium-dev pkg-config), then run make again." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "kith: apt-get is not available on this system." >&2
    echo "      Install libsodium 1.0.18 or later and pkg-config with your package manager, then run make again." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libsodium-dev pkg-config; }; then
    echo "kith: apt-get could not install libsodium-dev. Check the network and package sources, then run make again." >&2
    exit 1
fi

if ! pkg-config --exists libsodium; then
    echo "kith: libsodium-dev was installed but pkg-config still cannot find libsodium." >&2
    exit 1
fi
