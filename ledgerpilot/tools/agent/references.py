"""Names people use -> the Odoo records behind them, for the propose tools: account codes, a journal, a
partner, a user's login, a record reference ("INV/2026/00012", "P00042", a partner's name).

Every lookup is a handful of ``search_read`` calls with a limit, never one call per record. What does
not resolve, or resolves to several records, is a :class:`~ledgerpilot.tools.agent.toolkit.ToolError` that
names what was asked and what exists, so the model (or the person) can ask again precisely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerpilot.calc.anomalies.alerts import MAIL_MODELS
from ledgerpilot.domain.proposal import RecordRef
from ledgerpilot.odoo.extract import m2o_id
from ledgerpilot.tools.agent.toolkit import ToolError

CANDIDATES_SHOWN = 5
#: "account.move,42", "account.move 42" or "account.move:42": a record named by model and id
_MODEL_ID = re.compile(r"^\s*([a-z_]+(?:\.[a-z_]+)+)\s*[,: ]\s*(\d+)\s*$")


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    currency: str
    digits: int
    lock_date: str | None             # the latest lock date that stops a miscellaneous entry, ISO, when one is set


def company(client) -> Company:
    """The analysed company, its currency's decimals and the lock date that stops a miscellaneous entry
    (fiscal-year lock; on 17 also the period lock; on 18+ also the hard lock)."""
    from ledgerpilot.odoo.lock_dates import entry_lock_date, read_lock_dates
    from ledgerpilot.tools.ledger.overview import company_info

    info = company_info(client)
    lock = entry_lock_date(read_lock_dates(client, info.id), "general")
    return Company(id=info.id, name=info.name, currency=info.currency, digits=info.currency_digits,
                   lock_date=lock.isoformat() if lock else None)


def company_of(ctx) -> Company:
    """:func:`company` once per tool context."""
    return ctx.memo(("company_with_lock_date",), lambda: company(ctx.client))


def _listing(values: Iterable[str]) -> str:
    shown = [v for v in values if v][:CANDIDATES_SHOWN]
    return ", ".join(shown) if shown else "none"


def _account_companies(row: dict[str, Any]) -> set[int] | None:
    """The companies an account belongs to (17: its ``company_id``; 18+: ``company_ids``); None: shared."""
    if "company_ids" in row:
        return {int(i) for i in row["company_ids"] or ()} or None
    company = m2o_id(row.get("company_id"))
    return {company} if company is not None else None


# -------------------------------------------------------------------------------------------- accounts


def accounts_by_code(client, codes: Sequence[str], company_id: int) -> dict[str, dict[str, Any]]:
    """code -> {"id", "code", "name"} for every code, all of them of ``company_id`` and not deprecated.

    Up to 17 an account has one company (``company_id``) and may be ``deprecated``; from 18 it may be
    shared by several companies (``company_ids``), its code is the company's, and a retired account is
    archived (``active`` false). Both are read as this Odoo has them.
    """
    wanted = sorted({c.strip() for c in codes})
    known = client.fields_get("account.account")
    extra = [name for name in ("deprecated", "active", "company_id", "company_ids") if name in known]
    rows = client.search_read("account.account", [("code", "in", wanted)], ["code", "name", *extra],
                              context={"active_test": False})
    mine = [row for row in rows if _account_companies(row) is None or company_id in _account_companies(row)]
    for row in mine:
        row["deprecated"] = bool(row.get("deprecated")) or row.get("active") is False
    found = {str(row["code"]): row for row in mine}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise ToolError(f"no account with code {', '.join(missing)} in the company's chart of accounts; give "
                        "account codes as the chart lists them (e.g. 600000)")
    deprecated = [f"{row['code']} {row['name']}" for row in found.values() if row.get("deprecated")]
    if deprecated:
        raise ToolError(f"account {', '.join(deprecated)} is deprecated (archived): Odoo accepts no new entries on it; "
                        "choose the account that replaced it")
    return {code: {"id": int(row["id"]), "code": code, "name": str(row["name"])} for code, row in found.items()}


# --------------------------------------------------------------------------------------------- journals


def journal(client, text: str | None, company_id: int) -> dict[str, Any]:
    """The journal named by code or name; without one, the miscellaneous-operations journal adjusting
    entries use (as the close does)."""
    import pandas as pd

    from ledgerpilot.tools.close.accruals import misc_journal

    rows = client.search_read("account.journal", [], ["code", "name", "type", "sequence", "company_id"])
    rows = [row for row in rows if m2o_id(row.get("company_id")) in (None, company_id)]
    if text is None or not text.strip():
        frame = pd.DataFrame(rows, columns=["id", "code", "name", "type", "sequence"])
        chosen = misc_journal(client, frame, company_id, None)
        if chosen is None:
            raise ToolError("the company has no general journal for adjusting entries; name the journal to use")
        return {"id": chosen[0], "name": chosen[1],
                "code": next(str(r["code"]) for r in rows if int(r["id"]) == chosen[0])}
    wanted = text.strip().casefold()
    matches = [row for row in rows if str(row["code"]).casefold() == wanted or str(row["name"]).casefold() == wanted]
    if len(matches) != 1:
        known = _listing(f"{row['code']} ({row['name']})" for row in rows)
        raise ToolError(f"no journal {text!r}; the journals are: {known}" if not matches else
                        f"journal {text!r} matches several journals: {_listing(r['code'] for r in matches)}")
    row = matches[0]
    return {"id": int(row["id"]), "code": str(row["code"]), "name": str(row["name"])}


# --------------------------------------------------------------------------------------------- partners


def partner(client, text: str) -> RecordRef:
    """The one partner called ``text`` (exactly, ignoring case), else the one whose name contains it."""
    wanted = text.strip()
    if not wanted:
        raise ToolError("the partner's name is empty")
    rows = client.search_read("res.partner", [("name", "=ilike", wanted)], ["name"], limit=CANDIDATES_SHOWN + 1)
    exact = [row for row in rows if str(row["name"]).casefold() == wanted.casefold()]
    if not exact:
        exact = client.search_read("res.partner", [("name", "ilike", wanted)], ["name"],
                                   limit=CANDIDATES_SHOWN + 1)
    if len(exact) == 1:
        return RecordRef(model="res.partner", id=int(exact[0]["id"]), name=str(exact[0]["name"]))
    if not exact:
        raise ToolError(f"no partner named {wanted!r}; give the partner's name as Odoo shows it")
    raise ToolError(f"partner {wanted!r} matches several partners ({_listing(str(r['name']) for r in exact)}); "
                    "give the full name")


# ------------------------------------------------------------------------------------------------ users


def user_by_login(client, login: str) -> RecordRef:
    """The Odoo user with login ``login`` (ignoring case)."""
    wanted = login.strip()
    rows = client.search_read("res.users", [("login", "=ilike", wanted)], ["login", "name"], limit=2)
    rows = [row for row in rows if str(row["login"]).casefold() == wanted.casefold()]
    if len(rows) != 1:
        known = client.search_read("res.users", [], ["login"], limit=20, order="login")
        raise ToolError(f"no Odoo user with login {wanted!r}; logins: {_listing(str(r['login']) for r in known)}")
    return RecordRef(model="res.users", id=int(rows[0]["id"]), name=str(rows[0]["name"]))


# ---------------------------------------------------------------------------------------------- records


def _by_model_and_id(client, model: str, record_id: int) -> RecordRef:
    if model not in MAIL_MODELS:
        raise ToolError(f"{model} records have no chatter for activities and notes; the models that do are: "
                        f"{', '.join(MAIL_MODELS)}")
    rows = client.read(model, [record_id], ["display_name"])
    if not rows:
        raise ToolError(f"there is no {model} with id {record_id}")
    return RecordRef(model=model, id=record_id, name=str(rows[0].get("display_name") or ""))


def record(client, reference: str) -> RecordRef:
    """The one record (with a chatter) that ``reference`` names, found as ``find_record`` finds it (number,
    then references, then part of a number or name), or given as ``model,id``."""
    from ledgerpilot.tools.agent.lookup import find_records, pick

    text = (reference or "").strip()
    if not text:
        raise ToolError("the record reference is empty; give e.g. an invoice number, P00042 or a partner's name")
    if match := _MODEL_ID.match(text):
        return _by_model_and_id(client, match.group(1), int(match.group(2)))
    found = find_records(client, text).found
    if not found:
        raise ToolError(f"no invoice, bill, entry, payment, order or partner is called {text!r}; give its number "
                        "(e.g. INV/2026/00012, P00042) or the partner's exact name")
    chosen, others = pick(found)
    if chosen is None:
        listed = _listing(f"{f.label()} ({f.model},{f.id})" for f in others)
        raise ToolError(f"{text!r} names several records: {listed}; give the one meant by its number or as "
                        "model,id (e.g. account.move,42)")
    if chosen.model not in MAIL_MODELS:
        raise ToolError(f"{chosen.label()} is a {chosen.model} record, which has no chatter")
    return RecordRef(model=chosen.model, id=chosen.id, name=chosen.name)
