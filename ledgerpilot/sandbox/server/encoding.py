"""Serialising results for the wire without building giant strings twice.

A ``search_read`` of 1,000,000 journal items is a list of a million dicts. Encoding it with one
``json.dumps`` and then ``.encode()`` would hold the text twice (str and bytes). Instead, long
lists are encoded in slices with the C encoder and sent as chunks; the bytes are identical to
``json.dumps(obj, ensure_ascii=False)`` (Odoo's ``make_json_response``), because a list's items
are separated by ``", "`` whichever way it is cut. XML-RPC arrays are cut the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import xmlrpc.client
from collections.abc import Iterator
from typing import Any, ClassVar

#: Lists longer than this are encoded slice by slice (and streamed).
STREAM_THRESHOLD = 2000
#: Items per slice: large enough for the C encoder to dominate, small enough to bound memory.
SLICE = 5000


def _json_default(value: Any) -> Any:
    """Odoo's ``json_default``: dates as ``YYYY-MM-DD``, datetimes as ``YYYY-MM-DD HH:MM:SS``."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: Results are plain trees built per call (never cyclic), so the circular-reference check is skipped.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_json_default)


def dumps(obj: Any) -> str:
    return _ENCODER.encode(obj)


def json_chunks(obj: Any, list_path: tuple[str, ...] = ()) -> Iterator[bytes]:
    """UTF-8 chunks of ``json.dumps(obj)``.

    ``list_path`` names the key under which a long list may sit (``("result",)`` for a JSON-RPC
    envelope, ``()`` when ``obj`` itself is the list). The envelope's keys before and after that
    list are encoded around it, so the key order stays as given.
    """
    target = obj
    for key in list_path:
        if not isinstance(target, dict) or key not in target:
            target = None
            break
        target = target[key]
    if not isinstance(target, list) or len(target) <= STREAM_THRESHOLD:
        yield dumps(obj).encode()
        return
    if list_path:
        # Encode the envelope with a placeholder list, then put the streamed list where it sits.
        marker = "\x00LEDGERPILOT_STREAM\x00"
        envelope = _replace_at(obj, list_path, marker)
        head, tail = dumps(envelope).split(dumps(marker), 1)
        yield head.encode()
        yield from _list_chunks(target)
        yield tail.encode()
    else:
        yield from _list_chunks(target)


def _replace_at(obj: dict, path: tuple[str, ...], value: Any) -> dict:
    copy = dict(obj)
    if len(path) == 1:
        copy[path[0]] = value
    else:
        copy[path[0]] = _replace_at(obj[path[0]], path[1:], value)
    return copy


def _list_chunks(items: list) -> Iterator[bytes]:
    """``[`` + the items slice by slice + ``]``; the opening bracket travels with the first slice."""
    for start in range(0, len(items), SLICE):
        text = dumps(items[start:start + SLICE])[1:-1]
        yield (", " + text if start else "[" + text).encode()
    yield b"]"


# -- XML-RPC ------------------------------------------------------------------------------------
class OdooMarshaller(xmlrpc.client.Marshaller):
    """Odoo 17's marshaller: dates and datetimes go out as plain strings, bytes as text."""

    dispatch: ClassVar[dict[type, Any]] = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_datetime(self, value, write):
        self.dump_unicode(value.strftime("%Y-%m-%d %H:%M:%S"), write)

    def dump_date(self, value, write):
        self.dump_unicode(value.isoformat(), write)

    def dump_bytes(self, value, write):
        self.dump_unicode(value.decode(), write)

    dispatch[dt.datetime] = dump_datetime
    dispatch[dt.date] = dump_date
    dispatch[bytes] = dump_bytes


_XML_HEAD = "<?xml version='1.0'?>\n<methodResponse>\n"
_XML_TAIL = "</methodResponse>\n"
_PARAMS_ARRAY_HEAD = "<params>\n<param>\n<value><array><data>\n"
_PARAMS_ARRAY_TAIL = "</data></array></value>\n</param>\n</params>\n"


def _marshal(params: tuple | xmlrpc.client.Fault) -> str:
    """``xmlrpc.client.dumps`` body part, with Odoo's marshaller and ``allow_none=False``."""
    return OdooMarshaller(encoding="utf-8", allow_none=False).dumps(params)


def xmlrpc_fault_body(fault: xmlrpc.client.Fault) -> bytes:
    return (_XML_HEAD + _marshal(fault) + _XML_TAIL).encode()


def xmlrpc_response_chunks(result: Any) -> list[bytes] | Iterator[bytes]:
    """The ``methodResponse`` for ``result``. Raises TypeError for ``None`` (as Odoo's dumps does).

    Short results are marshalled at once (so every error surfaces before anything is sent);
    long lists are marshalled slice by slice after the first slice has been checked.
    """
    if not isinstance(result, list) or len(result) <= STREAM_THRESHOLD:
        return [(_XML_HEAD + _marshal((result,)) + _XML_TAIL).encode()]
    first = _array_items(result[:SLICE])  # raises now if the data cannot be marshalled

    def generate() -> Iterator[bytes]:
        yield (_XML_HEAD + _PARAMS_ARRAY_HEAD).encode()
        yield first
        for start in range(SLICE, len(result), SLICE):
            yield _array_items(result[start:start + SLICE])
        yield (_PARAMS_ARRAY_TAIL + _XML_TAIL).encode()

    return generate()


def _array_items(items: list) -> bytes:
    text = _marshal((items,))
    return text[len(_PARAMS_ARRAY_HEAD):-len(_PARAMS_ARRAY_TAIL)].encode()
