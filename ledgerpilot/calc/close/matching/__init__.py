"""Bank reconciliation proposals: which open items each unreconciled bank line most likely settles.

``match_bank_lines(bank_lines, open_items)`` is pure: two frames in, a :class:`MatchResult` out.
Nothing is written anywhere; a person reviews the proposals and reconciles in Odoo.

Input frames (extra columns are ignored):

``bank_lines`` - unreconciled ``account.bank.statement.line`` rows:
    ``id`` (statement line id), ``date``, ``amount`` (float, company currency, + = money in),
    ``payment_ref`` (the label), ``partner_id`` (nullable), ``partner_name``, ``journal_id``,
    ``move_id``, ``currency`` (company currency code). Optional: ``foreign_currency`` and
    ``amount_currency`` (the amount in the currency the payer used, signed like ``amount``).

``open_items`` - open receivable/payable journal items and sent payments not yet on the bank:
    ``id`` (``account.move.line`` id), ``move_id``, ``move_name`` (INV/2026/00123, BILL/..., PBNK1/...),
    ``ref`` (the vendor's bill number, the payment's reference), ``move_type``, ``partner_id``,
    ``partner_name``, ``date``, ``date_maturity``, ``amount_residual`` (float, company currency,
    + = to collect, - = to pay), ``account_id``, ``kind`` ("invoice" | "bill" | "refund" | "payment").
    Optional: ``currency`` and ``amount_residual_currency`` (the residual in the item's currency).

Signals (see :mod:`matching_candidates` for how pairs are found, :mod:`matching_score` for what
each is worth): the amount (exact in integer cents, or exact in the same foreign currency; within
a bank-fee tolerance; a part of the open amount), a reference in the label (document number,
vendor reference, payment reference; separators and case do not matter), the partner (the line's,
or one named in the label) and the distance between the bank date and the due date. Direction is
always respected. Each line gets its best candidates (one item or several), each with a confidence
in [0, 1], a level (``high`` from ``config.high``, ``medium`` from ``config.medium``, else ``low``)
and the reason in words.

Ambiguity is never high: when a line's second candidate is (nearly) as good as its first, the
first is capped below ``high`` and the reason says why; when two bank lines have the same item as
their high candidate, both are capped. The one exception is the instalments of one document named
in the label: the earliest due instalment is the one paid first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd

from ledgerpilot.calc.close.matching.candidates import Candidates, Combo, find_candidates
from ledgerpilot.calc.close.matching.frames import MatchingInputError, item_arrays, line_arrays
from ledgerpilot.calc.close.matching.score import proximity, score_combo, score_pairs
from ledgerpilot.calc.close.matching.text import reference_key, runs
from ledgerpilot.domain.money import format_amount, minor_to_decimal

Level = Literal["high", "medium", "low"]

__all__ = ["BankMatch", "MatchCandidate", "MatchConfig", "MatchResult", "MatchingInputError", "match_bank_lines"]

#: Candidates whose confidence is within this of the best make the best ambiguous.
TIE_MARGIN = 0.02


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds of the matcher. ``high`` comes from ``Settings.close.match_high_confidence``."""

    high: float = 0.9
    medium: float = 0.6
    fee_tolerance: Decimal = Decimal("25.00")  # at most this much taken off by a bank fee ...
    fee_share: float = 0.05                    # ... and never more than this share of the amount
    max_candidates: int = 3                    # candidates kept per bank line
    amount_only_limit: int = 5                 # same-amount items kept for a line nobody is known for
    subset_items: int = 20                     # a partner's oldest open items tried for one-to-many
    subset_size: int = 6                       # at most this many items paid by one transfer
    subset_budget: int = 20_000                # search steps per bank line for one-to-many
    digits: int = 2                            # decimals of the company currency

    def __post_init__(self) -> None:
        if not 0 < self.medium < self.high <= 1:
            raise ValueError(f"MatchConfig needs 0 < medium < high <= 1, got medium={self.medium}, high={self.high}")
        if self.fee_tolerance < 0 or not 0 <= self.fee_share < 1:
            raise ValueError("MatchConfig fee_tolerance must be >= 0 and fee_share in [0, 1)")
        if self.max_candidates < 1 or self.subset_size < 2:
            raise ValueError("MatchConfig needs max_candidates >= 1 and subset_size >= 2")

    @classmethod
    def from_settings(cls, settings, **overrides) -> MatchConfig:
        """The matcher's config from ``Settings`` (``close_match_high_confidence``)."""
        return cls(high=float(settings.close.match_high_confidence), **overrides)

    def level(self, confidence: float) -> Level:
        if confidence >= self.high:
            return "high"
        return "medium" if confidence >= self.medium else "low"


