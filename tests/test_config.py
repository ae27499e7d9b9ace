"""Configuration: environment over TOML over defaults; bad values named clearly."""

import json

import pytest

from ledgerpilot.config import load_settings
from ledgerpilot.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("LEDGERPILOT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERPILOT_HOME", str(tmp_path))
    return tmp_path


def test_environment_configures_odoo(monkeypatch):
    monkeypatch.setenv("LEDGERPILOT_ODOO_URL", "https://erp.example.com/")
    monkeypatch.setenv("LEDGERPILOT_ODOO_DB", "prod")
    monkeypatch.setenv("LEDGERPILOT_ODOO_USER", "bot@example.com")
    monkeypatch.setenv("LEDGERPILOT_ODOO_API_KEY", "k" * 40)
    conn = load_settings().odoo.connection()
    assert conn.url == "https://erp.example.com"
    assert conn.secret == "k" * 40 and conn.transport == "auto"


def test_toml_file_with_sections_and_env_precedence(monkeypatch, tmp_path):
    (tmp_path / "config.toml").write_text(
        '[odoo]\nurl = "http://localhost:8069"\ndb = "fin"\nuser = "admin"\npassword = "secret"\nbatch_size = 2000\n')
    monkeypatch.setenv("LEDGERPILOT_ODOO_DB", "other")
    conn = load_settings().odoo.connection()
    assert (conn.url, conn.db, conn.batch_size) == ("http://localhost:8069", "other", 2000)
    assert conn.password.get_secret_value() == "secret"


def test_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("LEDGERPILOT_ODOO_BATCH_SIZE", "lots")
    with pytest.raises(ConfigError, match="LEDGERPILOT_ODOO_BATCH_SIZE"):
        load_settings()


def test_unknown_toml_key_is_rejected(tmp_path):
    (tmp_path / "config.toml").write_text('[odoo]\nurll = "http://x"\n')
    with pytest.raises(ConfigError, match="LEDGERPILOT_ODOO_URLL"):
        load_settings()


def test_malformed_toml_is_reported(tmp_path):
    (tmp_path / "config.toml").write_text("[odoo\nurl=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_missing_odoo_settings_are_listed():
    with pytest.raises(ConfigError) as info:
        load_settings().odoo.connection()
    message = str(info.value)
    assert "LEDGERPILOT_ODOO_URL" in message and "LEDGERPILOT_ODOO_PASSWORD or LEDGERPILOT_ODOO_API_KEY" in message


def test_url_must_be_http(monkeypatch):
    for key, value in {"URL": "ftp://x", "DB": "d", "USER": "u", "PASSWORD": "p"}.items():
        monkeypatch.setenv(f"LEDGERPILOT_ODOO_{key}", value)
    with pytest.raises(ConfigError, match="LEDGERPILOT_ODOO_URL"):
        load_settings().odoo.connection()


def test_config_path_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGERPILOT_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


GOOD_SECRET = "Tq8Zr3Lm6Wx1Vb9Np4Hc7Kd2Fs5Gy0Ja-Ue_Oi"


def test_odoo_webhook_secrets_and_sources_from_toml(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'[webhook]\nodoo_secrets = {{ bills = "{GOOD_SECRET}", orders = "{GOOD_SECRET[::-1]}" }}\n'
                      'odoo_sources = ["10.0.0.0/24", "2001:db8::5"]\nsettle_seconds = 0.5\n')
    monkeypatch.setenv("LEDGERPILOT_CONFIG", str(config))
    settings = load_settings()
    assert {name: s.get_secret_value() for name, s in settings.webhook.odoo_secrets.items()} == {
        "bills": GOOD_SECRET, "orders": GOOD_SECRET[::-1]}
    assert settings.webhook.odoo_sources == ["10.0.0.0/24", "2001:db8::5"] and settings.webhook.settle_seconds == 0.5


@pytest.mark.parametrize("secrets,words", [
    ({"bills": "too-short-to-guess-hard"}, "32 to 256"),
    ({"bills": GOOD_SECRET + "/x"}, "letters, digits"),
    ({"bills": GOOD_SECRET, "orders": GOOD_SECRET}, "are the same"),
    ({"bad name!": GOOD_SECRET}, "secret name"),
])
def test_weak_odoo_webhook_secrets_are_refused_without_echoing_them(monkeypatch, secrets, words):
    monkeypatch.setenv("LEDGERPILOT_WEBHOOK_ODOO_SECRETS", json.dumps(secrets))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "LEDGERPILOT_WEBHOOK_ODOO_SECRETS" in message and words in message
    assert all(value not in message for value in secrets.values())


def test_a_source_that_is_no_address_is_refused(monkeypatch):
    monkeypatch.setenv("LEDGERPILOT_WEBHOOK_ODOO_SOURCES", '["10.0.0.0/24", "odoo.example.com"]')
    with pytest.raises(ConfigError, match="LEDGERPILOT_WEBHOOK_ODOO_SOURCES: .*'odoo.example.com' is not an IP"):
        load_settings()
