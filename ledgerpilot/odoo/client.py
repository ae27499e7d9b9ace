"""``OdooClient``: the one object the product uses to talk to an Odoo database.

Reads are the everyday path: ``search``, ``search_count``, ``search_read`` (always with explicit
fields), ``read``, ``read_group`` and the DataFrame extractions ``extract`` / ``read_group_df``.
Every call goes through the retry policy (:mod:`ledgerpilot.odoo.retry`), and field names are
checked against the cached schema first, so a missing field or module is a clear message.

The write methods (``create``, ``write``, ``unlink``, ``call``) exist for the approval machinery,
which alone may change data in Odoo: it checks the approval and adds idempotency keys first.

One company at a time (:mod:`ledgerpilot.odoo.companies`): once :func:`ledgerpilot.odoo.connect`
has set ``client.company``, every call carries that company in ``allowed_company_ids`` and every
search on a model with a company field is restricted to it; :meth:`OdooClient.for_companies` is a
client over several companies, for the reads that need the other side of an intercompany flow.

``pull_hook`` (optional, e.g. :meth:`ledgerpilot.memory.audit.AuditLog.pull_hook`) is told of every
read that brings records back -- ``search``, ``search_read``, ``read``, ``read_group`` and each
``extract`` -- once per call with the model, the method and how many rows came back, so an audit log
can record every data pull without one entry per row.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

import pandas as pd

from ledgerpilot.config import OdooConnection
from ledgerpilot.odoo.companies import CompanyScope, scoped_domain
from ledgerpilot.odoo.errors import GatewayUsageError
from ledgerpilot.odoo.extract import ColumnSpec, ProgressCallback, extract_frame, read_group_frame
from ledgerpilot.odoo.retry import DEFAULT_RETRY, READ_METHODS, RetryPolicy, call_with_retry
from ledgerpilot.odoo.schema import Capabilities, FeatureStatus, SchemaCache, require
from ledgerpilot.odoo.transports.base import Transport

Domain = Sequence[Any]
#: ``hook(model, method, rows)`` called after each read that returned rows (see the module doc)
PullHook = Callable[[str, str, int], None]


def _paging(offset: int, limit: int | None, order: str | None) -> dict[str, Any]:
    """The ``offset``/``limit``/``order`` keywords of a search, only those that were given."""
    kwargs: dict[str, Any] = {"offset": offset} if offset else {}
    if limit is not None:
        kwargs["limit"] = limit
    if order:
        kwargs["order"] = order
    return kwargs


def version_major(version_info: Sequence[Any]) -> int:
    """The major version from ``server_version_info`` ([17, 0, ...] or ['saas~17', 2, ...])."""
    match = re.search(r"\d+", str(version_info[0]))
    if match is None:
        raise ValueError(f"cannot read an Odoo version from {version_info!r}")
    return int(match.group())


class OdooClient:
    """A logged-in connection to one Odoo database (see :func:`ledgerpilot.odoo.connect`)."""

    def __init__(self, transport: Transport, connection: OdooConnection, version: dict[str, Any], *,
                 cache_dir: Path | None = None, retry: RetryPolicy = DEFAULT_RETRY):
        self._transport = transport
        self.connection = connection
        self.version_info: list[Any] = list(version["server_version_info"])
        self.server_version: str = str(version.get("server_version", ""))
        self.serie: str = str(version.get("server_serie", ""))
        self.major: int = version_major(self.version_info)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.retry = retry
        self.rpc_count = 0  # RPC attempts made, retries included (for diagnostics and benchmarks)
        self.uid: int = transport.uid if transport.uid is not None else transport.login()
        self.schema = SchemaCache(self._execute_kw, cache_dir=self.cache_dir, url=connection.url, db=connection.db,
                                  user=connection.user, server_version=self.server_version)
        self._capabilities: Capabilities | None = None
        self._groups: dict[str, bool] = {}
        self.last_sync = None  # SyncStats of the last incremental extract
        self.pull_hook: PullHook | None = None
        # told of every call (model, method, seconds, error or None): metrics of a long-running process
        self.call_hook: Callable[[str, str, float, Exception | None], None] | None = None
        #: the company read for (set by connect(); None: Odoo's default, every company of the user)
        self.company: CompanyScope | None = None

    # ------------------------------------------------------------------ identity

    @property
    def transport_name(self) -> str:
        return self._transport.name

    @property
    def url(self) -> str:
        return self.connection.url

    @property
    def db(self) -> str:
        return self.connection.db

    def __repr__(self) -> str:
        company = f", company={self.company.name!r}" if self.company is not None else ""
        return (f"OdooClient({self.url!r}, db={self.db!r}, user={self.connection.user!r}, "
                f"transport={self.transport_name!r}, version={self.server_version!r}{company})")

    def for_companies(self, company_ids: Sequence[int]) -> OdooClient:
        """This client reading for ``company_ids`` together (the first is the main one); same connection.

        For the few reads that must see another company's books on purpose, such as the other side of
        an intercompany entry. The ids must be companies of the user (Odoo refuses others).
        """
        if self.company is None:
            raise GatewayUsageError("for_companies() needs a client with a company: connect() sets it")
        ids = tuple(dict.fromkeys(int(i) for i in company_ids))
        if not ids:
            raise GatewayUsageError("for_companies() needs at least one company id")
        other = copy.copy(self)
        name = self.company.name if ids[0] == self.company.id else str(ids[0])
        other.company = CompanyScope(ids, name, self.company.user_company_ids, self.company.configured)
        return other

    def _scoped(self, model: str, domain: Domain) -> list:
        """``domain`` restricted to the client's company (see :mod:`ledgerpilot.odoo.companies`)."""
        if self.company is None:
            return list(domain)
        return scoped_domain(self.company, model, self.schema.fields(model), domain)

    # ------------------------------------------------------------------ raw calls

    def execute(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``model.method(*args, **kwargs)`` over the transport, with retries for transient faults."""
        return self._execute_kw(model, method, list(args), kwargs)

    def _execute_kw(self, model: str, method: str, args: list, kwargs: dict) -> Any:
        if self.company is not None:
            context = dict(kwargs.get("context") or {})
            context.setdefault("allowed_company_ids", list(self.company.ids))
            kwargs = {**kwargs, "context": context}

        def attempt() -> Any:
            self.rpc_count += 1
            return self._transport.execute_kw(model, method, args, kwargs)

        started = time.perf_counter()
        try:
            result = call_with_retry(self.retry, attempt, write=method not in READ_METHODS,
                                     relogin=self._relogin, label=f"{model}.{method}")
        except Exception as exc:
            if self.call_hook is not None:
                self.call_hook(model, method, time.perf_counter() - started, exc)
            raise
        if self.call_hook is not None:
            self.call_hook(model, method, time.perf_counter() - started, None)
        return result

    def _pulled(self, model: str, method: str, rows: int) -> None:
        if self.pull_hook is not None:
            self.pull_hook(model, method, rows)

    def _relogin(self) -> None:
        self.rpc_count += 1
        self.uid = self._transport.login()

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _with_context(kwargs: dict, context: dict | None) -> dict:
        if context:
            kwargs["context"] = context
        return kwargs

    def search(self, model: str, domain: Domain = (), *, offset: int = 0, limit: int | None = None,
               order: str | None = None, context: dict | None = None) -> list[int]:
        self.schema.check_domain(model, domain)
        ids = self._execute_kw(model, "search", [self._scoped(model, domain)],
                               self._with_context(_paging(offset, limit, order), context))
        self._pulled(model, "search", len(ids) if isinstance(ids, list) else 0)
        return ids

    def search_count(self, model: str, domain: Domain = (), *, context: dict | None = None) -> int:
        self.schema.check_domain(model, domain)
        return self._execute_kw(model, "search_count", [self._scoped(model, domain)], self._with_context({}, context))

    def search_read(self, model: str, domain: Domain = (), fields: Sequence[str] | None = None, *,
                    offset: int = 0, limit: int | None = None, order: str | None = None,
                    context: dict | None = None) -> list[dict]:
        """Rows as Odoo sends them. ``fields`` is required: reading every field fails on real Odoo."""
        fields = self._require_fields(model, fields, "search_read")
        self.schema.check_domain(model, domain)
        kwargs: dict[str, Any] = {"fields": fields, **_paging(offset, limit, order)}
        rows = self._execute_kw(model, "search_read", [self._scoped(model, domain)], self._with_context(kwargs, context))
        self._pulled(model, "search_read", len(rows) if isinstance(rows, list) else 0)
        return rows

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str] | None = None, *,
             context: dict | None = None) -> list[dict]:
        """Rows for ``ids`` (ids that no longer exist are silently left out, as Odoo 17 does)."""
        fields = self._require_fields(model, fields, "read")
        rows = self._execute_kw(model, "read", [list(ids), fields], self._with_context({}, context))
        self._pulled(model, "read", len(rows) if isinstance(rows, list) else 0)
        return rows

    def read_group(self, model: str, domain: Domain, fields: Sequence[str], groupby: Sequence[str] | str, *,
                   offset: int = 0, limit: int | None = None, orderby: str | None = None, lazy: bool = True,
                   context: dict | None = None) -> list[dict]:
        """Odoo 17's ``read_group(domain, fields, groupby, offset, limit, orderby, lazy)``."""
        groupby_list = [groupby] if isinstance(groupby, str) else list(groupby)
        self.schema.check_domain(model, domain)
        self.schema.check_fields(model, dict.fromkeys(_base_field(spec) for spec in [*fields, *groupby_list]
                                                      if _base_field(spec) != "__count"))
        kwargs: dict[str, Any] = {"lazy": lazy}
        if offset:
            kwargs["offset"] = offset
        if limit is not None:
            kwargs["limit"] = limit
        if orderby:
            kwargs["orderby"] = orderby
        groups = self._execute_kw(model, "read_group", [self._scoped(model, domain), list(fields), groupby_list],
                                  self._with_context(kwargs, context))
        self._pulled(model, "read_group", len(groups) if isinstance(groups, list) else 0)
        return groups

    def read_group_df(self, model: str, domain: Domain, fields: Sequence[str], groupby: Sequence[str] | str, *,
                      orderby: str | None = None, lazy: bool = False, limit: int | None = None,
                      context: dict | None = None) -> pd.DataFrame:
        """``read_group`` as a DataFrame; many2one groups become ``<field>_id`` and ``<field>_name``.

        ``lazy`` defaults to False here: a frame wants one row per combination of all groupbys.
        """
        groupby_list = [groupby] if isinstance(groupby, str) else list(groupby)
        rows = self.read_group(model, domain, fields, groupby_list, orderby=orderby, lazy=lazy, limit=limit,
                               context=context)
        known = self.schema.fields(model)
        types = {_base_field(spec): known[_base_field(spec)]["type"]
                 for spec in [*fields, *groupby_list] if _base_field(spec) in known}
        return read_group_frame(rows, groupby_list, types)

    def fields_get(self, model: str) -> dict[str, dict]:
        """The model's fields with their attributes (cached for the life of the client, and on disk)."""
        return self.schema.fields(model)

    def _require_fields(self, model: str, fields: Sequence[str] | None, method: str) -> list[str]:
        if fields is None or isinstance(fields, str) or not list(fields):
            raise GatewayUsageError(
                f"{model}.{method} needs an explicit list of fields: reading every field is slow and fails "
                "on real Odoo 17 for account.move and account.move.line (pass fields=[...])")
        fields = list(fields)
        self.schema.check_fields(model, fields)
        return fields

    # ------------------------------------------------------------------ DataFrames

    def extract(self, model: str, fields: Sequence[str], domain: Domain = (), *, batch_size: int | None = None,
                context: dict | None = None, progress: ProgressCallback | None = None,
                incremental: bool = False) -> pd.DataFrame:
        """Every matching record as a typed DataFrame (``id`` + ``fields``), paged by id.

        With ``incremental=True`` (needs ``cache_dir``), the previous result is kept on disk and only
        records written since are fetched (:mod:`ledgerpilot.odoo.incremental`).
        """
        if incremental:
            from ledgerpilot.odoo.incremental import IncrementalExtractor

            if self.cache_dir is None:
                raise GatewayUsageError("incremental extraction needs a cache folder: connect(..., cache_dir=...)")
            extractor = IncrementalExtractor(self, self.cache_dir)
            try:
                return extractor.extract(model, fields, domain, batch_size=batch_size, context=context,
                                         progress=progress)
            finally:
                self.last_sync = extractor.last_stats
        specs = self.column_specs(model, fields)
        self.schema.check_domain(model, domain)
        size = self._batch_size(batch_size)
        total = self.search_count(model, domain, context=context) if progress is not None else None
        names = [spec.name for spec in specs]
        frame = extract_frame(self._page_reader(model, names, context), specs, domain, size, total=total,
                              progress=progress)
        self._pulled(model, "extract", len(frame))
        return frame

    def column_specs(self, model: str, fields: Sequence[str]) -> list[ColumnSpec]:
        fields = self._require_fields(model, fields, "extract")
        known = self.schema.fields(model)
        return [ColumnSpec.from_fields_get(name, known[name]) for name in dict.fromkeys(fields) if name != "id"]

    def _batch_size(self, batch_size: int | None) -> int:
        size = batch_size or self.connection.batch_size
        if size < 1:
            raise GatewayUsageError(f"batch_size must be at least 1, not {size}")
        return size

    def _page_reader(self, model: str, fields: list[str], context: dict | None):
        """A ``(domain, limit) -> rows`` reader ordered by id, for :func:`extract_frame`."""
        def read_page(domain: list, limit: int) -> list[dict]:
            kwargs = self._with_context({"fields": fields, "order": "id asc", "limit": limit}, context)
            return self._execute_kw(model, "search_read", [self._scoped(model, domain)], kwargs)
        return read_page

    # ------------------------------------------------------------------ schema and capabilities

    def has_model(self, model: str) -> bool:
        return self.schema.has_model(model)

    def capabilities(self, refresh: bool = False) -> Capabilities:
        """Which features this database offers, and why not when it does not (cached)."""
        if self._capabilities is None or refresh:
            self._capabilities = self.schema.capabilities(self.serie)
        return self._capabilities

    def require(self, feature: str) -> FeatureStatus:
        """The feature's status, or MissingModuleError naming the feature and the module to install."""
        return require(self.capabilities(), feature)

    def has_group(self, xmlid: str) -> bool:
        """Whether the logged-in user has the group (by external id, implied groups included)."""
        if xmlid not in self._groups:
            # Odoo 17 declares res.users.has_group as @api.model (the group only); 18 made it a record method
            args = [xmlid] if self.major < 18 else [[self.uid], xmlid]
            self._groups[xmlid] = bool(self._execute_kw("res.users", "has_group", args, {}))
        return self._groups[xmlid]

    # ------------------------------------------------------------------ writes (approval machinery only)

    def create(self, model: str, values: dict | list[dict], *, context: dict | None = None) -> int | list[int]:
        """Create record(s). Reserved for the approval machinery, which checks approvals first."""
        return self._execute_kw(model, "create", [values], self._with_context({}, context))

    def write(self, model: str, ids: Sequence[int], values: dict, *, context: dict | None = None) -> bool:
        """Write ``values`` on ``ids``. Reserved for the approval machinery."""
        self.schema.check_fields(model, values)
        return self._execute_kw(model, "write", [list(ids), values], self._with_context({}, context))

    def unlink(self, model: str, ids: Sequence[int], *, context: dict | None = None) -> bool:
        """Delete ``ids``. Reserved for the approval machinery."""
        return self._execute_kw(model, "unlink", [list(ids)], self._with_context({}, context))

    def call(self, model: str, method: str, ids: Sequence[int], *args: Any, **kwargs: Any) -> Any:
        """A public record method such as ``action_post`` or ``message_post`` on ``ids``.

        Reserved for the approval machinery. Not retried once the request may have reached Odoo.
        """
        return self._execute_kw(model, method, [list(ids), *args], kwargs)

    # ------------------------------------------------------------------ lifetime

    def clear_schema_cache(self) -> None:
        self.schema.clear()
        self._capabilities = None

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _base_field(spec: str) -> str:
    """'balance:sum' -> 'balance'; 'date:month' -> 'date'; 'total:sum(balance)' -> 'balance'."""
    name, _, rest = spec.partition(":")
    match = re.search(r"\((\w+)\)", rest)
    return match.group(1) if match else name
