"""Odoo 17 accounting rules: journal entries, journal items, posting, numbering, lock dates.

What Odoo stores and computes is kept here, so that reads answer as Odoo's do:

- a journal item copies company, journal, date, state (``parent_state``), number (``move_name``),
  reference and currency from its entry; ``balance``, ``debit``, ``credit`` and
  ``amount_currency`` stay consistent; reconcilable items carry their open ``amount_residual``;
- an entry's ``amount_untaxed``/``amount_tax``/``amount_total`` (and ``*_signed``) and
  ``amount_residual`` come from its items, with Odoo's signs per move type;
- an entry must balance (debits = credits) after every create/write, unless the call's context
  says ``check_move_validity: False`` (Odoo's ``_check_balanced``);
- posting numbers the entry (``sequences.py``) and re-dates a draft inside a locked period;
  changing a posted entry inside the locked period is refused (``lock_dates.py``);
- setting a company lock date while draft entries or unreconciled bank lines lie before it
  raises Odoo's RedirectWarning.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

from ledgerpilot.sandbox import lock_dates, sequences
from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import AccessError, RedirectWarning, UserError
from ledgerpilot.sandbox.values import to_date
from ledgerpilot.sandbox.writes import (
    ModelRules,
    create,
    existing_ids,
    missing_error,
    update_rows,
    write,
)

SALE_TYPES = ("out_invoice", "out_refund", "out_receipt")
PURCHASE_TYPES = ("in_invoice", "in_refund", "in_receipt")
INVOICE_TYPES = SALE_TYPES + PURCHASE_TYPES
INBOUND_TYPES = ("out_invoice", "in_refund", "out_receipt")
RECONCILABLE_TYPES = ("asset_receivable", "liability_payable")

_DRAFT_LABELS = {
    "out_invoice": "Draft Invoice", "out_refund": "Draft Credit Note", "in_invoice": "Draft Bill",
    "in_refund": "Draft Vendor Credit Note", "out_receipt": "Draft Sales Receipt",
    "in_receipt": "Draft Purchase Receipt", "entry": "Draft Entry",
}

_MOVE_COLUMNS = ("id", "name", "state", "move_type", "date", "journal_id", "company_id", "currency_id",
                 "partner_id", "commercial_partner_id", "ref", "invoice_date", "invoice_date_due", "posted_before",
                 "auto_post", "payment_id", "sequence_number", "amount_total")

#: journal item fields whose change on a posted entry is subject to the lock date
_LOCK_PROTECTED_LINE_FIELDS = frozenset({"account_id", "journal_id", "amount_currency", "currency_id", "partner_id",
                                         "debit", "credit", "balance", "date", "price_unit", "quantity", "discount"})
_TAX_LINE_FIELDS = frozenset({"tax_ids", "tax_line_id"})
_AMOUNT_FIELDS = frozenset({"debit", "credit", "balance", "amount_currency", "currency_id", "price_unit", "quantity",
                            "discount", "account_id"})
#: entry fields copied on its items (item field <- entry field)
_SYNCED_LINE_FIELDS = {"date": "date", "journal_id": "journal_id", "company_id": "company_id",
                       "parent_state": "state", "move_name": "name", "ref": "ref", "invoice_date": "invoice_date"}


# -- loading ------------------------------------------------------------------------------------
def load_moves(env: Env, ids: list[int]) -> list[dict[str, Any]]:
    """Entries as dicts (dates as ``date``), in the order of ``ids``; missing ids are left out."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    cur = env.conn.execute(f"SELECT {', '.join(_MOVE_COLUMNS)} FROM account_move WHERE id IN ({marks})", ids)
    rows = {r[0]: dict(zip(_MOVE_COLUMNS, r)) for r in cur.fetchall()}
    out = []
    for i in ids:
        row = rows.get(i)
        if row is not None:
            for key in ("date", "invoice_date", "invoice_date_due"):
                row[key] = to_date(row[key], f"account.move.{key}")
            out.append(row)
    return out


def load_journal(env: Env, journal_id: int | None) -> dict[str, Any] | None:
    if not journal_id:
        return None
    cols = ("id", "code", "type", "name", "refund_sequence", "payment_sequence", "currency_id", "company_id", "active",
            "restrict_mode_hash_table", "default_account_id", "suspense_account_id")
    row = env.conn.execute(f"SELECT {', '.join(cols)} FROM account_journal WHERE id = ?", (journal_id,)).fetchone()
    return dict(zip(cols, row)) if row else None


def company_currency(env: Env, company_id: int) -> dict[str, Any]:
    row = env.conn.execute(
        "SELECT c.id, c.symbol, c.position, c.decimal_places FROM res_company co"
        " JOIN res_currency c ON c.id = co.currency_id WHERE co.id = ?", (company_id,),
    ).fetchone()
    if row is None:
        return {"id": None, "symbol": "", "position": "after", "decimals": 2}
    return {"id": row[0], "symbol": row[1] or "", "position": row[2] or "after",
            "decimals": int(row[3]) if row[3] is not None else 2}


def currency_rate(env: Env, currency_id: int, company_id: int, date: dt.date | None) -> float:
    """Units of ``currency_id`` per unit of company currency on ``date`` (1.0 for the company currency)."""
    if currency_id == company_currency(env, company_id)["id"]:
        return 1.0
    row = env.conn.execute(
        "SELECT rate FROM res_currency_rate WHERE currency_id = ? AND (company_id = ? OR company_id IS NULL)"
        " AND name <= ? ORDER BY name DESC LIMIT 1",
        (currency_id, company_id, (date or dt.date.max).isoformat()),
    ).fetchone()
    return float(row[0]) if row and row[0] else 1.0


