"""Write an ONNX model (its protobuf encoding) without the ``onnx`` package.

ONNX models are protocol-buffer messages. onnxruntime reads them but ships no way to write one, and
the ``onnx`` package would be a dependency for a few dozen lines of encoding. This module encodes the
handful of messages a static inference graph needs -- ``ModelProto``, ``GraphProto``, ``NodeProto``,
``AttributeProto``, ``TensorProto``, ``ValueInfoProto`` and their type messages -- with the field
numbers of ONNX's ``onnx.proto`` (stable since IR version 3).

Messages are kept as lists of byte chunks and joined once: the weights of a model (tens of MB) are
copied a single time, straight from their numpy arrays into the model's bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import numpy as np

#: TensorProto.DataType values
FLOAT = 1
INT64 = 7
_DATA_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}

# AttributeProto.AttributeType values
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7

# protobuf wire types
_VARINT, _LENGTH_DELIMITED, _FIXED32 = 0, 2, 5


def _varint(value: int) -> bytes:
    """Base-128 varint; negative numbers as their 64-bit two's complement (protobuf's int64)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


class Message:
    """A protobuf message being written: its fields as byte chunks, in order."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[bytes | memoryview] = []
        self.size = 0

    def _append(self, chunk: bytes | memoryview) -> None:
        self.parts.append(chunk)
        self.size += len(chunk) if isinstance(chunk, bytes) else chunk.nbytes

    def _key(self, field: int, wire_type: int) -> None:
        self._append(_varint((field << 3) | wire_type))

    def add_int(self, field: int, value: int) -> Message:
        self._key(field, _VARINT)
        self._append(_varint(int(value)))
        return self

    def add_float(self, field: int, value: float) -> Message:
        self._key(field, _FIXED32)
        self._append(struct.pack("<f", value))
        return self

    def add_bytes(self, field: int, data: bytes | str | memoryview) -> Message:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._key(field, _LENGTH_DELIMITED)
        self._append(_varint(len(data) if isinstance(data, bytes) else data.nbytes))
        self._append(data)
        return self

    def add_message(self, field: int, inner: Message) -> Message:
        self._key(field, _LENGTH_DELIMITED)
        self._append(_varint(inner.size))
        self.parts.extend(inner.parts)
        self.size += inner.size
        return self

    def serialize(self) -> bytes:
        return b"".join(self.parts)


def tensor(name: str, array: np.ndarray) -> Message:
    """A ``TensorProto`` holding ``array`` (float32 or int64) as raw little-endian data."""
    array = np.ascontiguousarray(array)
    data_type = _DATA_TYPES.get(array.dtype)
    if data_type is None:
        raise TypeError(f"tensor {name!r}: unsupported dtype {array.dtype}")
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    message = Message()
    for dim in array.shape:
        message.add_int(1, dim)                      # dims
    message.add_int(2, data_type)                    # data_type
    message.add_bytes(8, name)                       # name
    message.add_bytes(9, memoryview(array.reshape(-1).view(np.uint8)))   # raw_data
    return message


def _attribute(name: str, value: float | Sequence[int]) -> Message:
    message = Message().add_bytes(1, name)           # name
    if isinstance(value, bool) or not isinstance(value, (float, int, list, tuple)):
        raise TypeError(f"attribute {name!r}: unsupported value {value!r}")
    if isinstance(value, float):
        message.add_float(2, value).add_int(20, _ATTR_FLOAT)      # f, type
    elif isinstance(value, int):
        message.add_int(3, value).add_int(20, _ATTR_INT)          # i, type
    else:
        for item in value:
            message.add_int(8, int(item))                     # ints
        message.add_int(20, _ATTR_INTS)
    return message


def node(op_type: str, inputs: Iterable[str], outputs: Iterable[str], name: str = "",
         **attributes: float | Sequence[int]) -> Message:
    """A ``NodeProto`` of the default ONNX domain."""
    message = Message()
    for value in inputs:
        message.add_bytes(1, value)
    for value in outputs:
        message.add_bytes(2, value)
    if name:
        message.add_bytes(3, name)
    message.add_bytes(4, op_type)
    for key, value in attributes.items():
        message.add_message(5, _attribute(key, value))
    return message


def value_info(name: str, elem_type: int, dims: Sequence[int | str]) -> Message:
    """A ``ValueInfoProto``: a tensor of ``elem_type`` whose dimensions are sizes or symbolic names."""
    shape = Message()
    for dim in dims:
        dimension = Message()
        if isinstance(dim, str):
            dimension.add_bytes(2, dim)              # dim_param
        else:
            dimension.add_int(1, dim)                # dim_value
        shape.add_message(1, dimension)
    tensor_type = Message().add_int(1, elem_type).add_message(2, shape)   # elem_type, shape
    type_proto = Message().add_message(1, tensor_type)                # tensor_type
    return Message().add_bytes(1, name).add_message(2, type_proto)


def model(*, name: str, nodes: Iterable[Message], initializers: Iterable[Message], inputs: Iterable[Message],
          outputs: Iterable[Message], opset: int, ir_version: int, producer: str) -> bytes:
    """The serialized ``ModelProto`` of one graph in the default domain at ``opset``."""
    graph = Message()
    for item in nodes:
        graph.add_message(1, item)
    graph.add_bytes(2, name)
    for item in initializers:
        graph.add_message(5, item)
    for item in inputs:
        graph.add_message(11, item)
    for item in outputs:
        graph.add_message(12, item)
    opset_import = Message().add_bytes(1, "").add_int(2, opset)
    proto = Message().add_int(1, ir_version).add_bytes(2, producer).add_message(7, graph).add_message(8, opset_import)
    return proto.serialize()
