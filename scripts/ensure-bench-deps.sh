#!/bin/sh
# make bench: installs the age command-line tool (the share-vs-age and attach
# scenarios compare against it) when it is missing. Best effort: without it
# those comparisons print a note instead of a figure, and the rest still runs.
set -u

command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1 && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "kith-bench: age is not installed and cannot be (not root, no sudo); the age comparisons will be skipped." >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "kith-bench: age is not installed and apt-get is not available; install age to compare against it." >&2
    exit 0
fi
echo "kith-bench: installing age with apt-get for the comparisons." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq age; }; then
    echo "kith-bench: apt-get could not install age; the age comparisons will be skipped." >&2
fi
exit 0
