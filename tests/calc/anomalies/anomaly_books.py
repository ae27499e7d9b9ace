"""Small hand-built books for anomaly detector tests: :class:`AnomalyBooks` -> ``AnomalyData``.

The builder keeps Odoo's shapes (signs, origins, journal types, reconciliation through partials) so
a detector tested here reads the same columns as on a real extraction. Every method returns the id
of what it created; ids are unique per model. Timestamps (``created``) default to 10:00 on the
accounting date; pass ``created=dt.datetime(...)`` for odd-hour or weekend cases.

Usage::

    from tests.calc.anomalies.anomaly_books import AnomalyBooks, d

    books = AnomalyBooks(today=d("2025-06-30"))
    acme = books.partner("Acme Supplies")
    first = books.bill(acme, 1843.20, date=d("2025-03-06"), ref="DUP-7781")
    second = books.bill(acme, 1843.20, date=d("2025-03-14"), ref="dup 7781")
    books.payment(acme, 1843.20, date=d("2025-04-01"), bills=[first])      # reconciles the first bill
    rent = books.partner("Landlord")
    for month in range(1, 7):
        books.bill(rent, 5000.00, date=d(f"2025-{month:02d}-01"), ref=f"RENT-{month}", account="611000")
    books.entry([("600000", 10000.0), ("212000", -10000.0)], date=d("2025-02-24"), user="controller")
    customer = books.partner("Bright Retail")
    sale = books.invoice(customer, 4200.0, date=d("2025-01-10"), salesperson="sales")
    books.credit_note(customer, 3780.0, date=d("2025-01-19"), reversed_entry=sale, salesperson="sales")
    po_line = books.purchase_line(acme, "Widget", qty=100, price=7.5, received=80, invoiced=100,
                                  date=d("2025-04-14"))
    books.receipt(po_line, 80, date=d("2025-04-16"))
    books.layer("Widget", quantity=80, unit_cost=24.0, created=dt.datetime(2025, 4, 16, 11), purchase_line=po_line)

    data = books.data()                                          # full scan
    data = books.data(since=dt.datetime(2025, 4, 1))             # incremental: Scope from the timestamps
    data = books.data(unavailable={"valuation_layers": "stock is not installed"})   # frame emptied

``books.accounts[code]`` and ``books.journals[code]`` give the ids of the demo-like chart
(``211000`` payable, ``121000`` receivable, ``600000`` expenses, ``400000`` sales, journals
``INV``, ``BILL``, ``MISC``, ``STJ``, ``BNK1``). Users are created on first mention by login.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ledgerpilot.calc.anomalies.frames import FRAMES, AnomalyData, Scope, conform, empty_frame

CHART: dict[str, str] = {
    "101401": "asset_cash", "101402": "asset_current", "101403": "asset_current", "101404": "asset_current",
    "110100": "asset_current", "110200": "asset_current", "121000": "asset_receivable",
    "131000": "asset_current", "211000": "liability_payable", "212000": "liability_current",
    "251000": "liability_current", "252000": "liability_current", "400000": "income",
    "500000": "expense_direct_cost", "600000": "expense", "611000": "expense", "612000": "expense",
    "614000": "expense",
}
JOURNAL_TYPES: dict[str, str] = {"INV": "sale", "BILL": "purchase", "MISC": "general", "STJ": "general",
                                 "BNK1": "bank"}


def d(text: str) -> dt.date:
    """``"2025-03-06"`` -> a date (short for tests)."""
    return dt.date.fromisoformat(text)


def _stamp(day: dt.date, created: dt.datetime | None) -> dt.datetime:
    return created if created is not None else dt.datetime.combine(day, dt.time(10, 0))


class AnomalyBooks:
    """A growing set of books of one company; :meth:`data` turns it into ``AnomalyData``."""

    def __init__(self, today: dt.date = dt.date(2025, 6, 30), *, company: str = "Demo Company",
                 currency: str = "EUR", digits: int = 2) -> None:
        self.today, self.company, self.currency, self.digits = today, company, currency, digits
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in FRAMES}
        self._next: dict[str, int] = {}
        self.accounts = {code: index + 1 for index, code in enumerate(CHART)}
        self.journals = {code: index + 1 for index, code in enumerate(JOURNAL_TYPES)}
        self.partners: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.orders: dict[str, int] = {}
        self.rows["companies"].append({"id": 1, "name": company, "partner_id": self.partner(company)})
        self.user("admin")

    # -- identities -------------------------------------------------------------------------------
    def _id(self, model: str) -> int:
        self._next[model] = self._next.get(model, 0) + 1
        return self._next[model]

    def partner(self, name: str) -> int:
        """The id of partner ``name`` (created on first use)."""
        return self.partners.setdefault(name, len(self.partners) + 1)

    def partner_name(self, partner_id: int | None) -> str | None:
        return next((name for name, pid in self.partners.items() if pid == partner_id), None)

    def product(self, name: str) -> int:
        return self.products.setdefault(name, len(self.products) + 1)

    def user(self, login: str) -> int:
        """The id of user ``login`` (created on first use)."""
        if login not in self.users:
            self.users[login] = len(self.users) + 1
            self.rows["users"].append({"id": self.users[login], "login": login, "name": login.title()})
        return self.users[login]

    # -- journal entries --------------------------------------------------------------------------
    def move(self, lines: Sequence[tuple[str, float] | tuple[str, float, str]], *, date: dt.date,
             journal: str = "MISC", move_type: str = "entry", origin: str = "manual", partner: int | None = None,
             ref: str | None = None, user: str = "admin", created: dt.datetime | None = None,
             written: dt.datetime | None = None, state: str = "posted", salesperson: str | None = None,
             reversed_entry: int | None = None, invoice_origin: str | None = None,
             payment_state: str = "not_paid", amount_signed: float | None = None,
             line_extra: Mapping[int, Mapping[str, Any]] | None = None) -> int:
        """Any entry: ``lines`` are ``(account_code, balance[, label])`` and must balance."""
        total = round(sum(line[1] for line in lines), 6)
        if abs(total) > 0.005:
            raise ValueError(f"entry does not balance: debits - credits = {total}")
        move_id = self._id("account.move")
        stamp = _stamp(date, created)
        if amount_signed is None:
            amount_signed = round(sum(line[1] for line in lines if line[1] > 0), self.digits)
        self.rows["moves"].append({
            "id": move_id, "name": f"{journal}/{date.year}/{move_id:05d}" if state == "posted" else "/",
            "ref": ref, "move_type": move_type, "state": state, "date": date,
            "invoice_date": date if move_type != "entry" else None, "journal_id": self.journals[journal],
            "journal_code": journal, "journal_type": JOURNAL_TYPES[journal], "partner_id": partner,
            "partner_name": self.partner_name(partner), "amount_untaxed_signed": amount_signed,
            "amount_total_signed": amount_signed, "currency": self.currency, "invoice_origin": invoice_origin,
            "reversed_entry_id": reversed_entry, "create_uid": self.user(user), "create_date": stamp,
            "write_date": written or stamp, "invoice_user_id": self.user(salesperson) if salesperson else None,
            "invoice_user_name": salesperson.title() if salesperson else None, "company_id": 1,
            "payment_state": payment_state if move_type != "entry" else None, "origin": origin,
            "create_login": user,
        })
        for index, line in enumerate(lines):
            code, balance = line[0], line[1]
            row = {"id": self._id("account.move.line"), "move_id": move_id, "account_id": self.accounts[code],
                   "account_code": code, "account_type": CHART[code], "partner_id": partner,
                   "balance": balance, "name": line[2] if len(line) > 2 else ref, "product_id": None,
                   "quantity": 1.0, "price_unit": abs(balance), "date": date,
                   "journal_id": self.journals[journal], "display_type": "product", "purchase_line_id": None,
                   "company_id": 1}
            if CHART[code] in ("liability_payable", "asset_receivable"):
                row["display_type"] = "payment_term"
            row.update((line_extra or {}).get(index, {}))
            self.rows["lines"].append(row)
        return move_id

    def entry(self, lines: Sequence[tuple[str, float] | tuple[str, float, str]], *, date: dt.date,
              user: str = "admin", journal: str = "MISC", **extra: Any) -> int:
        """A manual journal entry typed by ``user``."""
        return self.move(lines, date=date, user=user, journal=journal, **extra)

    def bill(self, vendor: int, amount: float, *, date: dt.date, ref: str | None = None,
             account: str = "600000", user: str = "ap", product: str | None = None, quantity: float = 1.0,
             purchase_line: int | None = None, **extra: Any) -> int:
        """A vendor bill of ``amount`` (no tax): expense debit, payable credit; Odoo's sign (negative)."""
        amount = round(amount, self.digits)
        product_line: dict[str, Any] = {"quantity": quantity, "price_unit": round(amount / quantity, 6)}
        if product is not None:
            product_line["product_id"] = self.product(product)
        if purchase_line is not None:
            product_line["purchase_line_id"] = purchase_line
        return self.move([(account, amount), ("211000", -amount)], date=date, journal="BILL",
                         move_type="in_invoice", origin="bill", partner=vendor, ref=ref, user=user,
                         amount_signed=-amount, line_extra={0: product_line}, **extra)

    def vendor_refund(self, vendor: int, amount: float, *, date: dt.date, reversed_entry: int | None = None,
                      account: str = "600000", user: str = "ap", **extra: Any) -> int:
        amount = round(amount, self.digits)
        return self.move([("211000", amount), (account, -amount)], date=date, journal="BILL",
                         move_type="in_refund", origin="vendor_refund", partner=vendor, user=user,
                         reversed_entry=reversed_entry, amount_signed=amount, **extra)

    def invoice(self, customer: int, amount: float, *, date: dt.date, salesperson: str | None = None,
                user: str = "billing", invoice_origin: str | None = None, **extra: Any) -> int:
        """A customer invoice: receivable debit, sales credit; Odoo's sign (positive)."""
        amount = round(amount, self.digits)
        return self.move([("121000", amount), ("400000", -amount)], date=date, journal="INV",
                         move_type="out_invoice", origin="invoice", partner=customer, user=user,
                         salesperson=salesperson, invoice_origin=invoice_origin, amount_signed=amount, **extra)

    def credit_note(self, customer: int, amount: float, *, date: dt.date, reversed_entry: int | None = None,
                    salesperson: str | None = None, user: str = "billing", **extra: Any) -> int:
        """A customer credit note, optionally reversing ``reversed_entry``; Odoo's sign (negative)."""
        amount = round(amount, self.digits)
        return self.move([("400000", amount), ("121000", -amount)], date=date, journal="INV",
                         move_type="out_refund", origin="refund", partner=customer, user=user,
                         salesperson=salesperson, reversed_entry=reversed_entry, amount_signed=-amount, **extra)

    # -- payments ---------------------------------------------------------------------------------
    def payment(self, partner: int, amount: float, *, date: dt.date, bills: Iterable[int] = (),
                payment_type: str = "outbound", partner_type: str = "supplier", ref: str | None = None,
                user: str = "ap", created: dt.datetime | None = None, written: dt.datetime | None = None,
                state: str = "posted") -> int:
        """A payment of ``amount`` (positive); reconciled in full with each of ``bills`` (partials)."""
        amount = round(amount, self.digits)
        outbound = payment_type == "outbound"
        control = "211000" if partner_type == "supplier" else "121000"
        lines = [(control, amount if outbound else -amount), ("101404" if outbound else "101403",
                                                              -amount if outbound else amount)]
        move_id = self.move(lines, date=date, journal="BNK1", origin="payment", partner=partner, ref=ref,
                            user=user, created=created, written=written, state=state, amount_signed=amount)
        payment_id = self._id("account.payment")
        stamp = _stamp(date, created)
        self.rows["payments"].append({
            "id": payment_id, "move_id": move_id, "name": f"PAY/{date.year}/{payment_id:05d}", "date": date,
            "partner_id": partner, "partner_name": self.partner_name(partner), "partner_type": partner_type,
            "payment_type": payment_type, "amount": amount, "ref": ref, "state": state, "create_date": stamp})
        control_line = next(row for row in self.rows["lines"]
                            if row["move_id"] == move_id and row["account_code"] == control)
        for bill_id in bills:
            self.reconcile(control_line["id"], bill_id, date=date)
        return payment_id

    def reconcile(self, payment_line: int, move_id: int, *, date: dt.date) -> int:
        """Match the payable/receivable item of ``move_id`` with item ``payment_line`` (full amount)."""
        target = next(row for row in self.rows["lines"]
                      if row["move_id"] == move_id and row["display_type"] == "payment_term")
        pay = next(row for row in self.rows["lines"] if row["id"] == payment_line)
        debit, credit = (pay, target) if pay["balance"] > 0 else (target, pay)
        partial_id = self._id("account.partial.reconcile")
        self.rows["partials"].append({"id": partial_id, "debit_move_line_id": debit["id"],
                                      "credit_move_line_id": credit["id"],
                                      "amount": round(abs(target["balance"]), self.digits), "max_date": date})
        for row in self.rows["moves"]:
            if row["id"] == move_id:
                row["payment_state"] = "paid"
        return partial_id

    # -- purchases and inventory ------------------------------------------------------------------
    def purchase_line(self, vendor: int, product: str, *, qty: float, price: float, date: dt.date,
                      received: float | None = None, invoiced: float | None = None, order: str | None = None,
                      state: str = "purchase") -> int:
        """A purchase order line (its order ``order`` created on first use, named ``P000n`` by default)."""
        if order is None:
            order = f"P{len(self.orders) + 1:05d}"
        order_id = self.orders.setdefault(order, len(self.orders) + 1)
        line_id = self._id("purchase.order.line")
        self.rows["purchase_lines"].append({
            "id": line_id, "order_id": order_id, "order_name": order, "partner_id": vendor,
            "product_id": self.product(product), "product_name": product, "product_qty": qty,
            "qty_received": qty if received is None else received,
            "qty_invoiced": qty if invoiced is None else invoiced, "price_unit": price,
            "date_order": dt.datetime.combine(date, dt.time(9, 0)), "state": state,
            "partner_name": self.partner_name(vendor)})
        return line_id

    def receipt(self, purchase_line: int, quantity: float, *, date: dt.date) -> int:
        """A done incoming stock move of ``purchase_line``."""
        product_id = next(row["product_id"] for row in self.rows["purchase_lines"] if row["id"] == purchase_line)
        receipt_id = self._id("stock.move")
        self.rows["receipts"].append({"id": receipt_id, "purchase_line_id": purchase_line,
                                      "product_id": product_id, "quantity": quantity, "date": date})
        return receipt_id

    def layer(self, product: str, *, quantity: float, unit_cost: float, created: dt.datetime,
              purchase_line: int | None = None, stock_move: int | None = None,
              description: str | None = None) -> int:
        """A stock valuation layer (a receipt when ``quantity`` > 0)."""
        layer_id = self._id("stock.valuation.layer")
        self.rows["valuation_layers"].append({
            "id": layer_id, "product_id": self.product(product), "product_name": product, "create_date": created,
            "quantity": quantity, "unit_cost": unit_cost, "value": round(quantity * unit_cost, self.digits),
            "stock_move_id": stock_move, "purchase_line_id": purchase_line,
            "description": description or product, "account_move_id": None})
        return layer_id

    # -- result -----------------------------------------------------------------------------------
    def frame(self, name: str) -> pd.DataFrame:
        rows = self.rows[name]
        return conform(name, pd.DataFrame(rows, columns=list(FRAMES[name]))) if rows else empty_frame(name)

    def scope_since(self, since: dt.datetime) -> Scope:
        """What a loader would find created or written after ``since`` in these books."""
        moves = self.frame("moves")
        changed = moves.loc[(moves["create_date"] > since) | (moves["write_date"] > since), "id"]
        move_ids = frozenset(int(i) for i in changed)
        lines = self.frame("lines")
        payments = self.frame("payments")
        layers = self.frame("valuation_layers")
        order_lines = self.frame("purchase_lines")
        return Scope(
            since=since, move_ids=move_ids,
            line_ids=frozenset(int(i) for i in lines.loc[lines["move_id"].isin(move_ids), "id"]),
            payment_ids=frozenset(int(i) for i in payments.loc[(payments["create_date"] > since)
                                                               | payments["move_id"].isin(move_ids), "id"]),
            layer_ids=frozenset(int(i) for i in layers.loc[layers["create_date"] > since, "id"]),
            order_ids=frozenset(int(i) for i in order_lines.loc[order_lines["date_order"] > since, "order_id"]))

    def data(self, *, since: dt.datetime | None = None, scope: Scope | None = None,
             unavailable: Mapping[str, str] | None = None) -> AnomalyData:
        """The books as ``AnomalyData``; ``since`` derives the scope, ``unavailable`` empties frames."""
        unavailable = dict(unavailable or {})
        frames = {name: empty_frame(name) if name in unavailable else self.frame(name) for name in FRAMES}
        if since is not None:
            scope = self.scope_since(since)
        return AnomalyData(company_name=self.company, currency=self.currency, digits=self.digits,
                           today=self.today, scope=scope, unavailable=unavailable, **frames)