def format_amount(amount: float, currency: dict[str, Any]) -> str:
    """Odoo's ``format_amount`` in en_US: ``$\u00a01,200.00`` / ``1,200.00\u00a0€``."""
    text = f"{amount:,.{currency['decimals']}f}"
    if currency["position"] == "before":
        return f"{currency['symbol']}\u00a0{text}"
    return f"{text}\u00a0{currency['symbol']}"


def move_display_name(move: dict[str, Any], show_ref: bool = True) -> str:
    """Odoo's ``_get_move_display_name``: 'Draft Entry (* 25) (ref)', 'MISC/2026/11/0003'."""
    name = ""
    if move["state"] == "draft":
        name += _DRAFT_LABELS.get(move["move_type"] or "entry", "Draft Entry") + " "
    if not move["name"] or move["name"] == "/":
        name += f"(* {move['id']})"
    else:
        name += move["name"]
    if show_ref and move.get("ref"):
        name += f" ({textwrap.shorten(move['ref'], width=50)})"
    return name


def _account(env: Env, account_id: int | None) -> dict[str, Any] | None:
    if not account_id:
        return None
    row = env.conn.execute(
        "SELECT id, account_type, reconcile, deprecated, code FROM account_account WHERE id = ?", (account_id,)
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "account_type": row[1], "reconcile": bool(row[2]), "deprecated": bool(row[3]),
            "code": row[4]}


def _reconcilable(account: dict[str, Any] | None) -> bool:
    return bool(account) and (account["reconcile"] or account["account_type"] in RECONCILABLE_TYPES)


def _direction_sign(move_type: str) -> int:
    return -1 if move_type in INBOUND_TYPES else 1


def _affects_tax(env: Env, move_id: int) -> bool:
    row = env.conn.execute(
        "SELECT 1 FROM account_move_line l WHERE l.move_id = ? AND (l.tax_line_id IS NOT NULL OR EXISTS"
        " (SELECT 1 FROM rel__account_move_line__tax_ids r WHERE r.id1 = l.id)) LIMIT 1", (move_id,),
    ).fetchone()
    return row is not None


# -- journal items --------------------------------------------------------------------------------
def _line_amounts(env: Env, move: dict[str, Any], vals: dict[str, Any], account: dict | None,
                  written: set[str] | None = None) -> dict[str, Any]:
    """Consistent balance/debit/credit/amount_currency (and invoice subtotals) for one item.

    ``written`` is the set of fields the client gave (all of ``vals`` on create).
    """
    given = written if written is not None else set(vals)
    decimals = company_currency(env, move["company_id"])["decimals"]
    company_cur = company_currency(env, move["company_id"])["id"]
    currency_id = vals.get("currency_id") or move["currency_id"] or company_cur
    rate = currency_rate(env, currency_id, move["company_id"], move["date"])
    quantity = float(vals.get("quantity") if vals.get("quantity") not in (None, False) else 1.0)
    price_unit = float(vals.get("price_unit") or 0.0)
    discount = float(vals.get("discount") or 0.0)
    subtotal = round(quantity * price_unit * (1 - discount / 100.0), decimals)
    out: dict[str, Any] = {}
    if "balance" in given:
        balance = float(vals.get("balance") or 0.0)
    elif given & {"debit", "credit"}:
        balance = float(vals.get("debit") or 0.0) - float(vals.get("credit") or 0.0)
    elif "amount_currency" in given and vals.get("amount_currency") not in (None, False):
        balance = float(vals["amount_currency"]) / rate
    elif given & {"price_unit", "quantity", "discount"} and move["move_type"] in INVOICE_TYPES:
        amount_currency = _direction_sign(move["move_type"]) * subtotal
        out["amount_currency"] = amount_currency
        balance = amount_currency / rate
    else:
        balance = float(vals.get("balance") or 0.0)
    balance = round(balance, decimals)
    out.update({"balance": balance, "debit": balance if balance > 0 else 0.0,
                "credit": -balance if balance < 0 else 0.0, "currency_id": currency_id})
    if currency_id == company_cur:
        out["amount_currency"] = balance
    elif "amount_currency" not in out:
        if "amount_currency" in given and vals.get("amount_currency") not in (None, False):
            out["amount_currency"] = round(float(vals["amount_currency"]), decimals)
        else:
            out["amount_currency"] = round(balance * rate, decimals)
    if move["move_type"] in INVOICE_TYPES and (given & {"price_unit", "quantity", "discount"}):
        out["price_subtotal"] = subtotal
        out["price_total"] = subtotal
    if _reconcilable(account):
        out["amount_residual"] = balance
        out["amount_residual_currency"] = out["amount_currency"]
        out["reconciled"] = False
    else:
        out["amount_residual"] = 0.0
        out["amount_residual_currency"] = 0.0
        out["reconciled"] = False
    return out


def _display_type(move: dict[str, Any], vals: dict[str, Any], account: dict | None) -> str:
    """Odoo 17's ``_compute_display_type``."""
    if move["move_type"] not in INVOICE_TYPES:
        return "product"
    if vals.get("tax_line_id"):
        return "tax"
    if account and account["account_type"] in RECONCILABLE_TYPES:
        return "payment_term"
    return "product"


