"""Settings in sections: every variable of the flat settings lands where it did, and fails as it did.

``tests/fixtures/settings/flat_settings_outcomes.json`` was recorded with the flat ``Settings`` (one
field per variable), before the sections existed, by :func:`outcomes` below reading each setting
by its flat attribute. Here the same values go through the sectioned settings and must give the same
values and the same error messages, exit codes included, but for one deliberate change: a list or map
variable that is not JSON (see :func:`_changed_since_recording`).
"""

import json
import os
from pathlib import Path

import pytest

from ledgerpilot.config import SETTING_NAMES, Settings, load_settings
from ledgerpilot.errors import LedgerpilotError

RECORDED = Path(__file__).parent / "fixtures" / "settings" / "flat_settings_outcomes.json"

# every setting of the flat Settings, by its variable's name without LEDGERPILOT_, and where it is now
PLACES = {
    "home": "home", "odoo_url": "odoo.url", "odoo_db": "odoo.db", "odoo_user": "odoo.user",
    "odoo_password": "odoo.password", "odoo_api_key": "odoo.api_key", "odoo_transport": "odoo.transport",
    "odoo_timeout": "odoo.timeout", "odoo_batch_size": "odoo.batch_size", "odoo_verify_tls": "odoo.verify_tls",
    "odoo_company": "odoo.company", "odoo_write_user": "odoo.write_user", "odoo_write_password": "odoo.write_password",
    "currency_display": "currency.display", "cash_threshold": "cash.threshold",
    "cash_surplus_level": "cash.surplus_level", "budget_file": "budget.file", "budget_note_drift": "budget.note_drift",
    "budget_high_overspend": "budget.high_overspend", "close_checks": "close.checks",
    "close_unusual_amount_ratio": "close.unusual_amount_ratio", "close_tb_variance": "close.tb_variance",
    "close_tb_min_amount": "close.tb_min_amount", "close_match_high_confidence": "close.match_high_confidence",
    "anomaly_min_score": "anomaly.min_score", "anomaly_detectors": "anomaly.detectors",
    "anomaly_params": "anomaly.params", "anomaly_ap_user": "anomaly.ap_user",
    "anomaly_inventory_user": "anomaly.inventory_user", "anomaly_gl_user": "anomaly.gl_user",
    "llm_base_url": "llm.base_url", "llm_model": "llm.model", "llm_api_key": "llm.api_key",
    "llm_timeout": "llm.timeout", "llm_max_retries": "llm.max_retries", "llm_temperature": "llm.temperature",
    "llm_retry_wait_max": "llm.retry_wait_max", "agent_step_budget": "agent.step_budget",
    "discuss_channel": "discuss.channel", "discuss_poll_seconds": "discuss.poll_seconds", "web_host": "web.host",
    "web_port": "web.port", "web_public_url": "web.public_url", "web_session_idle_minutes": "web.session_idle_minutes",
    "web_session_max_hours": "web.session_max_hours", "web_apply_on_approve": "web.apply_on_approve",
    "webhook_secret": "webhook.secret", "webhook_max_age_seconds": "webhook.max_age_seconds",
    "webhook_odoo_secrets": "webhook.odoo_secrets", "webhook_odoo_sources": "webhook.odoo_sources",
    "webhook_settle_seconds": "webhook.settle_seconds", "smtp_host": "smtp.host", "smtp_port": "smtp.port",
    "smtp_security": "smtp.security", "smtp_user": "smtp.user", "smtp_password": "smtp.password",
    "smtp_timeout": "smtp.timeout", "digest_from": "digest.sender", "digest_to": "digest.to",
    "digest_channel": "digest.channel", "serve_digest_cron": "serve.digest_cron",
    "serve_digest_interval_minutes": "serve.digest_interval_minutes",
    "serve_budget_interval_minutes": "serve.budget_interval_minutes",
    "serve_anomaly_interval_minutes": "serve.anomaly_interval_minutes", "serve_jobs": "serve.jobs",
    "serve_discuss": "serve.discuss", "serve_apply_interval_minutes": "serve.apply_interval_minutes",
    "serve_status_token": "serve.status_token", "apply_lease_seconds": "apply.lease_seconds",
    "approval_groups": "approval.groups",
}

