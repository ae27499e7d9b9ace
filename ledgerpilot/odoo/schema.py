"""Schema awareness: each model's ``fields_get`` read once, and which features this Odoo offers.

Field lists are checked against ``fields_get`` before a call, so a missing field is reported as
"account.move.line has no field 'analytic_distribution' on this Odoo (older than 16?)" rather than
as a server traceback. ``fields_get`` is cached for the life of the client and, when a cache folder
is given, on disk keyed by server URL, database, user and server version (a new server version
means a new cache; :meth:`SchemaCache.clear` drops it after installing a module).

Capabilities say which product features this database supports and, when not, why and which
module to install. They are found with one ``ir.model`` query (or ``fields_get`` probes when the
user may not read ``ir.model``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerpilot.odoo.errors import (
    MissingFieldError,
    MissingModuleError,
    OdooAccessError,
    OdooError,
    OdooUserError,
)
from ledgerpilot.odoo.files import atomic_write_json, read_json

#: A model every Odoo has: if ir.model does not list it, ir.model cannot be trusted to list the others.
SENTINEL_MODEL = "res.partner"
FIELD_ATTRIBUTES = ["string", "type", "relation", "required", "readonly", "store", "selection"]

#: Why a well-known field may be missing, shown with the error.
FIELD_HINTS: dict[tuple[str, str], str] = {
    ("account.move.line", "analytic_distribution"): "older than 16?",
    ("account.move.line", "analytic_account_id"): "replaced by analytic_distribution in 16",
    ("account.move.line", "analytic_tag_ids"): "removed in 16",
    ("account.move", "invoice_payment_state"): "renamed payment_state in 14",
    ("account.move", "payment_state"): "older than 14?",
}


@dataclass(frozen=True)
class Feature:
    """A product feature and the models that provide it (any one of them suffices)."""

    name: str
    label: str
    models: tuple[str, ...]
    module: str


FEATURES: tuple[Feature, ...] = (
    Feature("sales", "Sales orders", ("sale.order",), "Sales (sale_management)"),
    Feature("purchase", "Purchase orders", ("purchase.order",), "Purchase (purchase)"),
    Feature("inventory_valuation", "Inventory valuation", ("stock.valuation.layer",),
            "Inventory with automated valuation (stock_account)"),
    Feature("analytic", "Analytic accounting", ("account.analytic.line",), "Analytic Accounting (analytic)"),
    Feature("budgets", "Budgets", ("crossovered.budget", "budget.analytic"),
            "Budget Management (account_budget on Enterprise, or OCA account_budget_oca; budget.analytic on 18+)"),
    Feature("discuss", "Discuss channels", ("discuss.channel", "mail.channel"), "Discuss (mail)"),
    Feature("projects", "Projects", ("project.project",), "Project (project)"),
)
FEATURES_BY_NAME = {feature.name: feature for feature in FEATURES}
MODEL_FEATURE = {model: feature for feature in FEATURES for model in feature.models}


@dataclass(frozen=True)
class FeatureStatus:
    name: str
    label: str
    available: bool
    model: str | None  # the model that provides it here (e.g. discuss.channel on 17, mail.channel on 16)
    reason: str  # why it is (not) available, in words
    module: str


@dataclass(frozen=True)
class Capabilities:
    """What this Odoo database offers: features, and how journal items carry analytics."""

    serie: str
    features: Mapping[str, FeatureStatus]
    analytic_field: str | None  # "analytic_distribution" (16+), "analytic_account_id" (older) or None
    models: frozenset[str] = field(default_factory=frozenset)

    @property
    def available(self) -> list[str]:
        return [name for name, status in self.features.items() if status.available]

    @property
    def unavailable(self) -> list[str]:
        return [name for name, status in self.features.items() if not status.available]

    def __getitem__(self, name: str) -> FeatureStatus:
        return self.features[name]


def _is_unknown_model(error: OdooError, model: str) -> bool:
    # JSON-RPC/XML-RPC: UserError "Object x doesn't exist"; JSON-2: NotFound "the model 'x' does not exist"
    pattern = rf"Object {re.escape(model)} doesn't exist|model '{re.escape(model)}' does not exist"
    return isinstance(error, OdooUserError) and bool(re.search(pattern, error.odoo_message or ""))


class SchemaCache:
    """``fields_get`` per model, in memory and (optionally) on disk, plus the set of installed models."""

    def __init__(self, execute_kw: Callable[[str, str, list, dict], Any], *, cache_dir: Path | None, url: str, db: str, user: str,
                 server_version: str):
        self._execute = execute_kw
        self._fields: dict[str, dict[str, dict]] = {}
        self._missing_models: set[str] = set()
        self._models: frozenset[str] | None = None
        self.path: Path | None = None
        if cache_dir is not None:
            digest = hashlib.sha256(f"{url}\n{db}\n{user}\n{server_version}".encode()).hexdigest()[:20]
            self.path = Path(cache_dir) / "schema" / f"{digest}.json"
            stored = read_json(self.path)
            if isinstance(stored, dict) and stored.get("server_version") == server_version \
                    and stored.get("url") == url and stored.get("db") == db:
                self._fields.update(stored.get("models") or {})
        self._identity = {"url": url, "db": db, "user": user, "server_version": server_version}

    def fields(self, model: str) -> dict[str, dict]:
        """The model's fields (name -> attributes). MissingModuleError / OdooUserError if no such model."""
        cached = self._fields.get(model)
        if cached is not None:
            return cached
        if model in self._missing_models:
            raise self._missing_model_error(model)
        try:
            result = self._execute(model, "fields_get", [], {"attributes": FIELD_ATTRIBUTES})
        except OdooError as error:
            if _is_unknown_model(error, model):
                self._missing_models.add(model)
                raise self._missing_model_error(model) from None
            raise
        self._fields[model] = result
        self._save()
        return result

    def _missing_model_error(self, model: str) -> OdooError:
        feature = MODEL_FEATURE.get(model)
        if feature is not None:
            return MissingModuleError(feature.label, [model], feature.module)
        return OdooUserError(f"model {model} does not exist on this Odoo (is the module that defines it "
                             "installed?)", model=model, odoo_name="odoo.exceptions.UserError",
                             odoo_message=f"Object {model} doesn't exist")

    def _save(self) -> None:
        if self.path is not None:
            atomic_write_json(self.path, {**self._identity, "models": self._fields})

    def clear(self) -> None:
        """Forget every cached schema (memory and disk), e.g. after a module was installed."""
        self._fields.clear()
        self._missing_models.clear()
        self._models = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def check_fields(self, model: str, names: Iterable[str]) -> dict[str, dict]:
        """The attributes of ``names`` on ``model``; MissingFieldError naming any field Odoo lacks."""
        known = self.fields(model)
        wanted = list(names)
        missing = [name for name in wanted if name != "id" and name not in known]
        if missing:
            hints = [FIELD_HINTS[(model, name)] for name in missing if (model, name) in FIELD_HINTS]
            raise MissingFieldError(model, missing, "; ".join(hints) or None)
        return {name: known.get(name, {"type": "integer", "string": "ID"}) for name in wanted}

    def check_domain(self, model: str, domain: Sequence[Any]) -> None:
        """Check the first field of each leaf of ``domain`` (dotted paths are checked one level deep)."""
        names = []
        for leaf in domain:
            if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and isinstance(leaf[0], str):
                names.append(leaf[0].split(".", 1)[0])
        if names:
            self.check_fields(model, dict.fromkeys(names))

    # ---------------------------------------------------------------- models and capabilities

    def installed_models(self, candidates: Sequence[str]) -> frozenset[str]:
        """Which of ``candidates`` exist: one ``ir.model`` query, or ``fields_get`` probes if refused."""
        try:
            asked = [*candidates, SENTINEL_MODEL]
            rows = self._execute("ir.model", "search_read", [[("model", "in", asked)]], {"fields": ["model"]})
            found = frozenset(row["model"] for row in rows)
            if SENTINEL_MODEL in found:  # else ir.model is not usable here (e.g. not filled in): probe
                found -= {SENTINEL_MODEL} - set(candidates)
                self._missing_models.update(set(candidates) - found)
                return found
        except (OdooAccessError, MissingModuleError, OdooUserError):
            pass
        found = set()
        for model in candidates:
            try:
                self.fields(model)
                found.add(model)
            except (MissingModuleError, OdooUserError):
                continue
        return frozenset(found)

    def has_model(self, model: str) -> bool:
        if model in self._fields:
            return True
        if model in self._missing_models:
            return False
        return model in self.installed_models([model])

    def capabilities(self, serie: str) -> Capabilities:
        candidates = sorted({model for feature in FEATURES for model in feature.models} | {"account.move.line"})
        models = self.installed_models(candidates)
        statuses: dict[str, FeatureStatus] = {}
        for feature in FEATURES:
            present = [model for model in feature.models if model in models]
            if present:
                statuses[feature.name] = FeatureStatus(feature.name, feature.label, True, present[0],
                                                       f"model {present[0]} is installed", feature.module)
            else:
                statuses[feature.name] = FeatureStatus(
                    feature.name, feature.label, False, None,
                    f"model(s) {', '.join(feature.models)} not found: install {feature.module}", feature.module)
        analytic_field = None
        if "account.move.line" in models:
            aml_fields = self.fields("account.move.line")
            for name in ("analytic_distribution", "analytic_account_id"):
                if name in aml_fields:
                    analytic_field = name
                    break
        return Capabilities(serie=serie, features=statuses, analytic_field=analytic_field, models=models)


def require(capabilities: Capabilities, feature: str) -> FeatureStatus:
    """The feature's status if available, else MissingModuleError naming the feature and module."""
    if feature not in capabilities.features:
        known = ", ".join(capabilities.features)
        raise ValueError(f"unknown feature {feature!r}; known features: {known}")
    status = capabilities.features[feature]
    if not status.available:
        spec = FEATURES_BY_NAME[feature]
        raise MissingModuleError(spec.label, spec.models, spec.module)
    return status
