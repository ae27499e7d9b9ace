"""How good the bank-matching proposals are on a demo company: precision of the high-confidence
proposals and coverage of the bank lines.

Truth is rebuilt from the books, not from the matcher:

1. **Replayed history.** Every reconciled statement line of the bank journals (in the window) is
   replayed as if it were still unreconciled on its own date. Its truth is the set of journal items
   its entry was reconciled with: the statement entry's counterpart lines on the receivable,
   payable and outstanding-payment accounts, followed through ``account.partial.reconcile`` to the
   lines on the other side (exchange-difference partials excluded). A line whose counterpart is on
   no such account (bank fees, salaries, VAT, capital) has *no counterpart by design*: it stays in
   the coverage denominator, and any high-confidence proposal for it counts as wrong.
   The open items it is matched against are those that were open on that date: items dated on or
   before it, with their residual on that date (balance minus the partials dated before it;
   partials of that day and later are undone), and without the statement entries of that day or
   later. Lines are replayed one date at a time, all the lines of a date against the same items.
2. **Current month.** The statement lines still unreconciled (the close defects of the ground truth
   label them) are matched as the product will match them: against today's open items loaded by
   :func:`load_reconciliation_data`. The books do not say which invoice an unreconciled receipt
   pays, but the generator does: its ground truth (``bank_line_items``) names the open items each
   waiting line pays, and a line it does not name (card settlement, fee) pays none. With a ground
   truth written before that record existed, a high proposal for a line with a partner is
   *unverified*: reported apart (``unverified``, and ``precision_all`` counts it as not correct),
   never silently dropped.

Precision = correct high proposals / verified high proposals (a proposal is correct when its items
are exactly the truth's); ``precision_all`` = correct / every high proposal. Coverage = lines with a high proposal / all bank lines in scope (lines
with no counterpart included). Cash journals are not in scope: their lines (counter sales, petty
expenses) are booked directly by the cashier, never matched against invoices.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ledgerpilot.calc.close.matching import MatchCandidate, MatchConfig, match_bank_lines
from ledgerpilot.domain.month import months_back_start
from ledgerpilot.sandbox.generator import load_ground_truth
from ledgerpilot.tools.close.reconciliation import (
    ITEM_ACCOUNT_TYPES,
    ITEM_FIELDS,
    STATEMENT_LINE_FIELDS,
    bank_line_frame,
    item_frame,
    load_reconciliation_data,
)
from ledgerpilot.tools.ledger.overview import company_info

Progress = Callable[[str], None]
PARTIAL_FIELDS = ["debit_move_id", "credit_move_id", "amount", "debit_amount_currency", "credit_amount_currency",
                  "max_date", "exchange_move_id"]


@dataclass(frozen=True)
class ScoredLine:
    bank_line_id: int
    date: dt.date
    label: str
    amount: float
    source: str                          # "replay" or "current"
    truth: tuple[int, ...] | None        # item ids; () = no counterpart; None = not known
    best: MatchCandidate | None          # the best candidate (any level)
    outcome: str                         # "correct" | "wrong" | "unverified" | "not high"


@dataclass(frozen=True)
class ReconciliationScore:
    company: str
    as_of: dt.date
    window_start: dt.date
    lines: int                           # bank lines in scope
    replayed: int
    current: int
    no_counterpart: int
    high: int
    correct: int
    wrong: int
    unverified: int
    precision: float | None              # correct / (correct + wrong)
    precision_all: float | None          # correct / every high proposal (unverified ones count as not correct)
    coverage: float                      # high / lines
    coverage_with_counterpart: float     # correct high / lines whose truth has items
    seconds: float
    scored: tuple[ScoredLine, ...]

    def mistakes(self) -> list[ScoredLine]:
        return [s for s in self.scored if s.outcome == "wrong"]

    def summary(self) -> str:
        precision = "n/a" if self.precision is None else f"{self.precision:.1%}"
        return (f"{self.lines} bank lines ({self.replayed} replayed since {self.window_start}, {self.current} "
                f"unreconciled now; {self.no_counterpart} with no counterpart by design): {self.high} high-confidence "
                f"proposals, {self.correct} correct, {self.wrong} wrong, {self.unverified} unverified; precision "
                f"{precision}, coverage {self.coverage:.1%} (of lines with a counterpart: "
                f"{self.coverage_with_counterpart:.1%})")


def score_reconciliation(client, data_dir: str | Path, *, months: int | None = 6,
                         config: MatchConfig | None = None, progress: Progress | None = None) -> ReconciliationScore:
    """Replay the bank lines of the last ``months`` months (all history with None) and the current
    unreconciled lines of the demo company in ``data_dir``, served by ``client``."""
    if months is not None and months < 1:
        raise ValueError(f"months must be at least 1 (or None for all history), got {months}")
    config = config or MatchConfig()
    started = time.perf_counter()
    step = progress or (lambda _stage: None)
    truth_file = load_ground_truth(data_dir)
    as_of = dt.date.fromisoformat(truth_file.today)
    labelled = {int(i) for d in truth_file.defects_of("unreconciled_bank_line") for i in d.ids}
    company = company_info(client)
    step("journals and accounts")
    bank_journals = [int(i) for i in client.extract("account.journal", ["type"], [("type", "=", "bank")])["id"]]
    accounts = client.extract("account.account", ["account_type"],
                              [("account_type", "in", list(ITEM_ACCOUNT_TYPES)), ("reconcile", "=", True)])
    payments = client.extract("account.payment", ["outstanding_account_id"])
    outstanding = {int(i) for i in payments["outstanding_account_id_id"].dropna()}
    item_accounts = sorted(set(accounts["id"].astype("int64").tolist()) | outstanding)
    step("statement lines")
    rows = client.extract("account.bank.statement.line", [*STATEMENT_LINE_FIELDS, "is_reconciled"],
                          [("journal_id", "in", bank_journals), ("date", "<=", as_of.isoformat())])
    reconciled_ids = set(rows.loc[rows["is_reconciled"].astype(bool), "id"].astype("int64"))
    lines = bank_line_frame(rows, company.currency)
    window_start = _window_start(as_of, months, lines)
    step("journal items and reconciliations")
    item_rows = client.extract("account.move.line", [*ITEM_FIELDS, "balance", "amount_currency", "statement_line_id"],
                               [("parent_state", "=", "posted"), ("account_id", "in", item_accounts)])
    items = item_frame(client, item_rows, accounts, bank_journals)
    extra = item_rows.set_index("id")[["balance", "amount_currency", "statement_line_id_id"]]
    items = items.join(extra, on="id")
    partials = client.extract("account.partial.reconcile", PARTIAL_FIELDS)
    truths = _truths(items, partials)

    scored: list[ScoredLine] = []
    step("replaying reconciled lines")
    replay = lines[lines["id"].astype("int64").isin(reconciled_ids - labelled).to_numpy()
                   & (lines["date"] >= pd.Timestamp(window_start)).to_numpy()]
    history = _History(items, partials)
    for day, group in replay.groupby("date", sort=True):
        open_items = history.open_on(day)
        result = match_bank_lines(group, open_items, config=config)
        for row in group.itertuples(index=False):
            truth = truths.get(int(row.id), ())
            scored.append(_score(row, "replay", truth, result.for_line(int(row.id)), config))
    step("current unreconciled lines")
    current = load_reconciliation_data(client, as_of=as_of, journal_ids=bank_journals)
    result = match_bank_lines(current.bank_lines, current.open_items, config=config)
    known = truth_file.bank_line_items
    for row in current.bank_lines.itertuples(index=False):
        if known:  # the generator wrote down what each waiting line pays
            truth = tuple(known.get(str(int(row.id)), ()))
        else:      # an older demo without that record: only a line with no partner is known to pay nothing
            truth = () if pd.isna(row.partner_id) else None
        scored.append(_score(row, "current", truth, result.for_line(int(row.id)), config))
    return _summarise(company.name, as_of, window_start, scored, time.perf_counter() - started)


def _window_start(as_of: dt.date, months: int | None, lines: pd.DataFrame) -> dt.date:
    if months is None:
        return lines["date"].min().date() if len(lines) else as_of
    return months_back_start(as_of, months)


def _truths(items: pd.DataFrame, partials: pd.DataFrame) -> dict[int, tuple[int, ...]]:
    """Statement line id -> the item ids its entry was reconciled with."""
    counterpart = items.dropna(subset=["statement_line_id_id"])
    owner = dict(zip(counterpart["id"].astype("int64"), counterpart["statement_line_id_id"].astype("int64")))
    usable = partials[partials["exchange_move_id_id"].isna().to_numpy()]
    truth: dict[int, set[int]] = {}
    for debit, credit in zip(usable["debit_move_id_id"].astype("Int64"), usable["credit_move_id_id"].astype("Int64")):
        if pd.isna(debit) or pd.isna(credit):
            continue
        debit, credit = int(debit), int(credit)
        for mine, other in ((debit, credit), (credit, debit)):
            line = owner.get(mine)
            if line is not None and other not in owner:
                truth.setdefault(line, set()).add(other)
    return {line: tuple(sorted(ids)) for line, ids in truth.items()}


class _History:
    """The open items as they stood on any past date, from balances and dated partials."""

    def __init__(self, items: pd.DataFrame, partials: pd.DataFrame):
        self.items = items.reset_index(drop=True)
        position = pd.Series(np.arange(len(self.items)), index=self.items["id"].astype("int64").to_numpy())
        debit = partials["debit_move_id_id"].astype("Int64").map(position)
        credit = partials["credit_move_id_id"].astype("Int64").map(position)
        days = pd.to_datetime(partials["max_date"]).to_numpy(dtype="datetime64[D]")
        amount = np.rint(partials["amount"].to_numpy(dtype="float64") * 100).astype("int64")
        debit_cur = np.rint(partials["debit_amount_currency"].fillna(0).to_numpy(dtype="float64") * 100).astype("int64")
        credit_cur = np.rint(partials["credit_amount_currency"].fillna(0).to_numpy(dtype="float64") * 100).astype("int64")
        # a partial lowers a debit item's residual and raises (towards zero) a credit item's
        sides = [(debit, -amount, -debit_cur), (credit, amount, credit_cur)]
        self.event_item = np.concatenate([s[0].fillna(-1).to_numpy(dtype="int64") for s in sides])
        self.event_day = np.concatenate([days, days])
        self.event_cents = np.concatenate([s[1] for s in sides])
        self.event_currency = np.concatenate([s[2] for s in sides])
        keep = self.event_item >= 0
        self.event_item, self.event_day = self.event_item[keep], self.event_day[keep]
        self.event_cents, self.event_currency = self.event_cents[keep], self.event_currency[keep]
        self.balance = np.rint(self.items["balance"].to_numpy(dtype="float64") * 100).astype("int64")
        self.balance_currency = np.rint(self.items["amount_currency"].fillna(0).to_numpy(dtype="float64")
                                        * 100).astype("int64")
        self.day = self.items["date"].to_numpy(dtype="datetime64[D]")
        self.statement = self.items["statement_line_id_id"].notna().to_numpy()

    def open_on(self, day: pd.Timestamp) -> pd.DataFrame:
        today = np.datetime64(day.date(), "D")
        before = self.event_day < today
        n = len(self.items)
        residual = self.balance + np.bincount(self.event_item[before], weights=self.event_cents[before],
                                              minlength=n).astype("int64")
        residual_currency = self.balance_currency + np.bincount(
            self.event_item[before], weights=self.event_currency[before], minlength=n).astype("int64")
        exists = (self.day < today) | ((self.day == today) & ~self.statement)
        mask = exists & (residual != 0)
        frame = self.items.loc[mask]
        return frame.assign(amount_residual=residual[mask] / 100.0,
                            amount_residual_currency=residual_currency[mask] / 100.0)


def _score(row, source: str, truth: tuple[int, ...] | None, match, config: MatchConfig) -> ScoredLine:
    best = match.best if match is not None else None
    if best is None or best.level != "high":
        outcome = "not high"
    elif truth is None:
        outcome = "unverified"
    elif truth and set(best.item_ids) == set(truth):
        outcome = "correct"
    else:
        outcome = "wrong"
    return ScoredLine(int(row.id), pd.Timestamp(row.date).date(), str(row.payment_ref or ""), float(row.amount),
                      source, truth, best, outcome)


def _summarise(company: str, as_of: dt.date, window_start: dt.date, scored: Sequence[ScoredLine],
               seconds: float) -> ReconciliationScore:
    count = {o: sum(1 for s in scored if s.outcome == o) for o in ("correct", "wrong", "unverified")}
    high = sum(count.values())
    verified = count["correct"] + count["wrong"]
    with_counterpart = [s for s in scored if s.truth]
    return ReconciliationScore(
        company=company, as_of=as_of, window_start=window_start, lines=len(scored),
        replayed=sum(1 for s in scored if s.source == "replay"), current=sum(1 for s in scored if s.source == "current"),
        no_counterpart=sum(1 for s in scored if s.truth == ()), high=high, correct=count["correct"],
        wrong=count["wrong"], unverified=count["unverified"],
        precision=count["correct"] / verified if verified else None,
        precision_all=count["correct"] / high if high else None,
        coverage=high / len(scored) if scored else 0.0,
        coverage_with_counterpart=(sum(1 for s in with_counterpart if s.outcome == "correct") / len(with_counterpart)
                                   if with_counterpart else 0.0),
        seconds=round(seconds, 2), scored=tuple(scored))
