#!/usr/bin/env bash
# Set-up and entry points for a fresh clone: needs only Python 3.11 and the package registries.
#   ./dev.sh demo [options]   set up, then run `ledgerpilot demo` against the built-in sandbox
#   ./dev.sh test [pytest options]   set up, then run the test suite
#   ./dev.sh setup            only set up (.venv with ledgerpilot and its dependencies)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
VENV=".venv"
STAMP="$VENV/.installed"

setup() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ dev.sh -nt "$STAMP" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # CPU build of torch first: an unpinned torch pulled in by sentence-transformers is a multi-GB CUDA build
    "$VENV/bin/python" -m pip install --quiet torch==2.13.0
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    touch "$STAMP"
  fi
}

# the approval page's tests drive a real headless browser: Debian's chromium, installed when missing
browser() {
  if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    return
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian package) for the browser tests" >&2
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the browser tests need Chromium; install it (Debian/Ubuntu: apt-get install chromium)" >&2
    exit 2
  fi
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  setup)
    setup
    ;;
  demo)
    setup
    exec "$VENV/bin/ledgerpilot" demo "$@"
    ;;
  test)
    setup
    browser
    status=0
    "$VENV/bin/python" -m pytest -n 2 --dist loadfile -q "$@" || status=$?
    if [ "$status" -eq 5 ]; then
      echo "error: pytest collected no tests" >&2
      exit 1
    fi
    exit "$status"
    ;;
  *)
    echo "usage: ./dev.sh demo|test|setup [options]" >&2
    exit 2
    ;;
esac