@dataclass(frozen=True)
class MatchCandidate:
    """One way to reconcile a bank line: one open item or several."""

    item_ids: tuple[int, ...]          # account.move.line ids
    move_names: tuple[str, ...]
    amount: Decimal                    # the items' open amount, signed like the bank line
    difference: Decimal                # bank amount - items' open amount (company currency)
    confidence: float
    level: Level
    reason: str
    signals: tuple[str, ...] = ()      # which signals agreed: amount, fee, partial, reference, partner, date


@dataclass(frozen=True)
class BankMatch:
    bank_line_id: int
    candidates: list[MatchCandidate]   # best first

    @property
    def best(self) -> MatchCandidate:
        return self.candidates[0]


@dataclass(frozen=True)
class MatchResult:
    matches: list[BankMatch]           # bank lines with at least one candidate, in input order
    unmatched: list[int]               # bank line ids with no candidate at all
    _by_line: dict[int, BankMatch] = field(default_factory=dict, repr=False, compare=False)

    def for_line(self, bank_line_id: int) -> BankMatch | None:
        if not self._by_line and self.matches:
            self._by_line.update({m.bank_line_id: m for m in self.matches})
        return self._by_line.get(bank_line_id)

    def high(self) -> list[BankMatch]:
        """The lines whose best candidate is high-confidence."""
        return [m for m in self.matches if m.best.level == "high"]


@dataclass
class _Option:
    items: tuple[int, ...]
    score: float
    order: float                       # tie-break: larger first
    signals: tuple[str, ...]
    parts: list[str]
    move: int = -1                     # single items named in the label: their document (instalments)
    ref: bool = False
    due: int = 0                       # single items: due day (days since epoch)
    names: tuple[str, ...] = ()        # document names of the items, for words


def match_bank_lines(bank_lines: pd.DataFrame, open_items: pd.DataFrame, *,
                     config: MatchConfig = MatchConfig()) -> MatchResult:
    """Best candidates for every bank line among the open items (see the module docstring)."""
    digits = config.digits
    lines = line_arrays(bank_lines, digits)
    items = item_arrays(open_items, digits)
    if len(lines.ids) == 0:
        return MatchResult([], [])
    found = find_candidates(lines, items, fee_cents=int(config.fee_tolerance.scaleb(digits)),
                            fee_share=config.fee_share, amount_only_limit=config.amount_only_limit,
                            subset_items=config.subset_items, subset_size=config.subset_size,
                            subset_budget=config.subset_budget)
    options = _options(found, lines, items, config)
    names = items.frame["move_name"].astype("object").where(items.frame["move_name"].notna(), "").tolist()
    ranked: dict[int, list[tuple[_Option, float, str]]] = {}
    for line, line_options in options.items():
        ranked[line] = _rank(line_options, config)
    _cap_shared_items(ranked, lines.ids, names, config)
    matches: list[BankMatch] = []
    unmatched: list[int] = []
    for line in range(len(lines.ids)):
        chosen = ranked.get(line)
        if not chosen:
            unmatched.append(int(lines.ids[line]))
            continue
        candidates = [_candidate(option, confidence, extra, line, lines, items, names, config)
                      for option, confidence, extra in chosen[:config.max_candidates]]
        matches.append(BankMatch(int(lines.ids[line]), candidates))
    return MatchResult(matches, unmatched)


def _options(found: Candidates, lines, items, config: MatchConfig) -> dict[int, list[_Option]]:
    pairs = found.pairs
    out: dict[int, list[_Option]] = {}
    if len(pairs):
        pairs = pairs.assign(score=score_pairs(pairs))
        pairs = pairs[pairs["score"] > 0]
        pairs = pairs.assign(prox=1.0 / (1.0 + np.abs(pairs["days"].to_numpy()) / 30.0))
        pairs = pairs.sort_values(["line", "score", "prox"], ascending=[True, False, False])
        pairs = pairs.groupby("line", sort=False).head(config.max_candidates + 3)
        for row in pairs.itertuples(index=False):
            signals, parts = _pair_words(row, lines, items, config)
            out.setdefault(int(row.line), []).append(_Option(
                (int(row.item),), float(row.score), float(row.prox), signals, parts,
                int(row.move) if row.ref else -1, bool(row.ref), int(items.day[int(row.item)]),
                (str(items.frame.at[int(row.item), "move_name"]),)))
    for combo in found.combos:
        conflict = _combo_conflict(combo, lines, items, found.label_partners)
        score = score_combo(combo, conflict=conflict)
        days = np.mean([lines.day[combo.line] - items.day[i] for i in combo.items])
        signals, parts = _combo_words(combo, conflict, items, config)
        out.setdefault(combo.line, []).append(_Option(
            combo.items, score, proximity(days), signals, parts,
            names=tuple(str(items.frame.at[i, "move_name"]) for i in combo.items)))
    return out


