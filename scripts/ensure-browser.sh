#!/bin/sh
# make test: installs Chromium when it is missing, for the test that signs a
# real browser in to `kith serve` (headless). Without it that test fails
# under make test (KITH_REQUIRE_BROWSER=1) and is skipped with a note elsewhere.
set -u

for name in chromium chromium-browser; do command -v "$name" >/dev/null 2>&1 && exit 0; done

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "kith: Chromium is not installed and cannot be (not root, no sudo); install it (apt-get install chromium) for the browser test." >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "kith: Chromium is not installed and apt-get is not available; install Chromium for the browser test." >&2
    exit 0
fi
echo "kith: installing Chromium with apt-get for the web interface's browser test." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; }; then
    echo "kith: apt-get could not install Chromium; the browser test will say so." >&2
fi
exit 0
