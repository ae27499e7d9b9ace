"""Configuration: environment variables (``LEDGERPILOT_*``) over an optional TOML file over defaults.

The TOML file is ``$LEDGERPILOT_HOME/config.toml`` unless ``LEDGERPILOT_CONFIG`` names another
one. Keys are the same as the environment variables without the prefix, either flat
(``odoo_url = "..."``) or in sections (``[odoo]`` ``url = "..."``). Bad values are rejected with a
message naming the setting and where it came from.

Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

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


class Settings(BaseSettings):
    """All of ledgerpilot's settings. Every field maps to ``LEDGERPILOT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True,
                                      allow_inf_nan=False)

    home: Path = Field(default_factory=default_home, description="where ledgerpilot keeps its state")

    odoo_url: str | None = None
    odoo_db: str | None = None
    odoo_user: str | None = None
    odoo_password: SecretStr | None = None
    odoo_api_key: SecretStr | None = None
    odoo_transport: Transport = "auto"
    odoo_timeout: float = Field(default=120.0, gt=0)
    odoo_batch_size: int = Field(default=5000, ge=1, le=100_000)
    odoo_verify_tls: bool = True
    odoo_company: str | int | None = Field(
        default=None, description="the company whose books are read (its name or id, one of the user's companies); "
                                  "unset: the user's current company")

    currency_display: str = Field(default="", description="override of the currency symbol shown")

    cash_threshold: float | None = Field(
        default=None, description="safety level of the cash forecast, company currency: a lower P50 point "
                                  "is a breach and calls for follow-up proposals")
    cash_surplus_level: float | None = Field(
        default=None, description="cash above this level at the forecast's lowest point is a surplus: "
                                  "bills due soon are proposed for payment")

    budget_file: Path | None = Field(
        default=None, description="budget file (CSV or YAML) used when the database has no budget module")
    budget_note_drift: float = Field(
        default=0.05, gt=0, lt=1, description="a projected drift under this share of the budget is a note")
    budget_high_overspend: float = Field(
        default=0.15, gt=0, description="a projected overspend above this share of the budget is high risk")

    close_checks: list[str] | None = Field(
        default=None, description="close checks to run, by name (`ledgerpilot close checks` lists them); "
                                  "unset: all of them")
    close_unusual_amount_ratio: float = Field(
        default=3.0, gt=1, description="an account's movement this many times its usual size (or more) "
                                      "is unusual")
    close_tb_variance: float = Field(
        default=0.5, gt=0, description="trial-balance review: a period movement differing from the account's "
                                       "recent average by more than this share is flagged")
    close_tb_min_amount: float = Field(
        default=1000.0, ge=0, description="trial-balance review: smaller differences are never flagged "
                                          "(company currency)")
    close_match_high_confidence: float = Field(
        default=0.9, gt=0, le=1, description="bank matches at or above this confidence are 'high'")

    anomaly_min_score: float = Field(
        default=0.5, gt=0, le=1, description="anomaly findings whose combined risk (0-1) is at or above this "
                                            "are alerts")
    anomaly_detectors: list[str] | None = Field(
        default=None, description="anomaly detectors to run, by name; unset: all of them")
    anomaly_params: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="anomaly detector parameters overriding their defaults: "
                                          "detector name -> parameter name -> value")
    anomaly_ap_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on bills and payments are assigned "
                                  "to (the AP manager); unset: no assignee")
    anomaly_inventory_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on inventory valuation are assigned "
                                  "to (the inventory accountant); unset: no assignee")
    anomaly_gl_user: str | int | None = Field(
        default=None, description="Odoo login or user id that anomaly alerts on journal entries and credit notes "
                                  "are assigned to (the controller); unset: no assignee")

    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint (https://api.openai.com/v1, an Azure OpenAI deployment's "
                                  "/openai/v1, vLLM, Ollama's http://localhost:11434/v1, a llama.cpp server); unset: "
                                  "offline mode")
    llm_model: str | None = Field(default=None, description="model name the endpoint serves")
    llm_api_key: SecretStr | None = Field(default=None, description="API key of the endpoint (local servers: any)")
    llm_timeout: float = Field(default=60.0, gt=0, description="seconds one model call may take")
    llm_max_retries: int = Field(default=4, ge=0, le=10, description="retries of a call refused with 429 or 5xx")
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_retry_wait_max: float = Field(default=8.0, ge=0, description="longest wait in seconds between retries")
    agent_step_budget: int = Field(
        default=6, ge=1, le=20, description="model rounds (tool calls then answer) one question may use")
    discuss_channel: str = Field(default="finance", description="Discuss channel the bot watches")
    discuss_poll_seconds: float = Field(default=5.0, gt=0, description="how often the bot looks for new messages")

    web_host: str = Field(default="127.0.0.1", description="address the approval page and webhooks listen on")
    web_port: int = Field(default=8750, ge=0, le=65535, description="port of the approval page and webhooks")
    web_public_url: str | None = Field(
        default=None, description="the approval page's address as people reach it (for links in the digest); "
                                  "default http://WEB_HOST:WEB_PORT")
    web_session_idle_minutes: float = Field(default=30.0, gt=0, description="a session unused this long ends")
    web_session_max_hours: float = Field(default=8.0, gt=0, description="a session ends this long after sign-in")
    web_apply_on_approve: bool = Field(
        default=True, description="write a proposal to Odoo as soon as it is approved on the page (else "
                                  "`proposals apply` or the schedule does)")
    webhook_secret: SecretStr | None = Field(
        default=None, description="shared secret of the HMAC-SHA256 signature of relays posting to /webhooks/odoo; "
                                  "unset: signed webhooks are refused")
    webhook_max_age_seconds: int = Field(
        default=300, ge=1, description="a signed webhook whose timestamp is older (or further in the future) is "
                                       "refused")
    webhook_odoo_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="secrets of Odoo's own automation rules, by name: a rule posts to "
                                          "/webhooks/odoo/<secret>; several at once for rotation; empty: refused")
    webhook_odoo_sources: list[str] = Field(
        default_factory=list, description="IP addresses or networks Odoo's automation rules may post from "
                                          "(e.g. 10.0.0.5, 10.0.0.0/24); empty: any address")
    webhook_settle_seconds: float = Field(
        default=2.0, ge=0, le=300, description="how long after a webhook arrives its record is read back (Odoo 17 "
                                               "notifies before it commits the change)")

    smtp_host: str | None = Field(default=None, description="SMTP server that sends the digest; unset: no sending")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (port 587), ssl (implicit TLS, port 465) or none (a local relay)")
    smtp_user: str | None = Field(default=None, description="SMTP login, when the server needs one")
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    digest_from: str = Field(default="ledgerpilot@localhost", description="sender address of the digest")
    digest_to: list[str] = Field(default_factory=list, description="recipients of the weekly digest")
    digest_channel: str | None = Field(default=None, description="Discuss channel the digest is also posted to")

    serve_digest_cron: str = Field(
        default="mon 07:00", description="when serve sends the digest: a weekday and a time (server local time), or a crontab line")
    serve_digest_interval_minutes: float | None = Field(
        default=None, gt=0, description="send the digest every N minutes instead of weekly (trials)")
    serve_budget_interval_minutes: float = Field(default=60.0, gt=0, description="how often serve watches budgets")
    serve_anomaly_interval_minutes: float = Field(default=15.0, gt=0, description="how often serve scans for anomalies")
    serve_jobs: list[str] | None = Field(
        default=None, description="scheduled jobs serve runs (digest, budget_watch, anomaly_scan, apply_approved, "
                                  "audit_anchor); unset: all")
    serve_discuss: bool = Field(default=True, description="serve runs the Discuss bot")
    serve_apply_interval_minutes: float = Field(
        default=5.0, gt=0, description="how often serve writes approved proposals to Odoo (those the page did not)")
    serve_status_token: SecretStr | None = Field(
        default=None, description="bearer token for serve's /health/details and /metrics; unset: they answer only "
                                  "requests from this machine that came through no proxy")
    apply_lease_seconds: float = Field(
        default=300.0, ge=1, le=86400, description="a claim on a proposal being applied lapses after this long "
                                                  "without a heartbeat (its applier died): then another takes over")

    approval_groups: dict[str, str] = Field(
        default_factory=dict, description="Odoo group (xml id) an approver needs, by proposal kind; kinds not "
                                          "listed need account.group_account_manager")
    odoo_write_user: str | None = Field(
        default=None, description="Odoo login that writes approved proposals (default: LEDGERPILOT_ODOO_USER)")
    odoo_write_password: SecretStr | None = Field(
        default=None, description="password or API key of LEDGERPILOT_ODOO_WRITE_USER")

    @field_validator("webhook_odoo_secrets")
    @classmethod
    def _odoo_secrets(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        from ledgerpilot.channels.webhooks.url_secret import check_secret_value

        seen: dict[str, str] = {}
        for name, secret in value.items():
            check_secret_value(name, secret.get_secret_value())
            if secret.get_secret_value() in seen:
                raise ValueError(f"the secrets {seen[secret.get_secret_value()]!r} and {name!r} are the same; give "
                                 "each rule its own")
            seen[secret.get_secret_value()] = name
        return value

    @field_validator("webhook_odoo_sources")
    @classmethod
    def _odoo_sources(cls, value: list[str]) -> list[str]:
        from ledgerpilot.channels.webhooks.url_secret import parse_networks

        parse_networks(value)
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, env_settings, _TomlSource(settings_cls, config_file_path()), file_secret_settings)

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def web_url(self) -> str:
        """Where people open the approval page."""
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def llm_configured(self) -> bool:
        """A model endpoint is set: the agent writes with it; otherwise it runs offline."""
        return bool(self.llm_base_url and self.llm_model)

    @property
    def odoo_configured(self) -> bool:
        return bool(self.odoo_url)

    def odoo_connection(self) -> OdooConnection:
        """The configured Odoo, or a :class:`ConfigError` that names what is missing."""
        missing = [name for name, value in (("LEDGERPILOT_ODOO_URL", self.odoo_url),
                                            ("LEDGERPILOT_ODOO_DB", self.odoo_db),
                                            ("LEDGERPILOT_ODOO_USER", self.odoo_user)) if not value]
        if self.odoo_password is None and self.odoo_api_key is None:
            missing.append("LEDGERPILOT_ODOO_PASSWORD or LEDGERPILOT_ODOO_API_KEY")
        if missing:
            raise ConfigError("Odoo is not configured: set " + ", ".join(missing)
                              + " (environment or config file), or run `ledgerpilot demo` to use the sandbox.")
        try:
            return OdooConnection(url=self.odoo_url, db=self.odoo_db, user=self.odoo_user,
                                  password=self.odoo_password, api_key=self.odoo_api_key,
                                  transport=self.odoo_transport, timeout=self.odoo_timeout,
                                  batch_size=self.odoo_batch_size, verify_tls=self.odoo_verify_tls,
                                  company=self.odoo_company)
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, prefix="LEDGERPILOT_ODOO_")) from exc

    def odoo_write_connection(self) -> OdooConnection:
        """The Odoo user that writes approved proposals: LEDGERPILOT_ODOO_WRITE_USER, else the main one."""
        main = self.odoo_connection()
        if not self.odoo_write_user:
            return main
        if self.odoo_write_password is None:
            raise ConfigError("LEDGERPILOT_ODOO_WRITE_USER is set but LEDGERPILOT_ODOO_WRITE_PASSWORD is not: set the "
                              "password or API key of the user that writes approved proposals")
        return main.model_copy(update={"user": self.odoo_write_user, "password": self.odoo_write_password,
                                       "api_key": None})


def config_file_path() -> Path | None:
    explicit = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if explicit:
        return Path(explicit)
    home = os.environ.get(f"{ENV_PREFIX}HOME")
    return (Path(home) if home else default_home()) / "config.toml"


def describe_validation_error(exc: ValidationError, prefix: str = ENV_PREFIX) -> str:
    lines = []
    for err in exc.errors():
        loc = "_".join(str(part) for part in err["loc"]) if err["loc"] else ""
        name = f"{prefix}{loc.upper()}" if loc else prefix.rstrip("_")
        value = err.get("input")
        hidden = any(word in loc for word in ("password", "key", "secret", "token"))
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