GOOD = {"home": "/tmp/ledgerpilot-home", "odoo_url": "https://x.example.com", "odoo_transport": "json2",
        "odoo_timeout": "12.5", "odoo_batch_size": "42", "odoo_verify_tls": "false", "odoo_company": "7",
        "cash_threshold": "1000", "close_checks": '["draft_moves"]', "anomaly_params": '{"d": {"p": 1.5}}',
        "anomaly_detectors": '["x"]', "approval_groups": '{"entry": "account.group_x"}',
        "webhook_odoo_sources": '["10.0.0.0/24"]',
        "webhook_odoo_secrets": '{"bills": "Tq8Zr3Lm6Wx1Vb9Np4Hc7Kd2Fs5Gy0Ja-Ue_Oi"}', "digest_to": '["a@b.c"]',
        "serve_jobs": '["digest"]', "smtp_security": "ssl", "web_port": "9000", "web_apply_on_approve": "0",
        "serve_discuss": "no", "budget_file": "/tmp/b.csv", "anomaly_ap_user": "12", "anomaly_gl_user": "ctrl"}
BAD = ["lots", "-1", "[oops", '{"a": 1}', "", "1e999", "0"]

# the settings given as JSON in the environment (lists and maps)
JSON_SETTINGS = {"close_checks", "anomaly_detectors", "anomaly_params", "webhook_odoo_secrets",
                 "webhook_odoo_sources", "digest_to", "serve_jobs", "approval_groups"}


def shown(value):
    if hasattr(value, "get_secret_value"):
        return "SECRET:" + value.get_secret_value()
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shown(v) for v in value]
    return repr(value)


def _load(env: dict[str, str], scratch: Path):
    for key in list(os.environ):
        if key.upper().startswith("LEDGERPILOT_"):
            del os.environ[key]
    os.environ["LEDGERPILOT_HOME"] = str(scratch / "home")
    os.environ.update(env)
    try:
        return True, load_settings()
    except LedgerpilotError as exc:
        return False, f"{type(exc).__name__} exit={exc.exit_code}: {str(exc).replace(str(scratch), '<DIR>')}"
    except Exception as exc:  # noqa: BLE001 - recorded as it was (pydantic-settings' own parse errors)
        return False, f"{type(exc).__name__}: {exc}"


def outcomes(read, scratch: Path) -> dict:
    """What each variable gives: a good value, malformed values, and TOML keys flat and in sections.

    ``read(settings, flat_name)`` reads a setting (by its flat attribute when recording, by its section now).
    """
    def result(env):
        ok, value = _load(env, scratch)
        return shown(read(value, name)) if ok else value

    found: dict = {"good": {}, "bad": {}, "toml": {}}
    for name in PLACES:
        variable = "LEDGERPILOT_" + name.upper()
        found["good"][variable] = result({variable: GOOD.get(name, "3")})
        for bad in BAD:
            found["bad"][f"{variable}={bad}"] = result({variable: bad})
        if name == "home":
            continue
        section, _, key = name.partition("_")
        config = scratch / "config.toml"
        for label, text in (("section", f'[{section}]\n{key} = "lots"\n'), ("flat", f'{name} = "lots"\n'),
                            ("flat-good", f"{name} = 3\n")):
            config.write_text(text)
            found["toml"][f"{name}:{label}"] = result({"LEDGERPILOT_CONFIG": str(config)})
    return found


def read_section(settings, name):
    value = settings
    for part in PLACES[name].split("."):
        value = getattr(value, part)
    return value


