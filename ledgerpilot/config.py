"""Configuration: environment variables (``LEDGERPILOT_*``) over an optional TOML file over defaults.

The TOML file is ``$LEDGERPILOT_HOME/config.toml`` unless ``LEDGERPILOT_CONFIG`` names another
one. Keys are the same as the environment variables without the prefix, either flat
(``odoo_url = "..."``) or in sections (``[odoo]`` ``url = "..."``). Bad values are rejected with a
message naming the setting and where it came from.

:class:`Settings` has one section per capability (``settings.odoo``, ``settings.cash``, ``settings.llm``,
...), each a model of its own; a section's fields are its settings without the section's prefix
(``LEDGERPILOT_ODOO_URL`` is ``settings.odoo.url``). docs/settings.md lists them all; it is generated
from these models by ``python -m ledgerpilot.config_doc``.

Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Mapping, Union, get_args, get_origin
from urllib.parse import urlparse

from pydantic import (BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, create_model,
                      field_validator, model_validator)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from ledgerpilot.errors import ConfigError

ENV_PREFIX = "LEDGERPILOT_"
Transport = Literal["auto", "jsonrpc", "xmlrpc", "json2"]


def default_home() -> Path:
    return Path.home() / ".ledgerpilot"


class OdooConnection(BaseModel):
    """Everything the gateway needs to reach one Odoo database, and the company whose books it reads.

    ``company`` is a company's name or id, one of the user's companies; None reads the user's current
    company. A connection is one book: several companies are several connections (the same URL,
    database and user with another ``company``).
    """

    model_config = ConfigDict(frozen=True)

    url: str
    db: str
    user: str
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    transport: Transport = "auto"
    timeout: float = Field(default=120.0, gt=0)
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    verify_tls: bool = True
    company: str | None = None

    @field_validator("company", mode="before")
    @classmethod
    def _company(cls, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"must be a company name or id, not {value!r}")
        text = str(value).strip()
        if not text:
            return None
        if text.lstrip("-").isdigit() and int(text) < 1:
            raise ValueError(f"a company id is a positive number, not {text}")
        if len(text) > 200 or not text.isprintable():
            raise ValueError("must be a company name (printable, at most 200 characters) or id")
        return text

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"must be an http(s) URL such as https://mycompany.odoo.com, not {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secret(self) -> "OdooConnection":
        if self.password is None and self.api_key is None:
            raise ValueError("needs a password or an API key (LEDGERPILOT_ODOO_PASSWORD or LEDGERPILOT_ODOO_API_KEY)")
        return self

    @property
    def secret(self) -> str:
        """The API key when there is one (Odoo accepts it wherever a password goes), else the password."""
        chosen = self.api_key or self.password
        assert chosen is not None
        return chosen.get_secret_value()


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the TOML file; ``[section] key`` becomes ``section_key``."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None):
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field, field_name):  # pragma: no cover - interface requirement
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = tomllib.loads(self.path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {self.path} is not valid TOML: {exc}") from exc
        return flatten_sections(data)


def flatten_sections(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}".lower()] = subvalue
        else:
            flat[key.lower()] = value
    return flat


class _Section(BaseModel):
    """One capability's settings. Its fields are ``LEDGERPILOT_<SECTION>_<FIELD>`` and ``[section] field``."""

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


