"""A real approval page: uvicorn on a free localhost port, in front of the sandbox; and headless Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from decimal import Decimal

import httpx
import pytest
import uvicorn

from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import Evidence, OdooCall, Proposal, RecordRef
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApp:
    """A FastAPI app served by uvicorn in a thread until ``stop()``."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def entry_proposal(ref: str = "Accrual October", created_by: str = "ledgerpilot-agent",
                   amount: str = "250.00") -> Proposal:
    """A draft journal entry (accrual) on the demo company's miscellaneous journal."""
    value = Decimal(amount)
    values = {"move_type": "entry", "journal_id": 3, "date": "2026-10-31", "ref": ref,
              "line_ids": [(0, 0, {"account_id": 27, "name": ref, "debit": value, "credit": Decimal(0)}),
                           (0, 0, {"account_id": 23, "name": ref, "debit": Decimal(0), "credit": value})]}
    return Proposal(kind="accrual", title=f"Accrue {ref}", summary="Goods received in October, not billed yet.",
                    payload=OdooCall(model="account.move", method="create", args=([values],)), run_id="close-1",
                    created_by=created_by,
                    evidence=Evidence(records=(RecordRef(model="account.account", id=27, name="Expenses"),),
                                      figures={"amount": value, "lines": 2}))


@pytest.fixture()
def approval_page(fresh_sandbox, tmp_path):
    """(served app, store, audit, odoo connection) for a writable sandbox; the agent logs in as admin."""
    db = StateDB.in_home(tmp_path / "home")
    store, audit = ProposalStore(db), AuditLog(db)
    odoo = OdooConnection(url=fresh_sandbox.url, db=fresh_sandbox.db, user="admin", password="admin",
                          transport="jsonrpc")
    config = ApprovalPageConfig(odoo=odoo, write_connection=odoo, agent_logins={"admin"}, approval_groups={})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    try:
        yield served, store, audit, odoo
    finally:
        served.stop()
        db.close()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: ./dev.sh test installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def wait_ready(url: str) -> None:
    httpx.get(url + "/login", timeout=5)
