#!/bin/sh
# make demo: runs the built kith end to end. Argument: path to the kith binary.
set -eu
KITH="$1"
echo "== kith --version"
"$KITH" --version
echo "== kith selftest"
"$KITH" selftest