class OdooSettings(_Section):
    """The Odoo database read (and, by the write user, written to)."""

    url: str | None = Field(default=None, description="address of the Odoo server (https://mycompany.odoo.com)")
    db: str | None = Field(default=None, description="database name")
    user: str | None = Field(default=None, description="login the books are read as")
    password: SecretStr | None = Field(default=None, description="password of the login (or set the API key)")
    api_key: SecretStr | None = Field(default=None, description="API key of the login, used instead of the password")
    transport: Transport = Field(default="auto", description="protocol: auto (JSON-2 on Odoo 19, else JSON-RPC), "
                                                             "jsonrpc, xmlrpc or json2")
    timeout: float = Field(default=120.0, gt=0, description="seconds one call to Odoo may take")
    batch_size: int = Field(default=5000, ge=1, le=100_000, description="records read per call")
    verify_tls: bool = Field(default=True, description="check the server's TLS certificate")
    company: str | int | None = Field(
        default=None, description="the company whose books are read (its name or id, one of the user's companies); "
                                  "unset: the user's current company")
    write_user: str | None = Field(
        default=None, description="Odoo login that writes approved proposals (default: LEDGERPILOT_ODOO_USER)")
    write_password: SecretStr | None = Field(
        default=None, description="password or API key of LEDGERPILOT_ODOO_WRITE_USER")

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def connection(self) -> OdooConnection:
        """The configured Odoo, or a :class:`ConfigError` that names what is missing."""
        missing = [name for name, value in (("LEDGERPILOT_ODOO_URL", self.url),
                                            ("LEDGERPILOT_ODOO_DB", self.db),
                                            ("LEDGERPILOT_ODOO_USER", self.user)) if not value]
        if self.password is None and self.api_key is None:
            missing.append("LEDGERPILOT_ODOO_PASSWORD or LEDGERPILOT_ODOO_API_KEY")
        if missing:
            raise ConfigError("Odoo is not configured: set " + ", ".join(missing)
                              + " (environment or config file), or run `ledgerpilot demo` to use the sandbox.")
        try:
            return OdooConnection(url=self.url, db=self.db, user=self.user,
                                  password=self.password, api_key=self.api_key,
                                  transport=self.transport, timeout=self.timeout,
                                  batch_size=self.batch_size, verify_tls=self.verify_tls,
                                  company=self.company)
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, prefix="LEDGERPILOT_ODOO_")) from exc

    def write_connection(self) -> OdooConnection:
        """The Odoo user that writes approved proposals: LEDGERPILOT_ODOO_WRITE_USER, else the main one."""
        main = self.connection()
        if not self.write_user:
            return main
        if self.write_password is None:
            raise ConfigError("LEDGERPILOT_ODOO_WRITE_USER is set but LEDGERPILOT_ODOO_WRITE_PASSWORD is not: set the "
                              "password or API key of the user that writes approved proposals")
        return main.model_copy(update={"user": self.write_user, "password": self.write_password,
                                       "api_key": None})


class CurrencySettings(_Section):
    """How amounts are shown."""

    display: str = Field(default="", description="override of the currency symbol shown")


class CashSettings(_Section):
    """The cash forecast's levels."""

    threshold: float | None = Field(
        default=None, description="safety level of the cash forecast, company currency: a lower P50 point "
                                  "is a breach and calls for follow-up proposals")
    surplus_level: float | None = Field(
        default=None, description="cash above this level at the forecast's lowest point is a surplus: "
                                  "bills due soon are proposed for payment")


class BudgetSettings(_Section):
    """Budgets: where they come from and how drift is graded."""

    file: Path | None = Field(
        default=None, description="budget file (CSV or YAML) used when the database has no budget module")
    note_drift: float = Field(
        default=0.05, gt=0, lt=1, description="a projected drift under this share of the budget is a note")
    high_overspend: float = Field(
        default=0.15, gt=0, description="a projected overspend above this share of the budget is high risk")


class CloseSettings(_Section):
    """The month-end close checks and bank matching."""

    checks: list[str] | None = Field(
        default=None, description="close checks to run, by name (`ledgerpilot close checks` lists them); "
                                  "unset: all of them")
    unusual_amount_ratio: float = Field(
        default=3.0, gt=1, description="an account's movement this many times its usual size (or more) "
                                      "is unusual")
    tb_variance: float = Field(
        default=0.5, gt=0, description="trial-balance review: a period movement differing from the account's "
                                       "recent average by more than this share is flagged")
    tb_min_amount: float = Field(
        default=1000.0, ge=0, description="trial-balance review: smaller differences are never flagged "
                                          "(company currency)")
    match_high_confidence: float = Field(
        default=0.9, gt=0, le=1, description="bank matches at or above this confidence are 'high'")