@pytest.fixture()
def clean_environment(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.upper().startswith("LEDGERPILOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERPILOT_HOME", str(tmp_path))   # restored (and the others) when the test ends
    return tmp_path


def test_every_flat_setting_has_its_place():
    assert {name: ".".join(path) for name, path in SETTING_NAMES.items()} == PLACES


def test_every_variable_loads_and_fails_as_with_flat_settings(clean_environment):
    recorded = json.loads(RECORDED.read_text())
    saved = dict(os.environ)
    try:
        now = outcomes(read_section, clean_environment)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    not_json = _changed_since_recording(recorded["bad"], now["bad"])
    for part in ("good", "bad", "toml"):
        differ = {key: (recorded[part][key], now[part].get(key)) for key in recorded[part]
                  if recorded[part][key] != now[part].get(key) and key not in not_json}
        assert not differ, f"{part}: {differ}"
        assert now[part].keys() == recorded[part].keys()


def _changed_since_recording(recorded: dict, now: dict) -> set[str]:
    """The one change since the recording: a list or map variable that is not JSON is a one-line
    configuration error naming the variable (it was pydantic-settings' SettingsError, or "Input should be
    a valid list" over three lines); a secret's value is not shown."""
    changed = set()
    for key in recorded:
        variable, _, bad = key.partition("=")
        name = variable.removeprefix("LEDGERPILOT_").lower()
        try:
            json.loads(bad)
        except ValueError:
            if name not in JSON_SETTINGS:
                continue
        else:
            continue
        shape = "an object" if name in ("anomaly_params", "approval_groups", "webhook_odoo_secrets") else "a list"
        assert now[key].startswith(f"ConfigError exit=2: {variable} is not valid JSON: "), (key, now[key])
        assert now[key].endswith(f"; write {shape} such as " + ('{"name": "value"}' if shape == "an object"
                                                                 else '["a", "b"]')), (key, now[key])
        assert "\n" not in now[key] and (repr(bad) in now[key]) == (name != "webhook_odoo_secrets"), now[key]
        changed.add(key)
    assert len(changed) == len(JSON_SETTINGS) * 3                 # "lots", "[oops" and "" for each
    return changed


def test_sections_merge_across_sources_and_keywords(clean_environment, monkeypatch):
    (clean_environment / "config.toml").write_text('[odoo]\nurl = "http://toml"\ndb = "tomldb"\nuser = "t"\n'
                                                   '[digest]\nfrom = "books@example.com"\n')
    monkeypatch.setenv("LEDGERPILOT_ODOO_DB", "envdb")
    settings = load_settings(odoo_user="kw", odoo={"password": "p"})
    assert (settings.odoo.url, settings.odoo.db, settings.odoo.user) == ("http://toml", "envdb", "kw")
    assert settings.odoo.password.get_secret_value() == "p" and settings.digest.sender == "books@example.com"


def test_a_section_name_alone_is_no_setting(clean_environment):
    (clean_environment / "config.toml").write_text('odoo = "x"\n')
    with pytest.raises(LedgerpilotError, match=r"LEDGERPILOT_ODOO: Extra inputs are not permitted \(got 'x'\)"):
        load_settings()


def test_updated_replaces_by_flat_name_and_refuses_unknown_names(clean_environment):
    settings = Settings(home=Path("/tmp/x"), llm_model="a")
    copy = settings.updated(llm_model="b", anomaly_ap_user=None, home=Path("/tmp/y"))
    assert (settings.llm.model, copy.llm.model, copy.home) == ("a", "b", Path("/tmp/y"))
    with pytest.raises(ValueError, match="'llm_modle' is not a setting"):
        settings.updated(llm_modle="c")


def test_an_error_in_a_renamed_field_names_its_variable(clean_environment, monkeypatch):
    monkeypatch.setenv("LEDGERPILOT_DIGEST_TO", '"nobody"')
    with pytest.raises(LedgerpilotError, match="LEDGERPILOT_DIGEST_TO: Input should be a valid list"):
        load_settings()
    monkeypatch.delenv("LEDGERPILOT_DIGEST_TO")
    with pytest.raises(LedgerpilotError, match="LEDGERPILOT_DIGEST_FROM: Input should be a valid string"):
        load_settings(digest_from=3)
