"""The close report: checklist, findings, trial-balance review, bank matches, proposals, what was applied.

Written at the end of every close run as Markdown (for a repository, a ticket, the chat) and as a
self-contained HTML page (for the email and the approval page), both from the same
:class:`CloseReport` through Jinja2 templates in ``graphs/templates``. Text that came from Odoo
(partner names, labels, references) is data: HTML output is autoescaped, and Markdown cells are
escaped so a name cannot open a link, an image or a table column.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from ledgerpilot.domain.money import format_amount

REPORT_NAME = "close-{month}"


class CloseReport(BaseModel):
    """What one close run found, proposed and did; built from the close graph's state."""

    model_config = ConfigDict(frozen=True)

    month: str
    company: str
    currency: str
    generated_at: dt.datetime
    stage: str
    checklist: list[dict] = Field(default_factory=list)
    findings: list[dict] = Field(default_factory=list)
    trial_balance: list[dict] = Field(default_factory=list)
    matches: dict = Field(default_factory=dict)
    proposals: list[dict] = Field(default_factory=list)
    applied: list[dict] = Field(default_factory=list)
    lock: dict = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)

    @property
    def blocking(self) -> list[dict]:
        return [f for f in self.findings if f.get("severity") == "blocking"]

    @property
    def ready_to_lock(self) -> bool:
        return not self.blocking

    def proposals_in(self, *states: str) -> list[dict]:
        return [p for p in self.proposals if p.get("state") in states]


def build_close_report(state: dict, proposals: list[dict], *, generated_at: dt.datetime) -> CloseReport:
    return CloseReport(month=state["month"], company=state.get("company", ""), currency=state.get("currency", ""),
                       generated_at=generated_at.replace(microsecond=0), stage=state.get("stage", ""),
                       checklist=state.get("checklist", []), findings=state.get("findings", []),
                       trial_balance=state.get("trial_balance", []), matches=state.get("matches", {}),
                       proposals=proposals, applied=state.get("applied", []), lock=state.get("lock", {}),
                       skipped=state.get("skipped", []))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")
_MD_LEADING = re.compile(r"^([#+\-=>]|\d+[.)])")


def md_escape(value: Any) -> str:
    """One Markdown table cell or inline text: specials escaped, line breaks flattened.

    Links, images, emphasis, code, HTML and table pipes are neutralised everywhere; what only means
    something at the start of a line (a heading, a list, a quote) is escaped there.
    """
    text = " ".join(str(value if value is not None else "").split())
    return _MD_LEADING.sub(r"\\\1", _MD_SPECIAL.sub(r"\\\1", text))


def money(value: Any) -> str:
    """``"1234.5"`` -> ``"1,234.50"``; blanks stay blank."""
    if value is None or value == "":
        return ""
    try:
        return format_amount(value, 2)
    except ValueError:                  # not a number: shown as it is
        return str(value)


def percent(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.0f}%"


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("ledgerpilot.graphs", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html", "j2")) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md_escape, money=money, percent=percent)
    return env


def render_markdown(report: CloseReport) -> str:
    return _environment(False).get_template("close_report.md.j2").render(r=report)


def render_html(report: CloseReport) -> str:
    return _environment(True).get_template("close_report.html.j2").render(r=report)


def write_close_report(report: CloseReport, folder: Path) -> dict[str, Path]:
    """Write ``close-YYYY-MM.md`` and ``.html`` into ``folder`` (atomically: a reader never sees half)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = REPORT_NAME.format(month=report.month)
    paths = {"markdown": folder / f"{base}.md", "html": folder / f"{base}.html"}
    for kind, text in (("markdown", render_markdown(report)), ("html", render_html(report))):
        temporary = paths[kind].with_suffix(paths[kind].suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(paths[kind])
    return paths