class AnomalySettings(_Section):
    """The anomaly scan: which detectors, their parameters, and who alerts are assigned to."""

    min_score: float = Field(
        default=0.5, gt=0, le=1, description="anomaly findings whose combined risk (0-1) is at or above this "
                                            "are alerts")
    detectors: list[str] | None = Field(
        default=None, description="anomaly detectors to run, by name; unset: all of them")
    params: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="anomaly detector parameters overriding their defaults: "
                                          "detector name -> parameter name -> value")
    ap_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on bills and payments are assigned "
                                  "to (the AP manager); unset: no assignee")
    inventory_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on inventory valuation are assigned "
                                  "to (the inventory accountant); unset: no assignee")
    gl_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on journal entries and credit notes "
                                  "are assigned to (the controller); unset: no assignee")


class LlmSettings(_Section):
    """The model endpoint; without one the agent runs offline."""

    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint (https://api.openai.com/v1, an Azure OpenAI deployment's "
                                  "/openai/v1, vLLM, Ollama's http://localhost:11434/v1, a llama.cpp server); unset: "
                                  "offline mode")
    model: str | None = Field(default=None, description="model name the endpoint serves")
    api_key: SecretStr | None = Field(default=None, description="API key of the endpoint (local servers: any)")
    timeout: float = Field(default=60.0, gt=0, description="seconds one model call may take")
    max_retries: int = Field(default=4, ge=0, le=10, description="retries of a call refused with 429 or 5xx")
    temperature: float = Field(default=0.0, ge=0, le=2, description="sampling temperature of the model")
    retry_wait_max: float = Field(default=8.0, ge=0, description="longest wait in seconds between retries")

    @property
    def configured(self) -> bool:
        """A model endpoint is set: the agent writes with it; otherwise it runs offline."""
        return bool(self.base_url and self.model)


class AgentSettings(_Section):
    """The chat agent."""

    step_budget: int = Field(
        default=6, ge=1, le=20, description="model rounds (tool calls then answer) one question may use")


class DiscussSettings(_Section):
    """The Discuss bot."""

    channel: str = Field(default="finance", description="Discuss channel the bot watches")
    poll_seconds: float = Field(default=5.0, gt=0, description="how often the bot looks for new messages")


class WebSettings(_Section):
    """The approval page (and the address webhooks are posted to)."""

    host: str = Field(default="127.0.0.1", description="address the approval page and webhooks listen on")
    port: int = Field(default=8750, ge=0, le=65535, description="port of the approval page and webhooks")
    public_url: str | None = Field(
        default=None, description="the approval page's address as people reach it (for links in the digest); "
                                  "default http://WEB_HOST:WEB_PORT")
    session_idle_minutes: float = Field(default=30.0, gt=0, description="a session unused this long ends")
    session_max_hours: float = Field(default=8.0, gt=0, description="a session ends this long after sign-in")
    apply_on_approve: bool = Field(
        default=True, description="write a proposal to Odoo as soon as it is approved on the page (else "
                                  "`proposals apply` or the schedule does)")

    @property
    def url(self) -> str:
        """Where people open the approval page."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


#: A webhook secret (Odoo's automation rules carry it in the URL): at least 32 characters a URL path
#: carries unchanged (``secrets.token_urlsafe(32)`` gives 43); its name is what the audit and logs record.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_\-]{32,256}")
SECRET_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_secret_value(name: str, value: str) -> None:
    """:class:`ValueError` naming the secret (never its value) unless it is long and URL-safe."""
    if not SECRET_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"the secret name {name[:70]!r} must be 1-64 letters, digits or _.-")
    if not SECRET_PATTERN.fullmatch(value):
        raise ValueError(f"the secret {name!r} must be 32 to 256 letters, digits, '-' or '_' (for example the "
                         "output of: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and networks (``10.0.0.5``, ``10.0.0.0/24``, ``2001:db8::/32``); :class:`ValueError` naming
    the first that is neither."""
    out = []
    for entry in entries:
        text = str(entry).strip()
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text[:80]!r} is not an IP address or network (such as 10.0.0.5 or "
                             "10.0.0.0/24)") from None
    return tuple(out)


