"""Offline answers: one Jinja2 template per tool turns a tool result into a few lines of plain language.

Templates live in ``ledgerpilot/agent/templates/answers/<tool_name>.md.j2`` and receive ``data``,
``citations`` and ``arguments``. They print every number through the filters of
:mod:`ledgerpilot.agent.formatting` (``money``, ``compact_money``, ``pct``, ``num``, ``day``; and
``sources`` for a citations line) and never compute one, so each figure they print is a value of the tool result at the precision shown
and passes the grounding check. The output is Markdown: autoescaping is off, Odoo text is printed
as it is and the channel that shows the answer escapes it for its medium.

Rendering never fails a conversation: a failed tool result becomes "I could not get <what>:
<error>", and a tool without a template (or whose template breaks on unexpected data) gets a plain
listing of its numeric fields.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from ledgerpilot.agent.formatting import compact_money, day, money, num, pct, sources_markdown, to_decimal

log = logging.getLogger(__name__)

TEMPLATE_FOLDER = Path(__file__).parent / "templates" / "answers"

#: what each tool gets, as the object of "I could not get ..."
TOOL_SUBJECTS: dict[str, str] = {
    "cash_position": "the cash position",
    "cash_forecast": "the cash forecast",
    "cash_scenario": "the cash scenario",
    "receivables_ageing": "the receivables ageing",
    "payables_ageing": "the payables ageing",
    "customer_payment_behaviour": "the customer's payment behaviour",
    "find_record": "that record",
    "budget_status": "the budget status",
    "purchase_order_check": "the purchase order check",
    "project_burndown": "the project burn-down",
    "close_status": "the close status",
    "anomalies": "the anomalies",
    "pending_proposals": "the pending proposals",
    "propose_journal_entry": "the journal entry proposal",
    "propose_activity": "the activity proposal",
    "propose_note": "the note proposal",
}

NO_RESULTS = "I found no figures in the books for this question."

_GENERIC_FIELD_LIMIT = 12
_GENERIC_ROW_LIMIT = 3
_NAME_KEYS = ("name", "partner", "customer", "vendor", "reference", "ref", "account", "project", "label", "title")
_NUMBER_STRING = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@lru_cache(maxsize=1)
def answer_environment() -> Environment:
    """The template environment: Markdown (no autoescape), strict about undefined names, formatting filters."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_FOLDER)), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(money=money, compact_money=compact_money, pct=pct, num=num, day=day,
                       sources=sources_markdown)
    return env


def subject_of(tool: str) -> str:
    return TOOL_SUBJECTS.get(tool, f"the {tool.replace('_', ' ')}")


def render_error(result: Any) -> str:
    """A failed tool call in words; the error is quoted as the tool gave it."""
    error = " ".join(str(getattr(result, "error", None) or "the tool gave no reason").split())
    return f"I could not get {subject_of(result.tool)}: {error}"


def render_answer(result: Any) -> str:
    """One tool result as a short Markdown answer (a template, the error, or the generic listing)."""
    if not result.ok:
        return render_error(result)
    try:
        template = answer_environment().get_template(f"{result.tool}.md.j2")
    except TemplateNotFound:
        return render_generic(result)
    try:
        text = template.render(data=result.data, citations=list(result.citations), arguments=dict(result.arguments))
    except (TemplateError, ValueError, TypeError, ArithmeticError, KeyError, AttributeError) as exc:
        # unexpected data must not silence the answer: say what we have, and leave a trace for the maintainer
        log.warning("answer template %s.md.j2 failed (%s: %s); using the generic rendering",
                    result.tool, type(exc).__name__, exc)
        return render_generic(result)
    text = _tidy(text)
    return text or render_generic(result)


def template_answer(results: Sequence[Any]) -> str:
    """The offline answer to a question: every result's answer, in the order the tools ran.

    Sources are not included: callers append :func:`~ledgerpilot.agent.formatting.sources_markdown` of the
    citations they show, once for the whole answer.
    """
    parts = [render_answer(result) for result in results]
    parts = [part for part in parts if part]
    return "\n\n".join(parts) if parts else NO_RESULTS


# -- generic rendering --------------------------------------------------------------------------------------------

def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip()


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and bool(_NUMBER_STRING.fullmatch(value.strip()))


def _label(key: str) -> str:
    """``overdue_share`` -> ``Overdue share``; a key with digits stays as it is (``days_1_30``), so its digits
    read as a name, not as figures."""
    if any(c.isdigit() for c in key):
        return key
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def _format_field(key: str, value: Any, currency: str | None) -> str:
    """A numeric field in the most telling accepted format: ratios as %, whole numbers plain, else 2 decimals
    (with the currency when the result names one and the value is written as money, i.e. a decimal string)."""
    lowered = key.lower()
    if lowered.endswith(("_ratio", "_share")) or lowered in ("ratio", "share"):
        return pct(value, 1)
    number = to_decimal(value)
    exponent = number.as_tuple().exponent if number is not None else 0
    if isinstance(exponent, int) and exponent >= 0:
        return num(number)
    if isinstance(value, str) and currency:
        return money(number, currency)
    return num(number, min(-exponent, 2)) if isinstance(exponent, int) else num(number, 2)


def _name_of(row: dict[str, Any]) -> str | None:
    for key in _NAME_KEYS:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


def _numeric_items(mapping: dict[str, Any], currency: str | None) -> list[str]:
    return [f"{_label(key)}: {_format_field(key, value, currency)}" for key, value in mapping.items()
            if _is_number(value)]


def _generic_lines(data: dict[str, Any], currency: str | None) -> Iterable[str]:
    for key, value in data.items():
        if _is_number(value):
            yield f"- {_label(key)}: {_format_field(key, value, currency)}"
        elif isinstance(value, dict):
            items = _numeric_items(value, currency)
            if items:
                yield f"- {_label(key)}: " + "; ".join(items)
        elif isinstance(value, list):
            rows = [row for row in value if isinstance(row, dict)][:_GENERIC_ROW_LIMIT]
            for row in rows:
                items = _numeric_items(row, currency)
                if items:
                    name = _name_of(row)
                    yield f"- {_label(key)}{' — ' + name if name else ''}: " + "; ".join(items)


def render_generic(result: Any) -> str:
    """A clear listing of a result's numeric fields, for tools without a template."""
    title = subject_of(result.tool)
    data = result.data if isinstance(result.data, dict) else {}
    currency = data.get("currency") if isinstance(data.get("currency"), str) else None
    lines = list(_generic_lines(data, currency))[:_GENERIC_FIELD_LIMIT]
    if not lines:
        return f"{title[:1].upper()}{title[1:]}: the tool answered without figures."
    return f"{title[:1].upper()}{title[1:]}:\n" + "\n".join(lines)
