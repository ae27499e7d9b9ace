"""The embedding model on onnxruntime gives sentence-transformers' vectors, loads nothing heavy, refuses bad models.

The parity corpus (tests/fixtures/embedding_parity: 1,000 questions, router examples, exception write-ups,
documentation sentences and edge cases) was embedded by sentence-transformers, the implementation used
before, in float32 and in bfloat16; every vector of ours must be within cosine 0.999 of both. When
sentence-transformers is installed (the ``reference`` extra), part of the reference is also recomputed live.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from ledgerpilot.memory import onnx_proto
from ledgerpilot.memory.bert_encoder import UnsupportedModelError, read_safetensors
from ledgerpilot.memory.embeddings import ModelNotInstalledError, load_embedder, model_folder

ROOT = Path(__file__).resolve().parents[2]
PARITY = ROOT / "tests" / "fixtures" / "embedding_parity"
MIN_COSINE = 0.999

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return json.loads((PARITY / "sentences.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ours(corpus) -> np.ndarray:
    return load_embedder().encode(corpus)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_vectors_match_sentence_transformers_on_1000_texts(corpus, ours, precision):
    reference = np.load(PARITY / "reference.npz")[precision]
    assert len(corpus) == 1000 == len(set(corpus)) and reference.shape == ours.shape == (1000, 384)
    cosines = _cosines(ours, reference)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= MIN_COSINE, f"cosine {cosines.min():.6f} on {corpus[worst][:80]!r}"
    if precision == "float32":   # the same arithmetic: only float rounding differs
        assert cosines.min() > 0.99999


def test_vectors_match_sentence_transformers_computed_now(corpus, ours):
    pytest.importorskip("sentence_transformers", reason="the reference extra (sentence-transformers) is not installed")
    from sentence_transformers import SentenceTransformer

    picked = sorted(set(range(40)) | set(range(0, len(corpus), 5)))   # the edge cases and a fifth of the rest
    model = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)
    reference = model.encode([corpus[i] for i in picked], batch_size=64, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    assert _cosines(ours[picked], np.asarray(reference)).min() > 0.99999


def test_batching_and_order_do_not_change_a_vector(corpus, ours):
    embedder = load_embedder()
    picked = [corpus[i] for i in (0, 31, 32, 500, 999, 33)]   # empty text, over-long texts, short ones
    one_by_one = np.vstack([embedder.encode([text]) for text in picked])
    together = embedder.encode(picked[::-1])[::-1]
    expected = ours[[0, 31, 32, 500, 999, 33]]
    assert _cosines(one_by_one, expected).min() > 0.99999
    assert _cosines(together, expected).min() > 0.99999
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5) and together.dtype == np.float32


def test_non_strings_are_refused():
    with pytest.raises(TypeError, match="item 1 is a int"):
        load_embedder().encode(["fine", 3])


def test_embedding_loads_neither_torch_nor_transformers():
    code = """
import json, sys
from ledgerpilot.memory.embeddings import load_embedder
vector = load_embedder().encode(["How much cash do we have?"])
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers", "huggingface_hub") if m in sys.modules)
print(json.dumps({"heavy": heavy, "shape": list(vector.shape)}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"heavy": [], "shape": [1, 384]}


# ------------------------------------------------------------------------------------- bad models


def _model_copy(tmp_path: Path) -> Path:
    """A folder with the packaged model's files (the weights linked, not copied) that a test may break."""
    source, folder = model_folder(), tmp_path / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    return folder


def test_a_model_folder_given_by_path_gives_the_same_vectors(tmp_path):
    folder = _model_copy(tmp_path)
    texts = ["Duplicate vendor bill from Acme", "Cash position at the end of the month"]
    embedder = load_embedder(str(folder))
    assert embedder.name == str(folder)
    assert _cosines(embedder.encode(texts), load_embedder().encode(texts)).min() > 0.99999


def test_a_model_that_is_not_bert_is_refused_with_the_reason(tmp_path):
    folder = _model_copy(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    with pytest.raises(ModelNotInstalledError, match="cannot be run: .*model_type is 'roberta', only 'bert'"):
        load_embedder(str(folder))


def test_another_pooling_is_refused(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 384, "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": True}))
    with pytest.raises(ModelNotInstalledError, match="pooling .* is not supported"):
        load_embedder(str(folder))