class MoveLineRules(ModelRules):
    def prepare_create(self, env: Env, vals: dict[str, Any]) -> None:
        moves = load_moves(env, [int(vals["move_id"])]) if vals.get("move_id") else []
        if not moves:
            return  # the ORM refuses the missing or unknown move_id
        move = moves[0]
        account = _account(env, vals.get("account_id"))
        for line_field, move_field in _SYNCED_LINE_FIELDS.items():
            vals[line_field] = move[move_field] if move[move_field] is not None else False
        vals["company_currency_id"] = company_currency(env, move["company_id"])["id"]
        if "partner_id" not in vals:
            vals["partner_id"] = move["commercial_partner_id"] or move["partner_id"] or False
        if not vals.get("display_type"):
            vals["display_type"] = _display_type(move, vals, account)
        if vals["display_type"] in ("line_section", "line_note"):
            vals.update({"balance": 0.0, "debit": 0.0, "credit": 0.0, "amount_currency": 0.0})
            vals.setdefault("currency_id", move["currency_id"])
            return
        vals.update(_line_amounts(env, move, vals, account))
        if vals["display_type"] == "payment_term" and not vals.get("date_maturity"):
            vals["date_maturity"] = move["invoice_date_due"] or move["date"]

    def after_create(self, env: Env, ids: list[int]) -> None:
        moves = _move_ids_of_lines(env, ids)
        for move in load_moves(env, sorted(moves)):
            if move["state"] == "posted":  # adding items to a posted entry inside the lock is refused
                lock_dates.check_fiscalyear_lock_date(env, move["company_id"], move["date"], journal_id=move.get("journal_id"))
        env.mark("move_totals", moves)
        env.mark("move_balance", moves)

    def before_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if vals.get("account_id"):
            account = _account(env, vals["account_id"])
            if account and account["deprecated"]:
                raise UserError("You cannot use a deprecated account.")
        rows = _line_rows(env, ids)
        for line in rows:
            changing = _changing_fields(env, line["id"], vals)
            if line["parent_state"] == "posted":
                if vals.keys() & _TAX_LINE_FIELDS:
                    raise UserError("You cannot modify the taxes related to a posted journal item, you should "
                                    "reset the journal entry to draft to do so.")
                if changing & _LOCK_PROTECTED_LINE_FIELDS:
                    move = load_moves(env, [line["move_id"]])[0]
                    lock_dates.check_fiscalyear_lock_date(env, move["company_id"], move["date"], journal_id=move.get("journal_id"))
                    journal = load_journal(env, move["journal_id"])
                    if journal and journal["restrict_mode_hash_table"]:
                        fields = ", ".join(sorted(changing & _LOCK_PROTECTED_LINE_FIELDS))
                        raise UserError(f"You cannot edit the following fields due to restrict mode: {fields}.")
            if changing & (_AMOUNT_FIELDS | {"partner_id"}) and line["reconciled_somehow"]:
                raise UserError(
                    "You cannot do this modification on a reconciled journal entry. You can just change some "
                    "non legal fields or you must unreconcile first.\n"
                    f"Journal Entry (id): {line['move_name'] or '/'} ({line['move_id']})"
                )
        env.mark("move_totals", {r["move_id"] for r in rows})
        env.mark("move_balance", {r["move_id"] for r in rows})

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if "move_id" in vals:
            moves = load_moves(env, [int(vals["move_id"])]) if vals["move_id"] else []
            if moves:
                move = moves[0]
                synced = {f: move[m] for f, m in _SYNCED_LINE_FIELDS.items()}
                synced["company_currency_id"] = company_currency(env, move["company_id"])["id"]
                update_rows(env, "account.move.line", ids, synced)
        if vals.keys() & _AMOUNT_FIELDS:
            cols = ("id", "move_id", "account_id", "debit", "credit", "balance", "amount_currency", "currency_id",
                    "price_unit", "quantity", "discount", "display_type")
            marks = ",".join("?" * len(ids))
            for row in env.conn.execute(f"SELECT {', '.join(cols)} FROM account_move_line WHERE id IN ({marks})", ids):
                line = dict(zip(cols, row))
                if line["display_type"] in ("line_section", "line_note"):
                    continue
                move = load_moves(env, [line["move_id"]])[0]
                amounts = _line_amounts(env, move, line, _account(env, line["account_id"]), set(vals))
                update_rows(env, "account.move.line", [line["id"]], amounts)
        env.mark("move_totals", _move_ids_of_lines(env, ids))
        env.mark("move_balance", _move_ids_of_lines(env, ids))

    def before_unlink(self, env: Env, ids: list[int]) -> None:
        rows = _line_rows(env, ids)
        if any(r["parent_state"] == "posted" for r in rows):
            raise UserError("You cannot delete an item linked to a posted entry.")
        unreconcile_lines(env, ids)
        env.mark("move_totals", {r["move_id"] for r in rows})
        env.mark("move_balance", {r["move_id"] for r in rows})


def _changing_fields(env: Env, line_id: int, vals: dict[str, Any]) -> set[str]:
    """Odoo's ``_field_will_change`` for the scalar fields of one journal item."""
    spec = env.store.registry["account.move.line"]
    names = [n for n in vals if n in spec.fields and spec.fields[n].is_column]
    if not names:
        return set(vals) - set(names)
    row = env.conn.execute(f"SELECT {', '.join(chr(34) + n + chr(34) for n in names)} FROM account_move_line"
                           " WHERE id = ?", (line_id,)).fetchone()
    changing = set(vals) - set(names)
    for name, current in zip(names, row or [None] * len(names)):
        new = vals[name]
        if isinstance(new, (list, tuple)) and new and spec.fields[name].type == "many2one":
            new = new[0]
        if new is False or new is None:
            new = None
        if isinstance(current, float) or isinstance(new, float):
            if round(float(current or 0.0), 6) != round(float(new or 0.0), 6):
                changing.add(name)
        elif current != new:
            changing.add(name)
    return changing


