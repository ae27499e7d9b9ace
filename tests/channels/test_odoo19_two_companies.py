"""Every command against the sandbox playing Odoo 19 with two companies and /jsonrpc switched off.

The sandbox serves the recorded 19.0 schemas (no budget module, no inventory), answers 404 on
``/jsonrpc`` and ``/xmlrpc``, and holds two companies: the first (the admin's current company) and
Brightwave Logistics BV, whose bank, receivables, entries, orders and anomalies would change every
figure of the first if a read were not restricted. Each command runs as a real ``ledgerpilot``
subprocess over JSON-2 with an API key, once for the user's current company (nothing configured) and,
for the reading commands, once with ``LEDGERPILOT_ODOO_COMPANY`` naming the second company.

Truths come from plain SQL over the sandbox's database, by company: never from ledgerpilot.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ledgerpilot.sandbox.store import database_path
from tests.channels.conftest import run_cli
from tests.conftest import DEMO_TODAY, api_key_for

pytestmark = pytest.mark.slow

FIRST, SECOND = "Brightwave Supplies SA", "Brightwave Logistics BV"
AS_OF = DEMO_TODAY.isoformat()
PERIOD = "2026-10"
QUESTION = "what is our cash position?"

#: command name -> arguments; the reading commands run for both companies
READING = {
    "overview": ["overview", "--json", "--as-of", AS_OF],
    "forecast": ["forecast", "--json", "--as-of", AS_OF],
    "budget": ["budget", "--json", "--as-of", AS_OF],
    "close checks": ["close", "checks", "--json", "--period", PERIOD, "--today", AS_OF],
    "anomalies scan": ["anomalies", "scan", "--json", "--today", AS_OF],
    "chat": ["chat", "--json", QUESTION, "--today", AS_OF],
}
FIRST_ONLY = {
    "close run": ["close", "run", "--json", "--period", PERIOD, "--today", AS_OF],
    "digest": ["digest", "--out", "{home}/digest"],
    "proposals list": ["proposals", "list", "--json"],
}


def _env(handle, home: Path, key: str, company: str | None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERPILOT_")}
    env.update(LEDGERPILOT_HOME=str(home), COLUMNS="200", LEDGERPILOT_ODOO_URL=handle.url, LEDGERPILOT_ODOO_DB=handle.db,
               LEDGERPILOT_ODOO_USER="admin", LEDGERPILOT_ODOO_API_KEY=key)
    if company is not None:
        env["LEDGERPILOT_ODOO_COMPANY"] = company
    return env


@pytest.fixture(scope="module")
def runs(sandbox19, tmp_path_factory):
    key = api_key_for(sandbox19, "admin")
    results: dict[tuple[str, str], object] = {}
    for company in (FIRST, SECOND):
        home = tmp_path_factory.mktemp("home")
        env = _env(sandbox19, home, key, None if company == FIRST else company)
        commands = {**READING, **(FIRST_ONLY if company == FIRST else {})}
        for name, args in commands.items():
            args = [a.replace("{home}", str(home)) for a in args]
            results[(company, name)] = run_cli(*args, env=env, timeout=600)
        results[(company, "home")] = home
    return results


@pytest.fixture(scope="module")
def db(demo_db_path):
    conn = sqlite3.connect(f"file:{demo_db_path}?mode=ro", uri=True)
    yield conn
    conn.close()


def company_id(db, name: str) -> int:
    return db.execute("SELECT id FROM res_company WHERE name = ?", (name,)).fetchone()[0]


def bank_truth(db, company: int) -> float:
    return db.execute(
        "SELECT ROUND(SUM(l.balance), 2) FROM account_move_line l JOIN account_account a ON a.id = l.account_id "
        "WHERE a.account_type = 'asset_cash' AND l.parent_state = 'posted' AND l.date <= ? AND l.company_id = ?",
        (AS_OF, company)).fetchone()[0]


def moves_of(db, company: int) -> set[int]:
    return {r[0] for r in db.execute("SELECT id FROM account_move WHERE company_id = ?", (company,))}


def output(runs, company: str, name: str):
    result = runs[(company, name)]
    assert result.returncode == 0, f"{name} for {company}: exit {result.returncode}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    return result


def as_json(runs, company: str, name: str) -> dict:
    return json.loads(output(runs, company, name).stdout)


@pytest.mark.parametrize("company", [FIRST, SECOND])
@pytest.mark.parametrize("name", list(READING))
def test_every_reading_command_runs_and_names_its_company(runs, company, name):
    data = as_json(runs, company, name)
    named = data["company"]["name"] if isinstance(data["company"], dict) else data["company"]
    assert named == company


@pytest.mark.parametrize("name", list(FIRST_ONLY))
def test_the_close_run_the_digest_and_the_queue_run(runs, name):
    output(runs, FIRST, name)


def test_nothing_touched_the_deprecated_endpoints(runs, sandbox19):
    assert sandbox19.app.legacy_rpc is False  # they answer 404: any call would have failed a command
    assert sandbox19.app.legacy_rpc_calls == 0


@pytest.mark.parametrize("company", [FIRST, SECOND])
def test_overview_and_forecast_read_only_their_company(runs, db, company):
    truth = bank_truth(db, company_id(db, company))
    other = bank_truth(db, company_id(db, SECOND if company == FIRST else FIRST))
    assert truth and other  # both companies have money in the bank
    overview = as_json(runs, company, "overview")
    assert overview["odoo_version"] == "19.0" and overview["transport"] == "json2"
    assert float(overview["bank"]["total"]) == pytest.approx(truth, abs=0.01)
    receivable = db.execute(
        "SELECT ROUND(SUM(l.amount_residual), 2) FROM account_move_line l JOIN account_account a ON a.id = l.account_id "
        "WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted' AND l.reconciled = 0 "
        "AND l.amount_residual != 0 AND l.date <= ? AND l.company_id = ?",
        (AS_OF, company_id(db, company))).fetchone()[0]
    assert float(overview["receivables"]["total"]) == pytest.approx(receivable, abs=0.01)
    forecast = as_json(runs, company, "forecast")
    assert float(forecast["opening_balance"]) == pytest.approx(truth, abs=0.01)


def test_budget_says_there_is_no_budget_module(runs):
    for company in (FIRST, SECOND):
        data = as_json(runs, company, "budget")
        assert data["lines"] == [] and "not installed" in json.dumps(data)


@pytest.mark.parametrize("company", [FIRST, SECOND])
def test_close_checks_cite_only_their_company(runs, db, company):
    data = as_json(runs, company, "close checks")
    mine = moves_of(db, company_id(db, company))
    cited = {r["id"] for f in data["findings"] for r in f["records"] if r["model"] == "account.move"}
    assert cited <= mine
    assert cited or company == SECOND  # the second company's October is clean
    drafts = {r[0] for r in db.execute("SELECT id FROM account_move WHERE state = 'draft' AND company_id = ? "
                                       "AND date BETWEEN '2026-10-01' AND '2026-10-31'", (company_id(db, company),))}
    found = {r["id"] for f in data["findings"] if f["check"] == "draft_moves" for r in f["records"]}
    assert found == drafts


@pytest.mark.parametrize("company", [FIRST, SECOND])
def test_anomalies_are_the_company_own(runs, db, company):
    data = as_json(runs, company, "anomalies scan")
    mine = moves_of(db, company_id(db, company))
    cited = {r["id"] for a in data["anomalies"] for r in a["records"] if r["model"] == "account.move"}
    assert cited and cited <= mine
    intercompany = [a for a in data["anomalies"] if a["kind"] == "intercompany_one_sided"]
    if company == SECOND:  # the bill from the first company, which the first never invoiced
        assert [a["figures"]["reference"] for a in intercompany] == ["BW-IC-0001"]
    else:
        assert intercompany == []


@pytest.mark.parametrize("company", [FIRST, SECOND])
def test_chat_answers_for_its_company(runs, db, company):
    data = as_json(runs, company, "chat")
    truth = bank_truth(db, company_id(db, company))
    assert f"{truth:,.2f}" in data["text"]


def test_close_run_and_digest_are_the_first_company(runs, db):
    state = as_json(runs, FIRST, "close run")
    assert state["company"] == FIRST and state["status"] in ("waiting", "done", "finished", "interrupted")
    mine = moves_of(db, company_id(db, FIRST))
    cited = {r["id"] for f in state.get("findings", []) for r in f["records"] if r["model"] == "account.move"}
    assert cited <= mine
    home = runs[(FIRST, "home")]
    html = next((home / "digest").glob("*.html")).read_text()
    assert FIRST in html and SECOND not in html


def test_the_discuss_bot_answers_over_json2(fresh_sandbox19, tmp_path):
    """The bot reads and posts in a Discuss channel over JSON-2 alone (message_post as a record method)."""
    handle = fresh_sandbox19
    service = handle.service
    controller = service.login(handle.db, "controller", "controller")
    channel = service.call(controller, "discuss.channel", "search", [[("name", "=", "finance")]], {})
    env = _env(handle, tmp_path / "home", api_key_for(handle, "admin"), None)
    first = run_cli("discuss", "--once", "--channel", "finance", env=env, timeout=600)  # starts at the end
    assert first.returncode == 0, first.stderr
    service.call(controller, "discuss.channel", "message_post", [channel],
                 {"body": "what is our cash position?", "message_type": "comment"})
    second = run_cli("discuss", "--once", "--channel", "finance", env=env, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "1 answered" in second.stdout
    admin = service.login(handle.db, "admin", "admin")
    [answer] = service.call(admin, "mail.message", "search_read",
                            [[("model", "=", "discuss.channel"), ("res_id", "in", channel)]],
                            {"fields": ["body", "author_id"], "order": "id desc", "limit": 1})
    assert answer["author_id"][1] == "Mitchell Admin" and "EUR" in answer["body"]
    assert handle.app.legacy_rpc_calls == 0
