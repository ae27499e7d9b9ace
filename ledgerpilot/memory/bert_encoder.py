"""A sentence-transformers BERT model as an ONNX graph, built from the weights it ships.

The packaged model is a sentence-transformers folder: ``config.json`` (a BERT encoder),
``model.safetensors`` (its weights), ``modules.json`` (Transformer, Pooling, Normalize) and the
pooling settings. :func:`read_model` reads and checks them; :func:`encoder_graph` writes the BERT
forward pass and the pooling as an ONNX model that onnxruntime runs -- the same arithmetic as the
Hugging Face implementation, in float32, with no torch and nothing downloaded.

The graph takes ``input_ids`` and ``attention_mask`` (int64, batch x tokens) and returns the pooled,
not yet normalised, sentence vectors ``pooled`` (float32, batch x hidden size).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ledgerpilot.memory import onnx_proto
from ledgerpilot.memory.onnx_proto import FLOAT, INT64

#: ONNX opset and IR version the graph is written for (LayerNormalization needs opset 17)
OPSET = 17
IR_VERSION = 8

_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64}
_POOLING_MODES = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
_ACTIVATIONS = ("gelu", "relu", "gelu_new", "gelu_pytorch_tanh")


class UnsupportedModelError(ValueError):
    """The folder holds a model this runner cannot run (not a BERT encoder, other pooling, bad weights)."""


@dataclass(frozen=True)
class EncoderModel:
    """What the graph needs from a model folder: the BERT settings, pooling and float32 weights."""

    hidden_size: int
    heads: int
    layers: int
    intermediate_size: int
    layer_norm_eps: float
    activation: str
    max_positions: int
    max_tokens: int            # sentence-transformers' max_seq_length: longer texts are truncated
    pooling: str               # "mean" or "cls"
    normalize: bool            # whether the model ends with a Normalize module
    weights: dict[str, np.ndarray]


def read_model(folder: Path) -> EncoderModel:
    """The BERT settings, pooling and weights of the sentence-transformers model in ``folder``."""
    config = _json(folder / "config.json")
    if config.get("model_type") != "bert":
        raise UnsupportedModelError(f"{folder}: model_type is {config.get('model_type')!r}, only 'bert' can be run")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModelError(f"{folder}: position_embedding_type {config['position_embedding_type']!r} "
                                    f"is not supported (only 'absolute')")
    activation = config.get("hidden_act", "gelu")
    if activation not in _ACTIVATIONS:
        raise UnsupportedModelError(f"{folder}: activation {activation!r} is not supported "
                                    f"(supported: {', '.join(_ACTIVATIONS)})")
    try:
        hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        layers, intermediate = int(config["num_hidden_layers"]), int(config["intermediate_size"])
        max_positions = int(config["max_position_embeddings"])
        eps = float(config.get("layer_norm_eps", 1e-12))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnsupportedModelError(f"{folder}/config.json: missing or bad BERT setting ({exc})") from exc
    if hidden % heads:
        raise UnsupportedModelError(f"{folder}: hidden_size {hidden} is not a multiple of {heads} heads")

    modules = _json(folder / "modules.json")
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(kind != "Normalize" for kind in kinds[2:]):
        raise UnsupportedModelError(f"{folder}: modules {kinds} are not supported "
                                    f"(Transformer, Pooling and optionally Normalize)")
    pooling_config = _json(folder / modules[1].get("path", "1_Pooling") / "config.json")
    modes = [mode for key, mode in _POOLING_MODES.items() if pooling_config.get(key)]
    others = [key for key, value in pooling_config.items()
              if key.startswith("pooling_mode_") and value and key not in _POOLING_MODES]
    if len(modes) != 1 or others:
        raise UnsupportedModelError(f"{folder}: pooling {pooling_config} is not supported "
                                    f"(exactly one of mean tokens or CLS token)")
    bert_config = _json(folder / "sentence_bert_config.json") if (folder / "sentence_bert_config.json").is_file() else {}
    max_tokens = min(int(bert_config.get("max_seq_length") or max_positions), max_positions)

    weights = read_safetensors(folder / "model.safetensors")
    weights = {name.removeprefix("bert."): array for name, array in weights.items()}
    model = EncoderModel(hidden_size=hidden, heads=heads, layers=layers, intermediate_size=intermediate,
                         layer_norm_eps=eps, activation=activation, max_positions=max_positions,
                         max_tokens=max_tokens, pooling=modes[0], normalize="Normalize" in kinds, weights=weights)
    _check_weights(model, folder)
    return model


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file, floats as float32 (int64 kept), checked against the file.

    The format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
    shape and byte range, then the data.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnsupportedModelError(f"cannot read {path}: {exc}") from exc
    if len(raw) < 8:
        raise UnsupportedModelError(f"{path} is not a safetensors file (too short)")
    header_size = struct.unpack("<Q", raw[:8])[0]
    if header_size > len(raw) - 8:
        raise UnsupportedModelError(f"{path} is not a safetensors file (header past the end)")
    try:
        header = json.loads(raw[8:8 + header_size])
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnsupportedModelError(f"{path} is not a safetensors file (bad header: {exc})") from exc
    data_start, data_size = 8 + header_size, len(raw) - 8 - header_size
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype_name, shape, (begin, end) = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets", (0, -1))
        if dtype_name not in _SAFETENSORS_DTYPES:
            raise UnsupportedModelError(f"{path}: tensor {name!r} has unsupported dtype {dtype_name!r}")
        dtype = np.dtype(_SAFETENSORS_DTYPES[dtype_name]).newbyteorder("<")
        count = math.prod(shape)
        if not 0 <= begin <= end <= data_size or end - begin != count * dtype.itemsize:
            raise UnsupportedModelError(f"{path}: tensor {name!r} has a bad byte range {begin}..{end}")
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=data_start + begin).reshape(shape)
        if dtype_name == "BF16":   # bfloat16: the upper half of a float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif dtype_name == "F16":
            array = array.astype(np.float32)
        tensors[name] = array
    return tensors


def _check_weights(model: EncoderModel, folder: Path) -> None:
    h, i = model.hidden_size, model.intermediate_size
    expected = {"embeddings.word_embeddings.weight": None,
                "embeddings.position_embeddings.weight": (model.max_positions, h),
                "embeddings.token_type_embeddings.weight": None,
                "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,)}
    for layer in range(model.layers):
        p = f"encoder.layer.{layer}."
        for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            expected[f"{p}{part}.weight"], expected[f"{p}{part}.bias"] = (h, h), (h,)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            expected[f"{p}{norm}.weight"], expected[f"{p}{norm}.bias"] = (h,), (h,)
        expected[f"{p}intermediate.dense.weight"], expected[f"{p}intermediate.dense.bias"] = (i, h), (i,)
        expected[f"{p}output.dense.weight"], expected[f"{p}output.dense.bias"] = (h, i), (h,)
    for name, shape in expected.items():
        array = model.weights.get(name)
        if array is None:
            raise UnsupportedModelError(f"{folder}/model.safetensors has no tensor {name!r}")
        if shape is not None and tuple(array.shape) != shape:
            raise UnsupportedModelError(f"{folder}/model.safetensors: {name!r} has shape {tuple(array.shape)}, "
                                        f"expected {shape}")
    for name in ("embeddings.word_embeddings.weight", "embeddings.token_type_embeddings.weight"):
        if model.weights[name].ndim != 2 or model.weights[name].shape[1] != h:
            raise UnsupportedModelError(f"{folder}/model.safetensors: {name!r} has shape "
                                        f"{tuple(model.weights[name].shape)}, expected (n, {h})")


def _json(path: Path) -> dict | list:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnsupportedModelError(f"cannot read {path}: {exc}") from exc


class _Graph:
    """Nodes and initializers of the graph being written; every value gets a unique name."""

    def __init__(self) -> None:
        self.nodes: list[onnx_proto.Message] = []
        self.initializers: list[onnx_proto.Message] = []

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(onnx_proto.tensor(name, array))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(onnx_proto.node(op_type, inputs, [output], name=output, **attributes))
        return output


def encoder_graph(model: EncoderModel) -> bytes:
    """The serialized ONNX model: BERT embeddings, encoder layers and pooling, in float32."""
    w, g = model.weights, _Graph()
    h, heads = model.hidden_size, model.heads
    head_size = h // heads
    eps = model.layer_norm_eps

    def dense(x: str, prefix: str, out: str) -> str:
        weight = g.constant(f"{prefix}.weight", np.ascontiguousarray(w[f"{prefix}.weight"].T, dtype=np.float32))
        product = g.op("MatMul", [x, weight], f"{out}/matmul")
        return g.op("Add", [product, g.constant(f"{prefix}.bias", w[f"{prefix}.bias"])], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        return g.op("LayerNormalization", [x, g.constant(f"{prefix}.weight", w[f"{prefix}.weight"]),
                                           g.constant(f"{prefix}.bias", w[f"{prefix}.bias"])],
                    out, axis=-1, epsilon=eps)

    def activation(x: str, out: str) -> str:
        if model.activation == "relu":
            return g.op("Relu", [x], out)
        if model.activation == "gelu":        # 0.5 x (1 + erf(x / sqrt 2)); onnxruntime fuses it into one Gelu
            scaled = g.op("Div", [x, g.constant(f"{out}/sqrt2", np.array(math.sqrt(2.0), np.float32))], f"{out}/div")
            erf = g.op("Erf", [scaled], f"{out}/erf")
            plus_one = g.op("Add", [erf, "one"], f"{out}/add")
            return g.op("Mul", [g.op("Mul", [x, plus_one], f"{out}/mul"), "half"], out)
        # gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.op("Mul", [g.op("Mul", [x, x], f"{out}/x2"), x], f"{out}/x3")
        inner = g.op("Add", [x, g.op("Mul", [cube, g.constant(f"{out}/c", np.array(0.044715, np.float32))],
                                     f"{out}/cx3")], f"{out}/inner")
        scaled = g.op("Mul", [inner, g.constant(f"{out}/k", np.array(math.sqrt(2 / math.pi), np.float32))],
                      f"{out}/scaled")
        plus_one = g.op("Add", [g.op("Tanh", [scaled], f"{out}/tanh"), "one"], f"{out}/add")
        return g.op("Mul", [g.op("Mul", [x, plus_one], f"{out}/mul"), "half"], out)

    g.constant("one", np.array(1.0, np.float32))
    g.constant("half", np.array(0.5, np.float32))
    g.constant("axis0", np.array([0], np.int64))
    g.constant("axis1", np.array([1], np.int64))
    g.constant("axis2", np.array([2], np.int64))
    g.constant("heads_shape", np.array([0, 0, heads, head_size], np.int64))   # 0: keep that dimension
    g.constant("hidden_shape", np.array([0, 0, h], np.int64))

    # embeddings: word + position + token type 0 (a single sentence), then LayerNorm
    tokens = g.op("Slice", [g.op("Shape", ["input_ids"], "ids_shape"), "axis1", "axis2"], "tokens")
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    g.constant("position_and_type", positions.astype(np.float32))
    position_rows = g.op("Slice", ["position_and_type", "axis0", tokens], "position_rows")
    words = g.op("Gather", [g.constant("word_embeddings", w["embeddings.word_embeddings.weight"]), "input_ids"],
                 "words")
    x = layer_norm(g.op("Add", [words, position_rows], "embedded"), "embeddings.LayerNorm", "hidden0")

    # the padding mask as an additive bias on the attention scores (batch, 1, 1, tokens)
    mask = g.op("Cast", ["attention_mask"], "mask", to=FLOAT)
    masked_out = g.op("Mul", [g.op("Sub", ["one", mask], "inverted_mask"),
                              g.constant("lowest", np.array(np.finfo(np.float32).min, np.float32))], "masked_out")
    bias = g.op("Unsqueeze", [masked_out, g.constant("axes12", np.array([1, 2], np.int64))], "attention_bias")
    scale = g.constant("score_scale", np.array(1.0 / math.sqrt(head_size), np.float32))

    for layer in range(model.layers):
        p, n = f"encoder.layer.{layer}.", f"layer{layer}"
        split = {}
        for part, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            projected = dense(x, f"{p}attention.self.{part}", f"{n}/{part}")
            by_head = g.op("Reshape", [projected, "heads_shape"], f"{n}/{part}/heads")
            split[part] = g.op("Transpose", [by_head], f"{n}/{part}/transposed", perm=perm)
        scores = g.op("Mul", [g.op("MatMul", [split["query"], split["key"]], f"{n}/scores"), scale], f"{n}/scaled")
        probabilities = g.op("Softmax", [g.op("Add", [scores, bias], f"{n}/masked")], f"{n}/probabilities", axis=-1)
        context = g.op("MatMul", [probabilities, split["value"]], f"{n}/context")
        context = g.op("Reshape", [g.op("Transpose", [context], f"{n}/context/transposed", perm=[0, 2, 1, 3]),
                                   "hidden_shape"], f"{n}/context/merged")
        attended = dense(context, f"{p}attention.output.dense", f"{n}/attention_output")
        x = layer_norm(g.op("Add", [attended, x], f"{n}/residual1"), f"{p}attention.output.LayerNorm",
                       f"{n}/attention_normed")
        inner = activation(dense(x, f"{p}intermediate.dense", f"{n}/intermediate"), f"{n}/activated")
        out = dense(inner, f"{p}output.dense", f"{n}/output")
        x = layer_norm(g.op("Add", [out, x], f"{n}/residual2"), f"{p}output.LayerNorm", f"{n}/hidden")

    if model.pooling == "cls":
        pooled = g.op("Squeeze", [g.op("Slice", [x, "axis0", "axis1", "axis1"], "first_token"), "axis1"], "pooled")
    else:  # mean over the real tokens
        weights = g.op("Unsqueeze", [mask, "axis2"], "token_weights")
        total = g.op("ReduceSum", [g.op("Mul", [x, weights], "weighted"), "axis1"], "summed", keepdims=0)
        count = g.op("Max", [g.op("ReduceSum", [weights, "axis1"], "token_count", keepdims=0),
                             g.constant("min_count", np.array(1e-9, np.float32))], "clamped_count")
        pooled = g.op("Div", [total, count], "pooled")

    return onnx_proto.model(
        name="sentence_encoder", nodes=g.nodes, initializers=g.initializers,
        inputs=[onnx_proto.value_info("input_ids", INT64, ["batch", "tokens"]),
                onnx_proto.value_info("attention_mask", INT64, ["batch", "tokens"])],
        outputs=[onnx_proto.value_info(pooled, FLOAT, ["batch", h])],
        opset=OPSET, ir_version=IR_VERSION, producer="ledgerpilot")
