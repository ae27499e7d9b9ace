"""Each command loads only what it needs: `ledgerpilot version` no data libraries, `chat` none of the heavy
libraries offline chat never uses (torch, openai, scikit-learn when the router's fit is kept, matplotlib...).

Measured in new processes, since the test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_version_loads_no_command_module_and_no_data_library():
    loaded = _modules_after("""
import sys
from ledgerpilot.channels.cli.app import main
sys.argv = ["ledgerpilot", "version"]
try:
    main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
""")
    assert not loaded & {"pandas", "numpy", "pyarrow", "langgraph", "onnxruntime", "sklearn", "chromadb", "odoorpc"}


def test_chat_loads_nothing_offline_chat_does_not_use():
    loaded = _modules_after("""
from ledgerpilot.channels.cli.app import load_command
load_command("chat")
import ledgerpilot.agent.agent, ledgerpilot.agent.router, ledgerpilot.memory.embeddings
import ledgerpilot.sandbox.server.runner, ledgerpilot.sandbox.demo
""")
    assert {"pandas", "langgraph"} <= loaded
    assert not loaded & {"torch", "transformers", "sentence_transformers", "openai", "sklearn", "scipy", "matplotlib",
                         "chromadb", "fastapi", "uvicorn"}