def test_truncated_weights_are_refused(tmp_path):
    folder = _model_copy(tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelNotInstalledError, match="bad byte range"):
        load_embedder(str(folder))


def test_weights_missing_a_layer_are_refused(tmp_path):
    folder = _model_copy(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 7}))
    with pytest.raises(ModelNotInstalledError, match="has no tensor 'encoder.layer.6.attention.self.query.weight'"):
        load_embedder(str(folder))


def test_a_file_that_is_not_safetensors_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", 10**9) + b"{}")
    with pytest.raises(UnsupportedModelError, match="header past the end"):
        read_safetensors(path)
    path.write_bytes(struct.pack("<Q", 5) + b"nope!")
    with pytest.raises(UnsupportedModelError, match="bad header"):
        read_safetensors(path)


def test_safetensors_half_precision_weights_are_widened(tmp_path):
    values = np.array([[1.5, -2.25], [0.0, 3.0e-3]], dtype=np.float32)
    bfloat16 = (values.view(np.uint32) >> 16).astype(np.uint16)
    half = values.astype(np.float16)
    header = {"a": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
              "b": {"dtype": "F16", "shape": [2, 2], "data_offsets": [8, 16]}}
    raw = json.dumps(header).encode()
    path = tmp_path / "w.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bfloat16.tobytes() + half.tobytes())
    tensors = read_safetensors(path)
    assert tensors["a"].dtype == tensors["b"].dtype == np.float32
    assert np.allclose(tensors["a"], values, rtol=1e-2) and np.allclose(tensors["b"], values, rtol=1e-3)


# ------------------------------------------------------------------------------ the ONNX writer


def test_onnx_writer_gives_a_model_onnxruntime_runs():
    """A small graph with every kind of field the encoder uses: initializers, int/ints/float attributes,
    symbolic and fixed dimensions, negative integers."""
    weight = np.arange(6, dtype=np.float32).reshape(3, 2)
    model = onnx_proto.model(
        name="check",
        nodes=[onnx_proto.node("MatMul", ["x", "w"], ["y"]),
               onnx_proto.node("Transpose", ["y"], ["t"], perm=[1, 0]),
               onnx_proto.node("Softmax", ["t"], ["p"], axis=-1),
               onnx_proto.node("LayerNormalization", ["y", "scale", "bias"], ["n"], axis=-1, epsilon=1e-5),
               onnx_proto.node("ReduceSum", ["y", "axes"], ["s"], keepdims=0)],
        initializers=[onnx_proto.tensor("w", weight), onnx_proto.tensor("axes", np.array([-1], np.int64)),
                      onnx_proto.tensor("scale", np.ones(2, np.float32)), onnx_proto.tensor("bias", np.zeros(2, np.float32))],
        inputs=[onnx_proto.value_info("x", onnx_proto.FLOAT, ["rows", 3])],
        outputs=[onnx_proto.value_info(name, onnx_proto.FLOAT, dims)
                 for name, dims in (("p", [2, "rows"]), ("n", ["rows", 2]), ("s", ["rows"]))],
        opset=17, ir_version=8, producer="test")
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    x = np.array([[1.0, 0.5, -2.0], [0.0, 3.0, 1.0]], dtype=np.float32)
    p, n, s = session.run(None, {"x": x})
    y = x @ weight
    expected_p = np.exp(y.T - y.T.max(axis=1, keepdims=True))
    expected_p /= expected_p.sum(axis=1, keepdims=True)
    assert np.allclose(p, expected_p, atol=1e-6)
    assert np.allclose(n, (y - y.mean(1, keepdims=True)) / np.sqrt(y.var(1, keepdims=True) + 1e-5), atol=1e-5)
    assert np.allclose(s, y.sum(axis=1))


def test_onnx_writer_encodes_varints_as_protobuf_does():
    assert onnx_proto._varint(0) == b"\x00"
    assert onnx_proto._varint(300) == b"\xac\x02"
    assert onnx_proto._varint(-1) == b"\xff" * 9 + b"\x01"     # int64 -1: ten bytes, two's complement
    with pytest.raises(TypeError, match="unsupported dtype"):
        onnx_proto.tensor("bad", np.array([1], dtype=np.int8))