def _line_rows(env: Env, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    cols = ("id", "move_id", "parent_state", "move_name", "full_reconcile_id")
    rows = [dict(zip(cols, r)) for r in env.conn.execute(
        f"SELECT {', '.join(cols)} FROM account_move_line WHERE id IN ({marks})", ids)]
    partial = {r[0] for r in env.conn.execute(
        f"SELECT debit_move_id FROM account_partial_reconcile WHERE debit_move_id IN ({marks})"
        f" UNION SELECT credit_move_id FROM account_partial_reconcile WHERE credit_move_id IN ({marks})", [*ids, *ids])}
    for r in rows:
        r["reconciled_somehow"] = bool(r["full_reconcile_id"]) or r["id"] in partial
    return rows


def _move_ids_of_lines(env: Env, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {r[0] for r in env.conn.execute(
        f"SELECT DISTINCT move_id FROM account_move_line WHERE id IN ({marks}) AND move_id IS NOT NULL", ids)}


def unreconcile_lines(env: Env, line_ids: list[int]) -> None:
    """Odoo's ``remove_move_reconcile``: drop the partial/full reconciliations of these items.

    The counterpart items get back their open residual, and their entries' amounts are recomputed.
    """
    if not line_ids:
        return
    conn = env.conn
    marks = ",".join("?" * len(line_ids))
    partials = conn.execute(
        f"SELECT id, debit_move_id, credit_move_id, full_reconcile_id FROM account_partial_reconcile"
        f" WHERE debit_move_id IN ({marks}) OR credit_move_id IN ({marks})", [*line_ids, *line_ids],
    ).fetchall()
    fulls = {r[3] for r in partials if r[3]}
    fulls |= {r[0] for r in conn.execute(
        f"SELECT DISTINCT full_reconcile_id FROM account_move_line WHERE id IN ({marks})"
        " AND full_reconcile_id IS NOT NULL", line_ids)}
    if not partials and not fulls:
        return
    affected = set(line_ids) | {r[1] for r in partials} | {r[2] for r in partials}
    if fulls:
        fmarks = ",".join("?" * len(fulls))
        affected |= {r[0] for r in conn.execute(
            f"SELECT id FROM account_move_line WHERE full_reconcile_id IN ({fmarks})", list(fulls))}
        conn.execute(f"DELETE FROM account_partial_reconcile WHERE full_reconcile_id IN ({fmarks})", list(fulls))
        conn.execute(f"DELETE FROM account_full_reconcile WHERE id IN ({fmarks})", list(fulls))
    if partials:
        pmarks = ",".join("?" * len(partials))
        conn.execute(f"DELETE FROM account_partial_reconcile WHERE id IN ({pmarks})", [r[0] for r in partials])
    affected_list = sorted(affected)
    amarks = ",".join("?" * len(affected_list))
    update_rows(env, "account.move.line", affected_list, {"full_reconcile_id": None, "matching_number": None})
    for line_id, balance, amount_currency, account_id in conn.execute(
        f"SELECT id, balance, amount_currency, account_id FROM account_move_line WHERE id IN ({amarks})",
        affected_list,
    ).fetchall():
        if not _reconcilable(_account(env, account_id)):
            continue
        debit_side = conn.execute(
            "SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(debit_amount_currency), 0) FROM account_partial_reconcile"
            " WHERE debit_move_id = ?", (line_id,)).fetchone()
        credit_side = conn.execute(
            "SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(credit_amount_currency), 0) FROM account_partial_reconcile"
            " WHERE credit_move_id = ?", (line_id,)).fetchone()
        residual = round((balance or 0.0) - debit_side[0] + credit_side[0], env.company_decimals)
        residual_cur = round((amount_currency or 0.0) - debit_side[1] + credit_side[1], env.company_decimals)
        conn.execute("UPDATE account_move_line SET amount_residual = ?, amount_residual_currency = ?, reconciled = ?"
                     " WHERE id = ?", (residual, residual_cur, 1 if residual == 0 and residual_cur == 0 else 0,
                                       line_id))
    moves = _move_ids_of_lines(env, affected_list)
    env.mark("move_totals", moves)
    if moves:
        mmarks = ",".join("?" * len(moves))
        statement_lines = [r[0] for r in conn.execute(
            f"SELECT id FROM account_bank_statement_line WHERE move_id IN ({mmarks})", list(moves))]
        update_rows(env, "account.bank.statement.line", statement_lines, {"is_reconciled": False})


# -- journal entries ------------------------------------------------------------------------------
def recompute_totals(env: Env, move_ids: set[int]) -> None:
    """Odoo 17's ``_compute_amount`` and a simplified ``payment_state`` for the given entries."""
    ids = sorted(existing_ids(env, "account.move", move_ids))
    if not ids:
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        sums: dict[int, dict[str, list[float]]] = {}
        for move_id, display_type, has_tax_rep, bal, cur, res, res_cur, dbal, dcur in env.conn.execute(
            "SELECT move_id, display_type, MAX(tax_repartition_line_id IS NOT NULL), SUM(balance), SUM(amount_currency),"
            " SUM(amount_residual), SUM(amount_residual_currency), SUM(CASE WHEN debit > 0 THEN balance ELSE 0 END),"
            " SUM(CASE WHEN debit > 0 THEN amount_currency ELSE 0 END)"
            f" FROM account_move_line WHERE move_id IN ({marks}) GROUP BY move_id, display_type", chunk,
        ):
            sums.setdefault(move_id, {})[display_type or "product"] = [bal or 0.0, cur or 0.0, res or 0.0,
                                                                       res_cur or 0.0, dbal or 0.0, dcur or 0.0,
                                                                       has_tax_rep]
        for move in load_moves(env, chunk):
            update_rows(env, "account.move", [move["id"]], _totals(env, move, sums.get(move["id"], {})))


def _totals(env: Env, move: dict[str, Any], groups: dict[str, list]) -> dict[str, Any]:
    d = company_currency(env, move["company_id"])["decimals"]
    untaxed = untaxed_cur = tax = tax_cur = total = total_cur = residual = residual_cur = 0.0
    is_invoice = move["move_type"] in INVOICE_TYPES
    for display_type, (bal, cur, res, res_cur, dbal, dcur, has_tax_rep) in groups.items():
        if is_invoice:
            if display_type == "tax" or (display_type == "rounding" and has_tax_rep):
                tax += bal
                tax_cur += cur
                total += bal
                total_cur += cur
            elif display_type in ("product", "rounding"):
                untaxed += bal
                untaxed_cur += cur
                total += bal
                total_cur += cur
            elif display_type == "payment_term":
                residual += res
                residual_cur += res_cur
        else:
            total += dbal
            total_cur += dcur
    sign = _direction_sign(move["move_type"]) if is_invoice else 1
    amount_total = round(sign * total_cur, d)
    values = {
        "amount_untaxed": round(sign * untaxed_cur, d),
        "amount_tax": round(sign * tax_cur, d),
        "amount_total": amount_total,
        "amount_residual": round(-sign * residual_cur, d) + 0.0,
        "amount_untaxed_signed": round(-untaxed, d) + 0.0,
        "amount_tax_signed": round(-tax, d) + 0.0,
        "amount_total_signed": round(abs(total) if move["move_type"] == "entry" else -total, d) + 0.0,
        "amount_residual_signed": round(residual, d) + 0.0,
        "amount_total_in_currency_signed": round(abs(amount_total) if move["move_type"] == "entry"
                                                 else -(sign * amount_total), d) + 0.0,
    }
    if is_invoice and move["state"] == "posted":
        if values["amount_residual"] == 0 and amount_total != 0:
            values["payment_state"] = "paid"
        elif values["amount_residual"] != amount_total:
            values["payment_state"] = "partial"
        else:
            values["payment_state"] = "not_paid"
    else:
        values["payment_state"] = "not_paid"
    return values


def check_balanced(env: Env, move_ids: set[int]) -> None:
    """Odoo 17's ``_check_balanced``: UserError naming every unbalanced entry."""
    ids = sorted(existing_ids(env, "account.move", move_ids))
    if not ids:
        return
    problems = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for move_id, debit, credit, balance in env.conn.execute(
            f"SELECT move_id, SUM(debit), SUM(credit), SUM(balance) FROM account_move_line"
            f" WHERE move_id IN ({marks}) GROUP BY move_id", chunk,
        ):
            move = load_moves(env, [move_id])[0]
            currency = company_currency(env, move["company_id"])
            if round(balance or 0.0, currency["decimals"]) != 0:
                journal = load_journal(env, move["journal_id"]) or {"name": ""}
                problems.append(
                    f"\n\nThe move ({move_display_name(move)}) is not balanced.\n"
                    f"The total of debits equals {format_amount(round(debit or 0.0, currency['decimals']), currency)}"
                    f" and the total of credits equals "
                    f"{format_amount(round(credit or 0.0, currency['decimals']), currency)}.\n"
                    f"You might want to specify a default account on journal \"{journal['name']}\" to "
                    "automatically balance each move."
                )
    if problems:
        raise UserError("An error has occurred." + "".join(problems))


def _default_journal(env: Env, move_type: str, company_id: int) -> int:
    journal_type = "sale" if move_type in SALE_TYPES else "purchase" if move_type in PURCHASE_TYPES else "general"
    row = env.conn.execute(
        "SELECT id FROM account_journal WHERE type = ? AND company_id = ? AND COALESCE(active, 1) = 1"
        " ORDER BY sequence, type, code, id LIMIT 1", (journal_type, company_id),
    ).fetchone()
    if row is None:
        company = env.conn.execute("SELECT name FROM res_company WHERE id = ?", (company_id,)).fetchone()
        raise UserError(f"No journal could be found in company {company[0] if company else company_id} "
                        f"for any of those types: {journal_type}")
    return int(row[0])


def _commercial_partner(env: Env, partner_id: Any) -> int | None:
    if not partner_id:
        return None
    row = env.conn.execute("SELECT commercial_partner_id FROM res_partner WHERE id = ?", (int(partner_id),)).fetchone()
    return (row[0] if row and row[0] else int(partner_id)) if row else None


def assign_numbers(env: Env, move_ids: list[int]) -> None:
    """Give posted entries still named '/' the next number of their journal, oldest first."""
    moves = [m for m in load_moves(env, move_ids) if m["state"] == "posted" and m["name"] in (None, "", "/")]
    moves.sort(key=lambda m: (m["date"], m["id"]))
    for move in moves:
        journal = load_journal(env, move["journal_id"])
        if journal is None:
            raise UserError(f"The entry {move_display_name(move)} has no journal to take its number from.")
        fiscal = env.conn.execute("SELECT fiscalyear_last_day, fiscalyear_last_month FROM res_company WHERE id = ?",
                                  (move["company_id"],)).fetchone()
        last_day = int(fiscal[0]) if fiscal and fiscal[0] else 31
        last_month = int(fiscal[1]) if fiscal and fiscal[1] else 12
        name, prefix, number = sequences.next_name(env, {**move, "journal": journal}, last_day, last_month)
        update_rows(env, "account.move", [move["id"]],
                    {"name": name, "sequence_prefix": prefix, "sequence_number": number})
        line_ids = [r[0] for r in env.conn.execute("SELECT id FROM account_move_line WHERE move_id = ?", (move["id"],))]
        update_rows(env, "account.move.line", line_ids, {"move_name": name})


class MoveRules(ModelRules):
    def prepare_create(self, env: Env, vals: dict[str, Any]) -> None:
        if vals.get("state") == "posted":
            raise UserError("You cannot create a move already in the posted state. Please create a draft move and "
                            "post it after.")
        move_type = vals.setdefault("move_type", "entry")
        if not vals.get("journal_id"):
            vals["journal_id"] = _default_journal(env, move_type, vals.get("company_id") or env.company_id)
        journal = load_journal(env, vals["journal_id"])
        if journal is not None:
            vals["company_id"] = journal["company_id"] or vals.get("company_id") or env.company_id
        else:
            vals.setdefault("company_id", env.company_id)
        if not vals.get("currency_id"):
            vals["currency_id"] = (journal or {}).get("currency_id") or company_currency(env, vals["company_id"])["id"]
        if not vals.get("date"):
            vals["date"] = vals.get("invoice_date") or env.today.isoformat()
        if move_type in INVOICE_TYPES and not vals.get("invoice_date_due"):
            vals["invoice_date_due"] = vals.get("invoice_date") or vals["date"]
        vals.setdefault("name", "/")
        vals.setdefault("state", "draft")
        vals.setdefault("auto_post", "no")
        vals.setdefault("payment_state", "not_paid")
        vals.setdefault("posted_before", False)
        vals["commercial_partner_id"] = _commercial_partner(env, vals.get("partner_id")) or False
        if "invoice_line_ids" in vals and "line_ids" in vals:
            # both are views of the same items: apply the invoice lines after the others
            vals["line_ids"] = list(vals["line_ids"] or []) + list(vals.pop("invoice_line_ids") or [])

    def after_create(self, env: Env, ids: list[int]) -> None:
        env.mark("move_totals", ids)
        env.mark("move_balance", ids)

    def before_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        new_date = to_date(vals["date"], "account.move.date") if "date" in vals else None
        for move in load_moves(env, ids):
            if "journal_id" in vals and vals["journal_id"] != move["journal_id"]:
                if move["posted_before"]:
                    raise UserError("You cannot edit the journal of an account move if it has been posted once.")
                if move["name"] not in (None, "", "/") and move["sequence_number"] not in (None, 0, 1):
                    raise UserError("You cannot edit the journal of an account move if it already has a sequence "
                                    "number assigned.")
            if move["state"] == "posted" and (("name" in vals and vals["name"] != move["name"])
                                              or ("date" in vals and new_date != move["date"])):
                lock_dates.check_fiscalyear_lock_date(env, move["company_id"], move["date"], journal_id=move.get("journal_id"))
                lock_dates.check_tax_lock_date(env, move["company_id"], move["date"], _affects_tax(env, move["id"]))
            if "state" in vals and move["state"] == "posted" and vals["state"] != "posted":
                lock_dates.check_fiscalyear_lock_date(env, move["company_id"], move["date"], journal_id=move.get("journal_id"))
                lock_dates.check_tax_lock_date(env, move["company_id"], move["date"], _affects_tax(env, move["id"]))
        if "partner_id" in vals:
            vals["commercial_partner_id"] = _commercial_partner(env, vals["partner_id"]) or False
        if "invoice_line_ids" in vals and "line_ids" in vals:
            vals["line_ids"] = list(vals["line_ids"] or []) + list(vals.pop("invoice_line_ids") or [])

    def after_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        if vals.get("state") == "posted":
            assign_numbers(env, ids)
        moves = load_moves(env, ids)
        if "date" in vals or "state" in vals:
            for move in moves:
                if move["state"] == "posted":
                    lock_dates.check_fiscalyear_lock_date(env, move["company_id"], move["date"], journal_id=move.get("journal_id"))
                    lock_dates.check_tax_lock_date(env, move["company_id"], move["date"],
                                                   _affects_tax(env, move["id"]))
        sync_fields = set(_SYNCED_LINE_FIELDS.values()) | {"partner_id", "commercial_partner_id"}
        if vals.keys() & sync_fields:
            for move in moves:
                line_ids = [r[0] for r in env.conn.execute("SELECT id FROM account_move_line WHERE move_id = ?",
                                                           (move["id"],))]
                synced = {f: move[m] for f, m in _SYNCED_LINE_FIELDS.items()}
                if "partner_id" in vals and move["move_type"] in INVOICE_TYPES:
                    synced["partner_id"] = move["commercial_partner_id"]
                update_rows(env, "account.move.line", line_ids, synced)
        env.mark("move_totals", ids)
        env.mark("move_balance", ids)

    def before_unlink(self, env: Env, ids: list[int]) -> None:
        moves = load_moves(env, ids)
        if any(m["state"] == "posted" for m in moves):
            raise UserError("You cannot delete an item linked to a posted entry.")
        if not env.has_group(lock_dates.ACCOUNT_MANAGER):
            for move in moves:
                if move["name"] not in (None, "", "/") and not _is_last_of_chain(env, move):
                    raise UserError("You cannot delete this entry, as it has already consumed a sequence number and "
                                    "is not the last one in the chain. You should probably revert it instead.")
        line_ids = [r[0] for r in env.conn.execute(
            f"SELECT id FROM account_move_line WHERE move_id IN ({','.join('?' * len(ids))})", ids)]
        unreconcile_lines(env, line_ids)

    def finish(self, env: Env) -> None:
        totals = env.pending.pop("move_totals", set())
        balance = env.pending.pop("move_balance", set())
        if balance:
            sync_payment_terms(env, balance)
        if totals | balance:
            recompute_totals(env, totals | balance)
        if balance and env.context.get("check_move_validity", True):
            check_balanced(env, balance)


def sync_payment_terms(env: Env, move_ids: set[int]) -> None:
    """Odoo's dynamic payment-term item of a draft invoice: it always balances the other items.

    An invoice created with product lines only gets its receivable (payable for bills) item, on
    the company's first receivable/payable account, due on the due date; when the product lines
    change, the item follows. Invoices with several payment-term items are left as given.
    """
    ids = sorted(existing_ids(env, "account.move", move_ids))
    for move in load_moves(env, ids):
        if move["move_type"] not in INVOICE_TYPES or move["state"] != "draft":
            continue
        rows = env.conn.execute(
            "SELECT id, display_type, balance FROM account_move_line WHERE move_id = ?"
            " AND COALESCE(display_type, '') NOT IN ('line_section', 'line_note')", (move["id"],)).fetchall()
        decimals = company_currency(env, move["company_id"])["decimals"]
        terms = [r for r in rows if r[1] == "payment_term"]
        target = round(-sum(r[2] or 0.0 for r in rows if r[1] != "payment_term"), decimals) + 0.0
        if not terms and target:
            account_type = "asset_receivable" if move["move_type"] in SALE_TYPES else "liability_payable"
            account = env.conn.execute(
                "SELECT id FROM account_account WHERE company_id = ? AND account_type = ?"
                " AND COALESCE(deprecated, 0) = 0 ORDER BY code LIMIT 1", (move["company_id"], account_type),
            ).fetchone()
            if account is None:
                raise UserError(f"There is no {account_type.replace('_', ' ')} account to put the amount due of "
                                f"{move_display_name(move)} on.")
            create(env, "account.move.line", [{
                "move_id": move["id"], "account_id": account[0], "name": "", "balance": target,
                "display_type": "payment_term", "date_maturity": (move["invoice_date_due"] or move["date"]).isoformat(),
            }], check_access=False)
        elif len(terms) == 1 and round(terms[0][2] or 0.0, decimals) != target:
            write(env, "account.move.line", [terms[0][0]], {"balance": target}, check_access=False)


def _is_last_of_chain(env: Env, move: dict[str, Any]) -> bool:
    row = env.conn.execute(
        "SELECT sequence_prefix, sequence_number FROM account_move WHERE id = ?", (move["id"],)).fetchone()
    prefix, number = row if row else (None, None)
    if prefix is None or number is None:
        return True
    higher = env.conn.execute(
        "SELECT 1 FROM account_move WHERE journal_id = ? AND sequence_prefix = ? AND sequence_number > ? LIMIT 1",
        (move["journal_id"], prefix, number)).fetchone()
    return higher is None


# -- public methods -------------------------------------------------------------------------------
def _existing_moves(env: Env, ids: list[int]) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(ids))
    moves = load_moves(env, ids)
    missing = set(ids) - {m["id"] for m in moves}
    if missing:
        raise missing_error(env, "account.move", missing)
    return moves


def action_post(env: Env, ids: list[int]) -> None:
    """Odoo 17's ``action_post`` -> ``_post(soft=False)``: checks, lock-date re-dating, numbering."""
    moves = _existing_moves(env, ids)
    if not env.has_group("account.group_account_invoice"):
        raise AccessError("You don't have the access rights to post an invoice.")
    for move in moves:
        if move["move_type"] in INVOICE_TYPES:
            if not move["partner_id"]:
                if move["move_type"] in SALE_TYPES:
                    raise UserError("The field 'Customer' is required, please complete it to validate the "
                                    "Customer Invoice.")
                raise UserError("The field 'Vendor' is required, please complete it to validate the Vendor Bill.")
            if (move["amount_total"] or 0.0) < 0:
                raise UserError("You cannot validate an invoice with a negative total amount. You should create a "
                                "credit note instead. Use the action menu to transform it into a credit note or "
                                "refund.")
            if not move["invoice_date"]:
                if move["move_type"] in SALE_TYPES:
                    write(env, "account.move", [move["id"]], {"invoice_date": env.today.isoformat()},
                          check_access=False)
                    move["invoice_date"] = env.today
                else:
                    raise UserError("The Bill/Refund date is required to validate this document.")
    for move in moves:
        if move["state"] == "posted":
            raise UserError(f"The entry {move['name']} (id {move['id']}) is already posted.")
        real_lines = env.conn.execute(
            "SELECT COUNT(*) FROM account_move_line WHERE move_id = ?"
            " AND COALESCE(display_type, '') NOT IN ('line_section', 'line_note')", (move["id"],)).fetchone()[0]
        if not real_lines:
            raise UserError("You need to add a line before posting.")
        if move["auto_post"] not in (None, "no") and move["date"] > env.today:
            raise UserError(f"This move is configured to be auto-posted on {move['date'].strftime('%m/%d/%Y')}")
        journal = load_journal(env, move["journal_id"])
        if journal is not None and journal["active"] is not None and not journal["active"]:
            raise UserError(f"You cannot post an entry in an archived journal ({journal['name']})")
        deprecated = env.conn.execute(
            "SELECT 1 FROM account_move_line l JOIN account_account a ON a.id = l.account_id"
            " WHERE l.move_id = ? AND a.deprecated = 1 LIMIT 1", (move["id"],)).fetchone()
        if deprecated:
            raise UserError("A line of this move is using a deprecated account, you cannot post it.")
        affects_tax = _affects_tax(env, move["id"])
        locks = lock_dates.violated_lock_dates(env, move["company_id"], move["date"], affects_tax,
                                               journal_id=move.get("journal_id"))
        if locks:
            journal_data = {**move, "journal": journal or {"id": move["journal_id"], "code": "", "type": "general",
                                                            "refund_sequence": 0, "payment_sequence": 0}}
            highest = sequences.reference_name(env, journal_data, relaxed=True)
            reset = sequences.number_reset(highest) if highest else None
            new_date = lock_dates.accounting_date(move["invoice_date"] or move["date"], locks, env.today,
                                                  move["move_type"] in SALE_TYPES, reset)
            write(env, "account.move", [move["id"]], {"date": new_date.isoformat()}, check_access=False)
    write(env, "account.move", [m["id"] for m in moves], {"state": "posted", "posted_before": True})


def button_draft(env: Env, ids: list[int]) -> None:
    """Odoo 17's ``button_draft``: unreconcile, remove analytic lines, back to draft (the number stays)."""
    moves = _existing_moves(env, ids)
    if any(m["state"] not in ("cancel", "posted") for m in moves):
        raise UserError("Only posted/cancelled journal entries can be reset to draft.")
    move_ids = [m["id"] for m in moves]
    marks = ",".join("?" * len(move_ids))
    line_ids = [r[0] for r in env.conn.execute(f"SELECT id FROM account_move_line WHERE move_id IN ({marks})",
                                               move_ids)]
    if line_ids:
        lmarks = ",".join("?" * len(line_ids))
        env.conn.execute(f"DELETE FROM account_analytic_line WHERE move_line_id IN ({lmarks})", line_ids)
    unreconcile_lines(env, line_ids)
    write(env, "account.move", move_ids, {"state": "draft", "is_move_sent": False})


def button_cancel(env: Env, ids: list[int]) -> None:
    """Odoo 17's ``button_cancel``: posted entries are reset to draft first, then cancelled."""
    moves = _existing_moves(env, ids)
    posted = [m["id"] for m in moves if m["state"] == "posted"]
    if posted:
        button_draft(env, posted)
    moves = _existing_moves(env, ids)
    if any(m["state"] != "draft" for m in moves):
        raise UserError("Only draft journal entries can be cancelled.")
    write(env, "account.move", [m["id"] for m in moves], {"auto_post": "no", "state": "cancel"})


# -- company lock dates ---------------------------------------------------------------------------
LOCK_DATE_FIELDS = ("fiscalyear_lock_date", "period_lock_date", "tax_lock_date", "hard_lock_date")


class CompanyRules(ModelRules):
    def before_write(self, env: Env, ids: list[int], vals: dict[str, Any]) -> None:
        new_locks = [to_date(vals[f], f"res.company.{f}") for f in LOCK_DATE_FIELDS if vals.get(f)]
        if new_locks:
            validate_lock_date(env, ids, max(new_locks))


def validate_lock_date(env: Env, company_ids: list[int], lock: dt.date) -> None:
    """Odoo's ``_validate_fiscalyear_lock``: RedirectWarning for draft entries or unreconciled bank lines."""
    marks = ",".join("?" * len(company_ids))
    drafts = [r[0] for r in env.conn.execute(
        f"SELECT id FROM account_move WHERE company_id IN ({marks}) AND state = 'draft' AND date <= ?"
        " ORDER BY date DESC, name DESC, id DESC", [*company_ids, lock.isoformat()])]
    if drafts:
        raise RedirectWarning(
            "There are still unposted entries in the period you want to lock. You should either post or delete them.",
            {"view_mode": "tree", "name": "Unposted Entries", "res_model": "account.move",
             "type": "ir.actions.act_window", "domain": [("id", "in", drafts)],
             "views": [[False, "list"], [False, "form"]]},
            "Show unposted entries",
        )
    lines = [r[0] for r in env.conn.execute(
        "SELECT l.id FROM account_bank_statement_line l JOIN account_move m ON m.id = l.move_id"
        f" WHERE m.company_id IN ({marks}) AND COALESCE(l.is_reconciled, 0) = 0 AND m.date <= ?"
        " AND m.state IN ('draft', 'posted') ORDER BY l.internal_index DESC, l.id DESC",
        [*company_ids, lock.isoformat()])]
    if lines:
        raise RedirectWarning(
            "There are still unreconciled bank statement lines in the period you want to lock."
            "You should either reconcile or delete them.",
            {"name": "Unreconciled Transactions", "type": "ir.actions.act_window",
             "res_model": "account.bank.statement.line", "context": {"create": False}, "view_mode": "list,form",
             "domain": [("id", "in", lines)]},
            "Show Unreconciled Bank Statement Line",
        )
