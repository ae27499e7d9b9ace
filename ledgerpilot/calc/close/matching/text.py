"""Reading references and partner names out of bank labels, whatever their separators and case.

A reference such as ``INV/2026/00123`` reaches the bank as ``INV 2026 00123``, ``inv-2026-123``,
``INV2026/00123`` or inside a longer label (``Yarrow Retail INV/2026/00336``). Both sides are
reduced to the same *key*: the sequence of letter runs (upper-cased) and digit runs (leading
zeros dropped), so ``INV/2026/00123`` -> ``("INV", "2026", "123")``. A label is then searched by
looking up every contiguous window of its runs in a dict of known keys: a handful of hash lookups
per label, never a scan of every reference.

Partner names are keyed the same way (``Riverside Foods 10`` -> ``("RIVERSIDE", "FOODS", "10")``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

Key = tuple[str, ...]

_RUN = re.compile(r"[^\W\d_]+|\d+")
#: A reference must carry some substance: at least this many characters over its runs.
MIN_REFERENCE_CHARS = 4
#: Longest key looked up (runs); longer references are rare and still match on their first runs.
MAX_KEY_RUNS = 6
#: Words that name no one: a partner whose whole name is one of these is never looked for.
GENERIC_WORDS = frozenset({"PAYMENT", "TRANSFER", "BANK", "CARD", "INVOICE", "BILL", "REFUND", "FEE", "REF"})


def runs(text: str | None) -> Key:
    """The letter and digit runs of ``text``: letters upper-cased, digits without leading zeros."""
    if not text:
        return ()
    out = []
    for run in _RUN.findall(text):
        if run.isdigit():
            run = run.lstrip("0") or "0"
        else:
            run = run.upper()
        out.append(run)
    return tuple(out)


def reference_key(text: str | None) -> Key | None:
    """The key of a document reference, or None when ``text`` cannot identify a document
    (no digits at all, or too short to be told apart from ordinary label words)."""
    key = runs(text)[:MAX_KEY_RUNS]
    if not key or not any(run.isdigit() for run in key):
        return None
    if sum(len(run) for run in key) < MIN_REFERENCE_CHARS:
        return None
    return key


def name_key(text: str | None) -> Key | None:
    """The key of a partner name, or None when the name is too short or too generic to look for."""
    key = runs(text)[:MAX_KEY_RUNS]
    if not key or sum(len(run) for run in key) < MIN_REFERENCE_CHARS:
        return None
    if len(key) == 1 and (key[0] in GENERIC_WORDS or key[0].isdigit()):
        return None
    return key


def windows(label_runs: Key, lengths: Iterable[int]) -> Iterator[Key]:
    """Every contiguous window of ``label_runs`` whose length is one of ``lengths``."""
    size = len(label_runs)
    for length in lengths:
        for start in range(size - length + 1):
            yield label_runs[start:start + length]


def find_keys(label: str | None, known: Mapping[Key, object], lengths: Iterable[int]) -> list[Key]:
    """The known keys that occur in ``label`` (each once, in label order)."""
    label_runs = runs(label)
    found: list[Key] = []
    seen: set[Key] = set()
    for window in windows(label_runs, lengths):
        if window in known and window not in seen:
            seen.add(window)
            found.append(window)
    return found
