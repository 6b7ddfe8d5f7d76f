#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs it.
#   bash scripts/test.sh            # whole suite
#   bash scripts/test.sh web ocr    # only test files whose path contains one of these
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
[ -f scripts/install-system-deps.sh ] && bash scripts/install-system-deps.sh
if [ -f requirements-test.txt ]; then
  python3 -m pip install -q --disable-pip-version-check \
    --index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple \
    -r requirements-test.txt 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check -r requirements-test.txt \
  || echo "warning: python test dependencies not installed; reference tests will say they are skipped" >&2
fi
npm ci --no-audit --no-fund
npx tsc -p tsconfig.json --noEmit
npm run lint
node bin/run-tests.js "$@"