def _combo_conflict(combo: Combo, lines, items, label_partners) -> bool:
    known = set(label_partners[combo.line]) | ({int(lines.partner[combo.line])} if lines.partner[combo.line] >= 0
                                               else set())
    return bool(known) and any(int(items.partner[i]) not in known for i in combo.items)


def _rank(options: list[_Option], config: MatchConfig) -> list[tuple[_Option, float, str]]:
    """Order a line's options and cap the best when another is about as good."""
    unique: dict[tuple[int, ...], _Option] = {}
    for option in options:
        key = tuple(sorted(option.items))
        if key not in unique or option.score > unique[key].score:
            unique[key] = option
    ordered = sorted(unique.values(), key=lambda o: (-o.score, -o.order, o.items))
    ordered = _instalments_first(ordered)
    result = [(option, option.score, "") for option in ordered]
    if len(ordered) >= 2 and ordered[1].score >= ordered[0].score - TIE_MARGIN:
        best, runner = ordered[0], ordered[1]
        same_document = best.ref and runner.ref and best.move == runner.move and best.move >= 0 \
            and len(best.items) == len(runner.items) == 1
        if not same_document:
            tied = [o for o in ordered if o.score >= best.score - TIE_MARGIN]
            others = ", ".join(" + ".join(_label_of(o)) for o in tied[1:3])
            result[0] = (best, min(best.score, config.high - 0.1), f"ambiguous: {others} is as good")
    # only the first candidate of a line can be high: the others are alternatives to it
    for index in range(1, len(result)):
        option, confidence, extra = result[index]
        result[index] = (option, min(confidence, config.high - 0.1), extra)
    return result


def _label_of(option: _Option) -> list[str]:
    return list(option.names) if option.names else [f"item {i}" for i in option.items]


def _instalments_first(ordered: list[_Option]) -> list[_Option]:
    """Among the best-scored instalments of one document named in the label, the earliest due
    comes first (customers pay instalments in order); other ties keep the closeness to the bank date."""
    if len(ordered) < 2 or not ordered[0].ref or ordered[0].move < 0:
        return ordered
    top = ordered[0]
    same = [o for o in ordered if o.ref and o.move == top.move and o.score == top.score and len(o.items) == 1]
    if len(same) < 2:
        return ordered
    rest = [o for o in ordered if not any(o is s for s in same)]
    return sorted(same, key=lambda o: (o.due, o.items)) + rest


def _cap_shared_items(ranked: dict[int, list[tuple[_Option, float, str]]], line_ids, names,
                      config: MatchConfig) -> None:
    """Two bank lines whose high candidate uses the same item: neither is high."""
    claims: dict[int, list[int]] = {}
    for line, chosen in ranked.items():
        if chosen and chosen[0][1] >= config.high:
            for item in chosen[0][0].items:
                claims.setdefault(item, []).append(line)
    for item, claimants in claims.items():
        if len(claimants) < 2:
            continue
        for line in claimants:
            option, confidence, extra = ranked[line][0]
            others = ", ".join(str(int(line_ids[other])) for other in claimants if other != line)
            note = f"bank line(s) {others} point at {names[item] or 'the same item'} too"
            ranked[line][0] = (option, min(confidence, config.high - 0.1), "; ".join(filter(None, [extra, note])))


def _money(cents: int, digits: int) -> str:
    return format_amount(minor_to_decimal(int(cents), digits), digits)


