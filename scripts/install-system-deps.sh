#!/usr/bin/env bash
# Installs the Debian packages EKMM's tests and tools need, skipping those already present.
# Idempotent: safe to run repeatedly. Helpers append packages to the list below.
set -euo pipefail

packages=(
  chromium   # headless browser for test/web/page.test.ts (driven by playwright-core)
  fonts-wqy-microhei   # CJK font: test/ocr draws Chinese text into its own images
  redis-server   # test/support/redis.ts starts one per test on a random loopback port (store, queue tests; required under CI)
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages already installed: ${packages[*]}"
  exit 0
fi

SUDO=''
[ "$(id -u)" -ne 0 ] && SUDO='sudo'
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
