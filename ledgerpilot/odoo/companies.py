"""The company whose books are read: one company at a time.

An Odoo database may hold several companies, and a user who may work in several of them sees all
their records at once unless a call says which company it is for: Odoo's ``env.companies`` is
the context's ``allowed_company_ids`` when given, otherwise every company of the user. A cash
position read that way adds up the banks of every company.

So the gateway reads for one company, the :class:`CompanyScope` of the client:

- the company configured (``LEDGERPILOT_ODOO_COMPANY``: its name or its id), which must be one
  of the user's companies; without one, the user's current company (``res.users.company_id``);
- every call carries ``allowed_company_ids = [that company]`` in its context (so Odoo's own
  multi-company rules apply, record defaults land in that company, and Odoo 19's per-company
  fields such as an account's code are that company's);
- every search on a model with a company field also carries the company in its domain:
  ``('company_id', 'in', [id, False])`` (records shared by all companies have none), or
  ``('company_ids', 'in', [id])`` where the model keeps several (accounts on 18+). The rules
  already restrict a search; the domain says the same thing explicitly, so a server whose rules
  were loosened, or a record rule missing on a custom model, changes nothing.

``res.company`` and ``res.users`` are not filtered by a company field (their company is not an
owner). A read meant to span several companies (an intercompany check needs the other side) asks
for it by name: :meth:`ledgerpilot.odoo.client.OdooClient.for_companies`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledgerpilot.errors import ConfigError
from ledgerpilot.odoo.extract import m2o_id


class ReadingClient(Protocol):
    """What :func:`resolve_company` uses of :class:`ledgerpilot.odoo.client.OdooClient` (which imports
    this module: the client knows companies, companies only this shape of the client)."""

    connection: Any
    uid: int

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str] | None = None, *,
             context: dict | None = None) -> list[dict[str, Any]]: ...

#: models whose company field does not say who owns the record
UNSCOPED_MODELS = frozenset({"res.company", "res.users"})
#: models that take their company from their journal entry (``_inherits`` on 17): not stored there,
#: but searchable on every version
DELEGATED_COMPANY = frozenset({"account.payment", "account.bank.statement.line"})


@dataclass(frozen=True)
class CompanyScope:
    """The company (or companies) a client reads for, and the user's companies."""

    ids: tuple[int, ...]  # the first is the company being analysed (Odoo's env.company)
    name: str  # its name
    user_company_ids: tuple[int, ...]  # every company the user may work in
    configured: bool  # named in the configuration (else the user's current company)

    @property
    def id(self) -> int:
        return self.ids[0]

    @property
    def key(self) -> str:
        """What identifies the scope in cache keys."""
        return ",".join(str(i) for i in self.ids)

    def context(self) -> dict[str, Any]:
        return {"allowed_company_ids": list(self.ids)}

    def domain(self, fields: dict[str, dict], model: str = "") -> list[tuple]:
        """The company leaf for ``model`` with these ``fields`` (empty when it has no company field that
        can be searched: a stored one, or the one a payment or bank line takes from its entry)."""
        company = fields.get("company_id")
        if company and company.get("type") == "many2one" and company.get("relation") == "res.company" \
                and (company.get("store", True) or model in DELEGATED_COMPANY):
            return [("company_id", "in", [*self.ids, False])]
        companies = fields.get("company_ids")
        if companies and companies.get("type") == "many2many" and companies.get("relation") == "res.company":
            return [("company_ids", "in", list(self.ids))]
        return []


def resolve_company(client: ReadingClient, wanted: str | int | None) -> CompanyScope:
    """The company to read for: ``wanted`` (a name or an id) among the user's companies, else the
    user's current company. A :class:`ConfigError` names the companies the user may use when
    ``wanted`` is not one of them."""
    user = client.read("res.users", [client.uid], ["company_id", "company_ids"])
    if not user:
        raise ConfigError(f"Odoo user {client.connection.user!r} cannot read its own user record")
    current = m2o_id(user[0].get("company_id"))
    allowed = [int(i) for i in (user[0].get("company_ids") or [])] or ([current] if current else [])
    rows = client.read("res.company", allowed, ["name"], context={"allowed_company_ids": allowed}) if allowed else []
    names = {int(row["id"]): str(row["name"]) for row in rows}
    if wanted is None or (isinstance(wanted, str) and not wanted.strip()):
        if current is None:
            raise ConfigError(f"Odoo user {client.connection.user!r} has no current company: set "
                              "LEDGERPILOT_ODOO_COMPANY to the company to analyse")
        return CompanyScope((current,), names.get(current, str(current)), tuple(allowed), configured=False)
    chosen = _match(wanted, names)
    if chosen is None:
        listed = ", ".join(f"{name} ({cid})" for cid, name in sorted(names.items())) or "none"
        raise ConfigError(f"LEDGERPILOT_ODOO_COMPANY {str(wanted)!r} is not a company Odoo user "
                          f"{client.connection.user!r} may work in; its companies: {listed}")
    return CompanyScope((chosen,), names[chosen], tuple(allowed), configured=True)


def _match(wanted: str | int, names: dict[int, str]) -> int | None:
    text = str(wanted).strip()
    if text.isdigit():
        return int(text) if int(text) in names else None
    folded = text.casefold()
    exact = [cid for cid, name in names.items() if name.casefold() == folded]
    return exact[0] if len(exact) == 1 else None


def scoped_domain(scope: CompanyScope | None, model: str, fields: dict[str, dict],
                  domain: Sequence[Any]) -> list:
    """``domain`` restricted to the scope's companies (unchanged for unscoped models or no scope)."""
    if scope is None or model in UNSCOPED_MODELS:
        return list(domain)
    return [*scope.domain(fields, model), *domain]
