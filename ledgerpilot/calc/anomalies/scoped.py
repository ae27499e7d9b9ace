"""A scoped scan: the findings about what changed, without recomputing every baseline over all history.

An incremental scan (``data.scope`` set) reports the findings that cite a record in scope. Running
every detector over two years of books to keep a handful of findings is what makes it slow, so a
scoped scan gives each detector only what decides its findings about the scope:

- **per partner** (``duplicate_bills``, ``amount_outliers``, ``payments_without_open_bill``): a
  finding compares a bill or payment with the same partner's other documents, so the books are cut
  down to the partners of the records in scope — their entries, payments, items and the
  reconciliations of those items with the entries on the other side (:meth:`BookCuts.partner_books`),
  or only their vendor bills when no payment is in scope (:meth:`BookCuts.partner_documents`);
- **credit notes** (``large_credit_notes``): every customer credit note (the company's usual ratio
  needs them all) with the invoices it may credit or be re-issued as (:meth:`BookCuts.credit_note_books`);
- **manual entries** (``round_amounts``): the manual entries and the opening entries
  (:meth:`BookCuts.manual_books`);
- **journal habits** (``posting_patterns``): an entry is judged against its own journal's earlier
  entries and the company's hours, so only the journals of the entries in scope are worked out;
- **account pairs** (``rare_accounts``): the pair counts of all entries are a baseline
  (:class:`~ledgerpilot.calc.anomalies.detectors.rare_accounts.PairCounts`) kept current by the
  caller; the entries in scope are judged against it;
- the other detectors are cheap and run on all the books, their findings filtered;
- and a detector whose findings can only cite records of kinds the scope does not hold (no vendor
  bill in scope for ``duplicate_bills``, no purchase order or purchased item for
  ``three_way_match``...) has nothing to report and does not run (:data:`CAN_TOUCH`).

Each of these gives, for the records in scope, exactly the findings of a full scan of the same books
(the tests compare the two). The evidence of the findings outside the scope comes from the last
full scan's findings (``ScanBaselines.findings``, kept current by each scoped scan), which a caller
refreshes with a full scan once the entries changed since make up more than a small share of the
books (``ScanBaselines.stale``).

Pure: frames and baselines in, findings out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.detectors import posting_patterns, rare_accounts
from ledgerpilot.calc.anomalies.detectors.rare_accounts import PairCounts
from ledgerpilot.calc.anomalies.frames import AnomalyData, Scope
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import to_minor

#: the share of the books that may change after the last full scan before a scoped scan should not
#: rely on its findings any more (the caller scans in full again)
DEFAULT_REFIT_SHARE = 0.02


@dataclass(frozen=True)
class ScanBaselines:
    """What a full scan learnt that a scoped scan reuses.

    - ``pair_counts``: entries per account pair and per debited / credited account, over the books
      as they are *now* (the caller updates them with every change, see :meth:`with_changes`);
    - ``findings``: every finding of the books as last scanned, kept current by :meth:`with_findings`
      (the evidence for entries cited by findings outside a scope);
    - ``entries``: how many entries the last full scan read; ``changed``: how many
      entries were created, written or deleted since.
    """

    pair_counts: PairCounts
    findings: tuple[Anomaly, ...]
    entries: int
    changed: int = 0

    def stale(self, refit_share: float = DEFAULT_REFIT_SHARE) -> bool:
        """Whether the entries changed since the last full scan exceed ``refit_share`` of the books (then the
        findings kept from the last full scan no longer describe them well enough: scan in full again)."""
        return self.changed > refit_share * max(self.entries, 1)

    def with_changes(self, removed: PairCounts, added: PairCounts, changed_entries: int) -> ScanBaselines:
        """These baselines after entries changed: ``removed`` are the pair counts of their old
        versions (and of deleted entries), ``added`` those of their new versions."""
        return dataclasses.replace(self, pair_counts=self.pair_counts.updated(removed, added),
                                   changed=self.changed + changed_entries)

    def with_findings(self, scope: Scope, found: Sequence[Anomaly]) -> ScanBaselines:
        """These baselines with the findings about ``scope`` replaced by ``found`` (a scoped scan's)."""
        kept = tuple(a for a in self.findings if not scope.touches(a))
        return dataclasses.replace(self, findings=kept + tuple(found))


# ------------------------------------------------------------------------------------------ books cut down


def _ids(values: pd.Series) -> pd.Index:
    return pd.Index(values.dropna().astype("int64").unique())


def _plain(values: pd.Series) -> np.ndarray:
    """An id column as plain int64 (missing = -1): membership tests over a million items stay cheap."""
    return values.to_numpy(dtype="int64", na_value=-1)


def scope_partners(data: AnomalyData, scope: Scope) -> pd.Index:
    """The partners of the entries and payments in scope."""
    moves = data.moves[data.moves["id"].isin(scope.move_ids)]
    payments = data.payments[data.payments["id"].isin(scope.payment_ids)
                             | data.payments["move_id"].isin(scope.move_ids)]
    return _ids(pd.concat([moves["partner_id"], payments["partner_id"]]))


class BookCuts:
    """The parts of one scan's books that the scoped detectors read, each cut once and shared."""

    def __init__(self, data: AnomalyData) -> None:
        self.data = data
        self._line_moves: np.ndarray | None = None
        self._cache: dict[str, AnomalyData] = {}
        self._frames: dict[str, pd.DataFrame] = {}

    def _items_of(self, move_ids: pd.Index) -> np.ndarray:
        if self._line_moves is None:
            self._line_moves = _plain(self.data.lines["move_id"])
        return pd.Series(self._line_moves).isin(move_ids).to_numpy()

    def books(self, move_ids: pd.Index, *, items_of: pd.Index | None = None, **frames: pd.DataFrame) -> AnomalyData:
        """The books with only the entries ``move_ids``, the items of ``items_of`` (default: of the
        same entries), and the other ``frames`` given."""
        data = self.data
        moves = data.moves[data.moves["id"].isin(move_ids)].reset_index(drop=True)
        lines = data.lines[self._items_of(move_ids if items_of is None else items_of)].reset_index(drop=True)
        return dataclasses.replace(data, moves=moves, lines=lines,
                                   **{name: frame.reset_index(drop=True) for name, frame in frames.items()})

    def scope_moves(self) -> pd.DataFrame:
        """The entries in scope."""
        if "scope_moves" not in self._frames:
            self._frames["scope_moves"] = self.data.moves[self.data.moves["id"].isin(self.data.scope.move_ids)]
        return self._frames["scope_moves"]

    def has_moves(self, column: str, values: tuple[str, ...]) -> bool:
        """Whether an entry in scope has one of ``values`` in ``column`` (``move_type``, ``origin``)."""
        return bool(self.scope_moves()[column].isin(values).any())

    def has_purchased_items(self) -> bool:
        """Whether an entry in scope has an item billed from a purchase order line."""
        items = self.data.lines[self._items_of(pd.Index(sorted(self.data.scope.move_ids), dtype="int64"))]
        return bool(items["purchase_line_id"].notna().any())

    def has_valuation_entries(self) -> bool:
        """Whether an entry in scope is the accounting entry of a stock valuation layer."""
        return bool(self.data.valuation_layers["account_move_id"].isin(self.data.scope.move_ids).any())

    def has_payments(self) -> bool:
        """Whether a payment is in scope (itself, or its entry)."""
        scope, payments = self.data.scope, self.data.payments
        return bool(scope.payment_ids) or bool(payments["move_id"].isin(scope.move_ids).any())

    def partner_documents(self, move_types: tuple[str, ...], *, items: bool) -> AnomalyData:
        """The scope's partners' documents of ``move_types`` and the entries reversing them (with
        the documents' items when ``items``), no payments: what a detector comparing a vendor's
        bills with each other reads."""
        key = f"documents:{','.join(move_types)}:{items}"
        if key not in self._cache:
            moves = self.data.moves
            own = moves.loc[moves["partner_id"].isin(scope_partners(self.data, self.data.scope))
                            & moves["move_type"].isin(move_types), "id"]
            reversing = moves.loc[moves["reversed_entry_id"].isin(own), "id"]
            self._cache[key] = self.books(_ids(pd.concat([own, reversing])),
                                          items_of=_ids(own) if items else pd.Index([]),
                                          payments=self.data.payments.iloc[:0], partials=self.data.partials.iloc[:0])
        return self._cache[key]

    def partner_books(self) -> AnomalyData:
        """The books of the scope's partners: their entries (and the credit notes reversing them),
        their payments and payments' entries, the reconciliations of those entries' items and the
        entries on the other side of them. A detector that judges a document against its own
        partner's history finds the same about these partners here as in the whole books."""
        if "partner_books" not in self._cache:
            data = self.data
            partners = scope_partners(data, data.scope)
            moves, lines, partials = data.moves, data.lines, data.partials
            own = moves.loc[moves["partner_id"].isin(partners), "id"]
            reversing = moves.loc[moves["reversed_entry_id"].isin(own), "id"]
            payments = data.payments[data.payments["partner_id"].isin(partners)]
            first = _ids(pd.concat([own, reversing, payments["move_id"]]))
            items = lines.loc[self._items_of(first), "id"]
            touching = partials[partials["debit_move_line_id"].isin(items)
                                | partials["credit_move_line_id"].isin(items)]
            other_items = pd.concat([touching["debit_move_line_id"], touching["credit_move_line_id"]])
            others = lines.loc[lines["id"].isin(other_items), "move_id"]
            self._cache["partner_books"] = self.books(first.union(_ids(others)), payments=payments,
                                                      partials=touching)
        return self._cache["partner_books"]

    def credit_note_books(self) -> AnomalyData:
        """Every customer credit note (the company's usual ratio needs them all) with only the
        invoices it may credit or be re-issued as: the one it reverses, the customer's invoices of
        the same order, and the customer's invoices of the same amount; items of the credit notes."""
        data = self.data
        moves = data.moves
        refunds = moves[moves["move_type"] == "out_refund"]
        invoices = moves[moves["move_type"] == "out_invoice"]
        minor = to_minor(invoices["amount_total_signed"].abs(), data.digits).to_numpy()
        invoices = invoices.assign(minor=minor)
        refund_keys = refunds.assign(minor=to_minor(refunds["amount_total_signed"].abs(), data.digits).to_numpy())
        same_order = invoices.merge(refund_keys[["partner_id", "invoice_origin"]].dropna().drop_duplicates(),
                                    on=["partner_id", "invoice_origin"])["id"]
        same_amount = invoices.merge(refund_keys[["partner_id", "minor"]].dropna().drop_duplicates(),
                                     on=["partner_id", "minor"])["id"]
        reversed_ = invoices.loc[invoices["id"].isin(refunds["reversed_entry_id"]), "id"]
        keep = _ids(pd.concat([refunds["id"], same_order, same_amount, reversed_]))
        return self.books(keep, items_of=_ids(refunds["id"]))

    def manual_books(self) -> AnomalyData:
        """The manual entries, and the entries of the first day of the books (the opening entries)."""
        moves = self.data.moves
        keep = moves["origin"].eq("manual").fillna(False) | (moves["date"] == moves["date"].min())
        return self.books(_ids(moves.loc[keep, "id"]))


# ------------------------------------------------------------------------------------------ per detector

ScopedRun = Callable[[BookCuts, Mapping[str, float], "ScanBaselines | None", Detector], list[Anomaly]]


def _in(scope: Scope, found: Sequence[Anomaly]) -> list[Anomaly]:
    return [anomaly for anomaly in found if scope.touches(anomaly)]


def _vendor_bills(cuts, params, baselines, detector):
    return _in(cuts.data.scope, detector.run(cuts.partner_documents(("in_invoice", "in_refund"), items=False), params))


def _per_partner(cuts, params, baselines, detector):
    return _in(cuts.data.scope, detector.run(cuts.partner_books(), params))


def _amounts(cuts, params, baselines, detector):
    # without a payment in scope no payment finding can touch it: the partners' bills and their items
    # decide the bill findings (each bill against the partner's bills booked to the same account)
    books = cuts.partner_books() if cuts.has_payments() else cuts.partner_documents(("in_invoice",), items=True)
    return _in(cuts.data.scope, detector.run(books, params))


def _credit_notes(cuts, params, baselines, detector):
    return _in(cuts.data.scope, detector.run(cuts.credit_note_books(), params))


def _manual(cuts, params, baselines, detector):
    return _in(cuts.data.scope, detector.run(cuts.manual_books(), params))


def _postings(cuts, params, baselines, detector):
    scope = cuts.data.scope
    moves = pd.Index(sorted(scope.move_ids), dtype="int64")
    return _in(scope, posting_patterns.run_for(cuts.data, params, moves))


def _pairs(cuts, params, baselines, detector):
    scope = cuts.data.scope
    if baselines is None:
        return _in(scope, detector.run(cuts.data, params))
    moves = pd.Index(sorted(scope.move_ids), dtype="int64")
    return _in(scope, rare_accounts.run_for(cuts.data, params, baselines.pair_counts, moves))


#: detector name -> how it runs on a scope (detectors not listed run on all the books)
SCOPED_RUNS: Mapping[str, ScopedRun] = {
    "duplicate_bills": _vendor_bills,
    "amount_outliers": _amounts,
    "payments_without_open_bill": _per_partner,
    "large_credit_notes": _credit_notes,
    "round_amounts": _manual,
    "posting_patterns": _postings,
    "rare_accounts": _pairs,
}

#: detector name -> whether a scope holds a record its findings can cite: a finding of
#: ``duplicate_bills`` cites two vendor bills (or vendor credit notes), of ``amount_outliers`` a
#: vendor bill or a payment, of ``payments_without_open_bill`` a payment, of ``large_credit_notes``
#: a customer credit note and the invoices it credits, of ``round_amounts`` a manual entry, of
#: ``three_way_match`` a purchase order and its bills, of ``unit_cost_jumps`` a valuation layer, its
#: order and its entry; a scope without any of them cannot be touched by one, and the detector has
#: nothing to read
CAN_TOUCH: Mapping[str, Callable[[BookCuts], bool]] = {
    "duplicate_bills": lambda cuts: cuts.has_moves("move_type", ("in_invoice", "in_refund")),
    "amount_outliers": lambda cuts: cuts.has_moves("move_type", ("in_invoice",)) or cuts.has_payments(),
    "payments_without_open_bill": lambda cuts: cuts.has_payments(),
    "large_credit_notes": lambda cuts: cuts.has_moves("move_type", ("out_refund", "out_invoice")),
    "round_amounts": lambda cuts: cuts.has_moves("origin", ("manual",)),
    # a purchase order, the bills charged on its lines (and its receipts, which no scope holds)
    "three_way_match": lambda cuts: bool(cuts.data.scope.order_ids) or cuts.has_purchased_items(),
    # a valuation layer, its purchase order, stock move and accounting entry
    "unit_cost_jumps": lambda cuts: bool(cuts.data.scope.layer_ids or cuts.data.scope.order_ids)
    or cuts.has_valuation_entries(),
}


def run_scoped(detector: Detector, data: AnomalyData, overrides: Mapping[str, float] | None,
               baselines: ScanBaselines | None, cuts: BookCuts | None = None) -> list[Anomaly]:
    """``detector``'s findings that cite a record of ``data.scope``, read from as little of the books
    as decides them (the same findings as a full run, filtered). ``cuts`` shares the cut-down books
    between the detectors of one scan."""
    scope = data.scope
    if scope is None:
        raise ValueError("run_scoped needs data with a scope")
    params = detector.params(overrides)
    if scope.empty:
        return []
    cuts = cuts if cuts is not None and cuts.data is data else BookCuts(data)
    touchable = CAN_TOUCH.get(detector.name)
    if touchable is not None and not touchable(cuts):
        return []
    run = SCOPED_RUNS.get(detector.name)
    if run is None:
        return _in(scope, detector.run(data, params))
    return run(cuts, params, baselines, detector)