class WebhookSettings(_Section):
    """Webhooks from relays and from Odoo's automation rules."""

    secret: SecretStr | None = Field(
        default=None, description="shared secret of the HMAC-SHA256 signature of relays posting to /webhooks/odoo; "
                                  "unset: signed webhooks are refused")
    max_age_seconds: int = Field(
        default=300, ge=1, description="a signed webhook whose timestamp is older (or further in the future) is "
                                       "refused")
    odoo_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="secrets of Odoo's own automation rules, by name: a rule posts to "
                                          "/webhooks/odoo/<secret>; several at once for rotation; empty: refused")
    odoo_sources: list[str] = Field(
        default_factory=list, description="IP addresses or networks Odoo's automation rules may post from "
                                          "(e.g. 10.0.0.5, 10.0.0.0/24); empty: any address")
    settle_seconds: float = Field(
        default=2.0, ge=0, le=300, description="how long after a webhook arrives its record is read back (Odoo 17 "
                                               "notifies before it commits the change)")

    @field_validator("odoo_secrets")
    @classmethod
    def _odoo_secrets(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        seen: dict[str, str] = {}
        for name, secret in value.items():
            check_secret_value(name, secret.get_secret_value())
            if secret.get_secret_value() in seen:
                raise ValueError(f"the secrets {seen[secret.get_secret_value()]!r} and {name!r} are the same; give "
                                 "each rule its own")
            seen[secret.get_secret_value()] = name
        return value

    @field_validator("odoo_sources")
    @classmethod
    def _odoo_sources(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value


class SmtpSettings(_Section):
    """The mail server that sends the digest."""

    host: str | None = Field(default=None, description="SMTP server that sends the digest; unset: no sending")
    port: int = Field(default=587, ge=1, le=65535, description="port of the SMTP server")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (port 587), ssl (implicit TLS, port 465) or none (a local relay)")
    user: str | None = Field(default=None, description="SMTP login, when the server needs one")
    password: SecretStr | None = Field(default=None, description="password of the SMTP login")
    timeout: float = Field(default=30.0, gt=0, description="seconds one exchange with the SMTP server may take")


class DigestSettings(_Section):
    """The weekly digest: who sends it, who gets it."""

    sender: str = Field(default="ledgerpilot@localhost", description="sender address of the digest",
                        json_schema_extra={"setting": "digest_from"})
    to: list[str] = Field(default_factory=list, description="recipients of the weekly digest")
    channel: str | None = Field(default=None, description="Discuss channel the digest is also posted to")


class ServeSettings(_Section):
    """What ``ledgerpilot serve`` runs, and how often."""

    digest_cron: str = Field(
        default="mon 07:00", description="when serve sends the digest: a weekday and a time (server local time), or a "
                                         "crontab line")
    digest_interval_minutes: float | None = Field(
        default=None, gt=0, description="send the digest every N minutes instead of weekly (trials)")
    budget_interval_minutes: float = Field(default=60.0, gt=0, description="how often serve watches budgets")
    anomaly_interval_minutes: float = Field(default=15.0, gt=0, description="how often serve scans for anomalies")
    jobs: list[str] | None = Field(
        default=None, description="scheduled jobs serve runs (digest, budget_watch, anomaly_scan, apply_approved, "
                                  "audit_anchor); unset: all")
    discuss: bool = Field(default=True, description="serve runs the Discuss bot")
    apply_interval_minutes: float = Field(
        default=5.0, gt=0, description="how often serve writes approved proposals to Odoo (those the page did not)")
    status_token: SecretStr | None = Field(
        default=None, description="bearer token for serve's /health/details and /metrics; unset: they answer only "
                                  "requests from this machine that came through no proxy")


class ApplySettings(_Section):
    """Applying approved proposals to Odoo."""

    lease_seconds: float = Field(
        default=300.0, ge=1, le=86400, description="a claim on a proposal being applied lapses after this long "
                                                  "without a heartbeat (its applier died): then another takes over")


class ApprovalSettings(_Section):
    """Who may approve what."""

    groups: dict[str, str] = Field(
        default_factory=dict, description="Odoo group (xml id) an approver needs, by proposal kind; kinds not "
                                          "listed need account.group_account_manager")


class Settings(BaseSettings):
    """All of ledgerpilot's settings, one section per capability (``settings.odoo.url``, ``settings.cash.threshold``).

    Every setting maps to ``LEDGERPILOT_<SECTION>_<FIELD>`` (``LEDGERPILOT_ODOO_URL``) and to the TOML key
    ``[section] field`` or ``section_field``; :data:`SETTING_NAMES` lists them all. The keyword arguments
    take the same flat names (``Settings(odoo_url=...)``) or whole sections (``Settings(odoo={...})``).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True,
                                      allow_inf_nan=False)

    home: Path = Field(default_factory=default_home, description="where ledgerpilot keeps its state")
    odoo: OdooSettings = Field(default_factory=OdooSettings)
    currency: CurrencySettings = Field(default_factory=CurrencySettings)
    cash: CashSettings = Field(default_factory=CashSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    close: CloseSettings = Field(default_factory=CloseSettings)
    anomaly: AnomalySettings = Field(default_factory=AnomalySettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    discuss: DiscussSettings = Field(default_factory=DiscussSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    apply: ApplySettings = Field(default_factory=ApplySettings)
    approval: ApprovalSettings = Field(default_factory=ApprovalSettings)

    @field_validator("*", mode="before")
    @classmethod
    def _section_is_a_table(cls, value: Any, info: ValidationInfo) -> Any:
        # a flat key that is only a section's name (``odoo = "x"``) is no setting, as before sections existed
        if info.field_name in SECTIONS and not isinstance(value, (Mapping, _Section)):
            raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        flat_env = _FlatEnvSource(_flat_settings_model(), env_prefix=ENV_PREFIX)
        return (_NestedSource(settings_cls, init_settings), _NestedSource(settings_cls, flat_env),
                _NestedSource(settings_cls, _TomlSource(settings_cls, config_file_path())), file_secret_settings)

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def updated(self, **values: Any) -> "Settings":
        """A copy with some settings replaced, by flat name (``llm_model="m"``), unvalidated like ``model_copy``."""
        changes: dict[str, Any] = {}
        for name, value in values.items():
            path = SETTING_NAMES.get(name)
            if path is None:
                raise ValueError(f"{name!r} is not a setting; settings: {', '.join(SETTING_NAMES)}")
            if len(path) == 1:
                changes[path[0]] = value
            else:
                changes.setdefault(path[0], {})[path[1]] = value
        return self.model_copy(update={
            key: (getattr(self, key).model_copy(update=value) if key in SECTIONS else value)
            for key, value in changes.items()})


SECTIONS: dict[str, type[_Section]] = {
    name: field.annotation for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, _Section)}


def _setting_name(section: str, name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("setting"), str):
        return extra["setting"]
    return f"{section}_{name}"


SETTING_NAMES: dict[str, tuple[str, ...]] = {}
"""Every setting's flat name (``odoo_url``: ``LEDGERPILOT_ODOO_URL``, ``[odoo] url``) -> its place in :class:`Settings`."""
for _name, _field in Settings.model_fields.items():
    if _name in SECTIONS:
        for _sub, _subfield in SECTIONS[_name].model_fields.items():
            SETTING_NAMES[_setting_name(_name, _sub, _subfield)] = (_name, _sub)
    else:
        SETTING_NAMES[_name] = (_name,)
_FLAT_NAMES = {path: name for name, path in SETTING_NAMES.items()}


def setting_value(settings: Any, name: str, default: Any = None) -> Any:
    """The setting of flat name ``name`` (``"cash_threshold"``) in ``settings``; ``default`` when there is none
    (no settings at all, as in contexts that only read the books)."""
    value: Any = settings
    for part in SETTING_NAMES[name]:
        value = getattr(value, part, None)
        if value is None:
            return default
    return value


def nest_settings(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Flat setting names (``odoo_url``) put in their sections (``{"odoo": {"url": ...}}``); other keys kept as given."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        path = SETTING_NAMES.get(key)
        if path is None or len(path) == 1:
            if isinstance(nested.get(key), dict) and isinstance(value, (Mapping, _Section)):
                value = {**_as_dict(value), **nested[key]}
            nested[key] = value
            continue
        section = nested.get(path[0])
        if not isinstance(section, dict):
            section = _as_dict(section) if isinstance(section, (Mapping, _Section)) else {}
            nested[path[0]] = section
        section[path[1]] = value
    return nested


def _as_dict(value: Mapping[str, Any] | _Section) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {name: getattr(value, name) for name in value.model_fields_set}


class _NestedSource(PydanticBaseSettingsSource):
    """Another source's values with flat setting names put in their sections."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field, field_name):  # pragma: no cover - interface requirement
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return nest_settings(self.inner())


def _is_secret(name: str) -> bool:
    return any(word in name for word in ("password", "key", "secret", "token"))


class _FlatEnvSource(EnvSettingsSource):
    """The ``LEDGERPILOT_*`` variables, a list or map given as JSON; JSON that does not parse is a
    :class:`ConfigError` naming the variable (pydantic-settings would raise its own error, shown as a traceback)."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError as exc:
            shape = 'an object such as {"name": "value"}' if _wants_mapping(field.annotation) \
                else 'a list such as ["a", "b"]'
            problem = f"{exc.msg[:1].lower()}{exc.msg[1:]} at column {exc.colno}" \
                if isinstance(exc, json.JSONDecodeError) else str(exc)
            shown = "" if _is_secret(field_name) else f" of {value!r}"
            raise ConfigError(f"{ENV_PREFIX}{field_name.upper()} is not valid JSON: {problem}{shown}; "
                              f"write {shape}") from exc


def _wants_mapping(annotation: Any) -> bool:
    """Whether ``annotation`` (``dict[str, str]``, ``list[str] | None``) takes a mapping rather than a list."""
    kinds = [annotation, *get_args(annotation)] if get_origin(annotation) in (Union, UnionType) else [annotation]
    return any(get_origin(kind) in (dict, Mapping) or kind is dict for kind in kinds)


_FLAT_MODEL: type[BaseSettings] | None = None


def _flat_settings_model() -> type[BaseSettings]:
    """Settings with one flat field per setting, for reading ``LEDGERPILOT_*`` variables (JSON for lists and maps)."""
    global _FLAT_MODEL
    if _FLAT_MODEL is None:
        fields: dict[str, Any] = {}
        for name, path in SETTING_NAMES.items():
            owner = Settings if len(path) == 1 else SECTIONS[path[0]]
            fields[name] = (owner.model_fields[path[-1]].annotation, None)
        _FLAT_MODEL = create_model("FlatSettings", __base__=BaseSettings, **fields)
    return _FLAT_MODEL


def config_file_path() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit)
    home = os.environ.get(f"{ENV_PREFIX}HOME")
    return (Path(home) if home else default_home()) / "config.toml"


def _setting_of(loc: tuple[Any, ...]) -> str:
    """An error's place in :class:`Settings` as the setting's flat name (``("digest", "sender")``: ``digest_from``)."""
    parts = [str(part) for part in loc]
    if len(parts) >= 2 and (parts[0], parts[1]) in _FLAT_NAMES:
        parts[:2] = [_FLAT_NAMES[(parts[0], parts[1])]]
    return "_".join(parts)


def describe_validation_error(exc: ValidationError, prefix: str = ENV_PREFIX) -> str:
    lines = []
    for err in exc.errors():
        loc = _setting_of(err["loc"]) if prefix == ENV_PREFIX else "_".join(str(part) for part in err["loc"])
        name = f"{prefix}{loc.upper()}" if loc else prefix.rstrip("_")
        value = err.get("input")
        hidden = _is_secret(loc)
        shown = "" if isinstance(value, (dict, type(None))) or hidden else f" (got {value!r})"
        lines.append(f"{name}: {err['msg']}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Load the settings, turning any validation problem into a :class:`ConfigError`."""
    path = config_file_path()
    if path is not None and os.environ.get(f"{ENV_PREFIX}CONFIG") and not path.exists():
        raise ConfigError(f"LEDGERPILOT_CONFIG names {path}, which does not exist")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        source = f" (environment or {path})" if path and path.exists() else " (environment)"
        raise ConfigError(describe_validation_error(exc) + f"\nsettings come from{source}") from exc
