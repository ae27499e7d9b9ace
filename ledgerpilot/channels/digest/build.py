"""The weekly digest for leadership: five sections, each a short grounded narrative plus its key figures.

Every section is made from the agent's own read tools (the same figures a question in Discuss gets)
and written by the grounded writer: offline from the templates; with a model, as a narrative whose
every number is checked against the tool results (rewritten once, else the template). The key
figures beside each narrative are formatted straight from the tool data, never from the text.

Sections: cash outlook (position, 13-week projection with its chart: expected balance, P10-P90
band, threshold), budget risks, close status, new anomalies, proposals waiting for approval (with
the approval page's address). A section whose tool fails says so in words; the others still go out.
The close section looks at last month until the 15th (when its close is what matters), then at the
current month.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerpilot.agent.formatting import compact_money, day, money, num
from ledgerpilot.agent.grounding import GroundingReport
from ledgerpilot.agent.writer import GroundedWriter
from ledgerpilot.domain.month import Month
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.tools.agent.toolkit import Citation, ToolContext, ToolResult, run_tool

CHART_CID = "cash-chart"
LINKS_PER_SECTION = 5
CLOSE_PREVIOUS_MONTH_UNTIL_DAY = 15


@dataclass(frozen=True)
class DigestSection:
    key: str
    title: str
    text: str                                   # the narrative (Markdown-ish, see discuss_format)
    figures: tuple[tuple[str, str], ...]        # (label, formatted value) straight from the tool data
    links: tuple[Citation, ...]
    source: str                                 # template | llm | llm_rewritten
    grounding: GroundingReport
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Digest:
    company: str
    as_of: dt.date
    subject: str
    sections: tuple[DigestSection, ...]
    chart_png: bytes | None
    approval_url: str
    pending_count: int
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def grounding_share(self) -> float:
        checked = sum(s.grounding.checked for s in self.sections)
        traceable = sum(s.grounding.traceable for s in self.sections)
        return 1.0 if checked == 0 else traceable / checked


def _data(result: ToolResult) -> dict[str, Any]:
    return result.data if result.ok else {}


def _links(results: Sequence[ToolResult]) -> tuple[Citation, ...]:
    seen: dict[tuple[str, int], Citation] = {}
    for result in results:
        for citation in result.citations:
            seen.setdefault((citation.model, citation.id), citation)
    return tuple(seen.values())[:LINKS_PER_SECTION]


def close_month(today: dt.date) -> Month:
    this = Month.of(today)
    return this.previous() if today.day <= CLOSE_PREVIOUS_MONTH_UNTIL_DAY else this


def _cash_figures(position: dict, forecast: dict) -> list[tuple[str, str]]:
    currency = forecast.get("currency") or position.get("currency")
    figures = []
    if position:
        figures.append(("Cash today", money(position["total"], currency)))
    if forecast:
        lowest = forecast["lowest"]
        figures += [("Lowest point", f"{money(lowest['amount'], currency)} on {day(lowest['date'])}"),
                    (f"In {forecast['weeks']} weeks", money(forecast["ending_balance"], currency)),
                    ("Weeks below threshold", num(forecast["breach_count"]) if forecast.get("threshold") is not None
                     else "no threshold set")]
    return figures


def _budget_figures(data: dict) -> list[tuple[str, str]]:
    if not data:
        return []
    figures = [("Period", f"{day(data['period_start'])} to {day(data['period_end'])}"), ("Lines at risk", f"{num(data['at_risk_count'])} of "
                                                                   f"{num(data['line_count'])}"),
               ("High risk", num(data["high_count"]))]
    expense = data.get("expense")
    if expense:
        figures.append(("Expense budget", f"{compact_money(expense['planned'], data['currency'])} planned, "
                                          f"{compact_money(expense['projected_total'], data['currency'])} projected"))
    return figures


def _close_figures(data: dict) -> list[tuple[str, str]]:
    if not data:
        return []
    return [("Month", str(data["month"])), ("Ready to lock", "yes" if data["ready_to_lock"] else "no"),
            ("Checks failed", f"{num(data['failed_count'])} of {num(data['check_count'])}"),
            ("Blocking findings", num(data["blocking_count"]))]


def _anomaly_figures(data: dict) -> list[tuple[str, str]]:
    if not data:
        return []
    figures = [("Open alerts", num(data["alert_count"])), ("New since the last scan", num(data["new_alert_count"]))]
    for item in data["anomalies"][:3]:
        amount = f" ({money(item['amount'], data['currency'])})" if item.get("amount") is not None else ""
        figures.append((f"risk {item['risk']:.2f}", f"{item['title']}{amount}"))
    return figures


def _proposal_figures(data: dict, approval_url: str) -> list[tuple[str, str]]:
    if not data:
        return []
    return [("Waiting for approval", num(data["pending_count"])), ("Review them at", approval_url)]


def _chart(ctx: ToolContext, notes: list[str]) -> bytes | None:
    from ledgerpilot.channels.charts import ChartError, cash_forecast_chart
    from ledgerpilot.tools.agent.books import base_forecast, company, threshold_level

    try:
        forecast = base_forecast(ctx, 13, threshold_level(ctx, None))
        with tempfile.TemporaryDirectory(prefix="ledgerpilot-digest-") as folder:
            path = cash_forecast_chart(forecast, Path(folder) / "cash.png",
                                       title=f"{company(ctx).name}: 13-week cash projection")
            return path.read_bytes()
    except (ChartError, LedgerpilotError, ValueError, OSError) as exc:   # the digest goes out without its chart
        notes.append(f"the cash chart could not be drawn: {exc}")
        return None


def build_digest(ctx: ToolContext, writer: GroundedWriter, *, approval_url: str,
                 anomaly_limit: int = 5) -> Digest:
    """The digest of ``ctx.today``'s books."""
    from ledgerpilot.tools.agent.books import company

    started = time.perf_counter()
    notes: list[str] = []
    name = company(ctx).name
    position = run_tool(ctx, "cash_position", {})
    forecast = run_tool(ctx, "cash_forecast", {"weeks": 13})
    budget = run_tool(ctx, "budget_status", {})
    close = run_tool(ctx, "close_status", {"month": close_month(ctx.today).label})
    anomalies = run_tool(ctx, "anomalies", {"limit": anomaly_limit})
    pending = run_tool(ctx, "pending_proposals", {"limit": 10})

    plans = (
        ("cash", "Cash outlook", "Summarise the cash position today and the 13-week outlook for leadership: the "
                                 "lowest point, when, why, and weeks below the safety threshold.",
         (position, forecast), _cash_figures(_data(position), _data(forecast))),
        ("budget", "Budget risks", "Summarise the budget lines at risk this period and the biggest overspends.",
         (budget,), _budget_figures(_data(budget))),
        ("close", "Close status", "Summarise whether the month can be closed and what blocks it.",
         (close,), _close_figures(_data(close))),
        ("anomalies", "New anomalies", "Summarise the riskiest anomalies found in the books, newest first.",
         (anomalies,), _anomaly_figures(_data(anomalies))),
        ("proposals", "Waiting for approval", "Summarise the proposals waiting for a controller's approval.",
         (pending,), _proposal_figures(_data(pending), approval_url)),
    )
    sections = []
    for key, title, request, results, figures in plans:
        written = writer.write(request=request, results=list(results), run_id=ctx.run_id)
        sections.append(DigestSection(
            key=key, title=title, text=written.text, figures=tuple(figures), links=_links(results),
            source=written.source, grounding=written.grounding,
            errors=tuple(f"{r.tool}: {r.error}" for r in results if not r.ok)))
    chart = _chart(ctx, notes) if forecast.ok else None
    week = ctx.today.isocalendar()
    return Digest(company=name, as_of=ctx.today, subject=f"{name}: weekly finance digest, week {week.week} of "
                                                           f"{week.year}",
                  sections=tuple(sections), chart_png=chart, approval_url=approval_url,
                  pending_count=int(_data(pending).get("pending_count", 0)),
                  seconds=round(time.perf_counter() - started, 3), notes=tuple(notes))
