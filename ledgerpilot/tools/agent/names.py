"""Finding the partner a question names, or saying clearly why not (with the names it might mean).

People and models name partners loosely ("riverside logistics", "Riverside", a typo), so a name is
matched exactly (ignoring case and spaces) first, then as a unique part of one name; several
partial matches are ambiguous and listed; no match suggests the closest known names.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from ledgerpilot.tools.agent.toolkit import ToolError

#: how many names an error lists
NAMES_LISTED = 8


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def resolve_partner(query: str, names: Mapping[int, str], *, role: str, scope: str = "",
                    known_elsewhere: Mapping[int, str] | None = None, missing: str = "has no data here") -> int:
    """The id of the one partner ``query`` names among ``names`` (id -> name).

    ``role`` ("customer", "vendor") and ``scope`` (" with an open invoice", ...) word the errors.
    ``known_elsewhere``: partners that exist but fall outside the scope, so an error can say
    "customer X {missing}" instead of "no such customer".
    """
    text = _norm(query)
    if not text:
        raise ToolError(f"give the {role}'s name")
    if text.isdigit() and int(text) in names:
        return int(text)
    exact = [pid for pid, name in names.items() if _norm(name) == text]
    if len(exact) == 1:
        return exact[0]
    partial = [pid for pid, name in names.items() if text in _norm(name)]
    if len(partial) == 1:
        return partial[0]
    if len(exact) > 1 or partial:
        found = sorted({names[p] for p in (exact or partial)}, key=str.casefold)
        listed = ", ".join(found[:NAMES_LISTED]) + (", ..." if len(found) > NAMES_LISTED else "")
        raise ToolError(f"{role} {query!r} is ambiguous: it matches {listed}; give the full name")
    elsewhere = known_elsewhere or {}
    outside = [name for name in elsewhere.values() if _norm(name) == text]
    if outside:
        raise ToolError(f"{role} {outside[0]} {missing}")
    suggestions = _closest(query, list(names.values()) + list(elsewhere.values()))
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise ToolError(f"no {role} named {query!r}{scope}{hint}")


def _closest(query: str, candidates: list[str]) -> list[str]:
    """Up to three known names closest to ``query`` (case-insensitive), best first."""
    by_norm: dict[str, str] = {}
    for name in candidates:
        by_norm.setdefault(_norm(name), name)
    found = difflib.get_close_matches(_norm(query), list(by_norm), n=3, cutoff=0.6)
    if not found:   # a word of the query close to a word of a name ("riverside logistcs")
        words = {w for w in _norm(query).split() if len(w) >= 4}
        scored = []
        for key, name in by_norm.items():
            score = max((difflib.SequenceMatcher(None, w, v).ratio() for w in words for v in key.split()), default=0)
            if score >= 0.8:
                scored.append((-score, name))
        return [name for _score, name in sorted(scored)[:3]]
    return [by_norm[key] for key in found]