def _pair_words(row, lines, items, config: MatchConfig) -> tuple[tuple[str, ...], list[str]]:
    line, item = int(row.line), int(row.item)
    digits = config.digits
    name = str(items.frame.at[item, "move_name"] or items.frame.at[item, "ref"] or f"item {items.ids[item]}")
    signals: list[str] = []
    parts: list[str] = []
    open_amount = _money(abs(items.cents[item]), digits)
    if row.exact:
        signals.append("amount")
        if row.foreign:
            parts.append(f"the {lines.foreign[line]} amount equals the open {lines.foreign[line]} amount of {name} "
                         f"(exchange difference {_money(row.diff, digits)})")
        else:
            parts.append(f"amount {open_amount} equals the open amount of {name}")
    elif row.fee:
        signals.append("fee")
        parts.append(f"amount is {_money(abs(row.diff), digits)} {'less' if row.diff < 0 else 'more'} than the "
                     f"{open_amount} open on {name} (within the bank-fee tolerance)")
    elif row.partial:
        signals.append("partial")
        parts.append(f"pays {_money(abs(lines.cents[line]), digits)} of the {open_amount} open on {name} "
                     "(partial payment)")
    elif row.over:
        parts.append(f"amount is {_money(row.diff, digits)} more than the {open_amount} open on {name}")
    if row.ref:
        signals.append("reference")
        parts.append(_named_words(lines.frame.at[line, "payment_ref"], items.frame.at[item, "move_name"],
                                  items.frame.at[item, "ref"], name))
    partner = items.frame.at[item, "partner_name"]
    if row.agree:
        signals.append("partner")
        parts.append(f"partner {partner} agrees")
    elif row.conflict:
        parts.append(f"but the item's partner is {partner}, not the one on the bank line")
    else:
        parts.append("no partner on the bank line")
    days = int(row.days)
    if abs(days) <= 60:
        signals.append("date")
    parts.append(_days_words(days))
    return tuple(signals), parts


def _named_words(label, move_name, ref, name: str) -> str:
    """Which of the item's references the label carries, in words."""
    label_runs = runs(label if isinstance(label, str) else "")
    for text in (move_name, ref):
        key = reference_key(text) if isinstance(text, str) else None
        if key and any(label_runs[i:i + len(key)] == key for i in range(len(label_runs) - len(key) + 1)):
            return f"the label names {name}" if text == name else f"the label names {text}, the reference of {name}"
    return f"the label names {name}"


def _days_words(days: int) -> str:
    if days == 0:
        return "due on the bank date"
    return f"due {abs(days)} day{'s' if abs(days) != 1 else ''} {'before' if days > 0 else 'after'} the bank date"


def _combo_words(combo: Combo, conflict: bool, items, config: MatchConfig) -> tuple[tuple[str, ...], list[str]]:
    count = len(combo.items)
    names = ", ".join(str(items.frame.at[i, "move_name"]) for i in combo.items)
    signals = ["amount"] if combo.diff == 0 else ["fee"]
    if combo.source == "label":
        signals.append("reference")
        parts = [f"the label names {count} documents ({names}) whose open amounts add up to the bank amount"
                 + ("" if combo.diff == 0 else f" within the bank-fee tolerance ({_money(abs(combo.diff), config.digits)})")]
    else:
        parts = [f"{count} open items of the partner ({names}) add up exactly to the bank amount"]
        if combo.whole_balance:
            parts.append("they are the partner's whole open balance")
        if combo.referenced:
            signals.append("reference")
            parts.append(f"the label names {combo.referenced} of them")
    if not combo.unique:
        parts.append("other combinations make the same amount")
    partners = sorted({str(items.frame.at[i, "partner_name"]) for i in combo.items})
    if conflict:
        parts.append("but a partner differs from the bank line's")
    elif combo.source == "subset" or partners:
        signals.append("partner")
        parts.append(f"partner {', '.join(partners)} agrees" if combo.source == "subset" or not conflict else "")
    return tuple(signals), [p for p in parts if p]


def _candidate(option: _Option, confidence: float, extra: str, line: int, lines, items, names,
               config: MatchConfig) -> MatchCandidate:
    digits = config.digits
    open_cents = int(sum(int(items.cents[i]) for i in option.items))
    confidence = round(float(min(max(confidence, 0.0), 1.0)), 3)
    parts = list(option.parts) + ([extra] if extra else [])
    reason = "; ".join(parts)
    reason = reason[0].upper() + reason[1:] + "."
    return MatchCandidate(
        item_ids=tuple(int(items.ids[i]) for i in option.items),
        move_names=tuple(str(names[i]) for i in option.items),
        amount=minor_to_decimal(open_cents, digits),
        difference=minor_to_decimal(int(lines.cents[line]) - open_cents, digits),
        confidence=confidence,
        level=config.level(confidence),
        reason=reason,
        signals=option.signals,
    )
