"""The approval queue a controller clears, in real headless Chromium in front of the sandbox over HTTP.

The queue is made the way ``ledgerpilot demo`` makes it -- the budget watch and a full anomaly scan of
the demo company -- plus what the month-end close proposes (accruals and their reversals, by the close's
own calculator) and a payment proposal of the cash forecast. The tests check what a controller relies
on: one item per finding, its parts decided together and written once; batches; sorting and filters;
a journal entry shown as Odoo shows one; and at 1280 px and 390 px no element wider than its card
(screenshots of both widths are written beside the test's files, and to ``LEDGERPILOT_SCREENSHOTS``
when it names a folder: docs/images for docs/approval-page.md).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerpilot.calc.close.accruals import propose_accruals
from ledgerpilot.channels.web.approval_app import ApprovalPageConfig, create_approval_app
from ledgerpilot.config import OdooConnection, Settings
from ledgerpilot.domain.month import Month
from ledgerpilot.domain.proposal import OdooCall, Proposal
from ledgerpilot.memory import ProposalStore, StateDB
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.odoo import connect
from ledgerpilot.tools.anomalies.scan import scan_anomalies
from ledgerpilot.tools.budget.watch import BudgetRequest, run_budget
from ledgerpilot.tools.cash.forecast import ForecastRequest, run_forecast
from ledgerpilot.tools.close.accruals import load_accrual_data
from tests.channels.web.conftest import ServedApp
from tests.conftest import DEMO_TODAY
from tests.security.conftest import records_in_odoo

pytestmark = pytest.mark.slow

#: every element inside a card (and the card itself) within the card; the page no wider than the window
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const card of document.querySelectorAll('.card, .decide-bar')) {
    const box = card.getBoundingClientRect();
    if (card.scrollWidth > card.clientWidth + 1) problems.push(`${name(card)} scrolls sideways (${card.scrollWidth} > ${card.clientWidth})`);
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1) {
        problems.push(`${name(el)} [${Math.round(r.left)}..${Math.round(r.right)}] outside ${name(card)} [${Math.round(box.left)}..${Math.round(box.right)}]: ${(el.innerText || '').slice(0, 40)}`);
      }
    }
  }
  return problems;
}"""
WIDTHS = ((1280, 900), (390, 844))


def _connection(handle, user: str = "admin") -> OdooConnection:
    return OdooConnection(url=handle.url, db=handle.db, user=user, password=user, transport="jsonrpc")


def fill_the_queue(handle, home: Path) -> dict:
    """The demo's queue (budget watch, anomaly scan), the close's accruals and a payment proposal."""
    with connect(_connection(handle), cache_dir=home / "cache") as admin:
        budget = run_budget(admin, home, BudgetRequest(as_of=DEMO_TODAY, use_memory=False))
        scan = scan_anomalies(admin, home, today=DEMO_TODAY, settings=Settings(home=home), use_memory=False)
        month = Month.of(DEMO_TODAY)
        accruals = propose_accruals(load_accrual_data(admin, month, today=DEMO_TODAY), month, run_id="close-test")
        with StateDB.in_home(home) as db:
            store = ProposalStore(db)
            closing = [store.add(p).proposal for p in accruals]
        forecast = run_forecast(admin, home, ForecastRequest(as_of=DEMO_TODAY - dt.timedelta(days=3), weeks=6,
                                                             simulations=50, surplus_level="1"), today=DEMO_TODAY)
    return {"budget": budget, "scan": scan, "accruals": closing, "forecast": forecast}


@pytest.fixture()
def queue_page(fresh_sandbox, tmp_path):
    """(served page, store, audit, what filled the queue) over a writable sandbox; the agent is admin."""
    home = tmp_path / "home"
    made = fill_the_queue(fresh_sandbox, home)
    db = StateDB.in_home(home)
    store, audit = ProposalStore(db), AuditLog(db)
    odoo = _connection(fresh_sandbox)
    config = ApprovalPageConfig(odoo=odoo, write_connection=odoo, agent_logins={"admin"}, approval_groups={})
    served = ServedApp(create_approval_app(config, store, audit)).start()
    try:
        yield served, store, audit, made, fresh_sandbox
    finally:
        served.stop()
        db.close()


def sign_in(page, url: str, login: str = "controller") -> None:
    page.goto(url + "/login")
    page.fill("#login", login)
    page.fill("#password", login)
    page.click("button[type=submit]")


def open_all_details(page) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


def layout_problems(page) -> list[str]:
    return page.evaluate(LAYOUT_PROBLEMS)


def shot(page, tmp_path: Path, name: str, *, full_page: bool = True) -> None:
    target = tmp_path / "screenshots" / f"{name}.png"
    target.parent.mkdir(exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(target), full_page=full_page)
    folder = os.environ.get("LEDGERPILOT_SCREENSHOTS")
    if folder:                           # for the docs: 256 colours are plenty for a page of text
        from PIL import Image

        Path(folder).mkdir(parents=True, exist_ok=True)
        with Image.open(target) as image:
            image.convert("RGB").quantize(colors=256).save(Path(folder) / target.name, optimize=True)


def item_ids(page) -> list[str]:
    return page.eval_on_selector_all("input[name=item]", "boxes => boxes.map(b => b.value)")


def test_at_1280_and_390_px_nothing_is_wider_than_its_card(queue_page, browser, tmp_path):
    served, _store, _audit, made, _handle = queue_page
    accrual = next(p for p in made["accruals"] if p.kind == "accrual")
    anomaly = next(p for p in made["scan"].proposals if p.kind == "activity")
    budget = next(p for p in made["budget"].proposals if p.kind in ("budget_transfer", "po_hold"))
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            page.goto(served.url + "/login")
            assert layout_problems(page) == [], f"the sign-in page at {width} px"
            sign_in(page, served.url)
            assert page.url == served.url + "/proposals"
            shot(page, tmp_path, f"approval-queue-{width}", full_page=False)
            assert layout_problems(page) == []
            open_all_details(page)
            assert layout_problems(page) == [], "with every item's evidence open"
            page.goto(served.url + "/proposals")
            page.click(f"#item-{page.eval_on_selector('input[name=item]', 'b => b.value')} details summary")
            shot(page, tmp_path, f"approval-queue-evidence-{width}", full_page=False)
            for label, proposal in (("entry", accrual), ("anomaly", anomaly), ("budget", budget)):
                page.goto(f"{served.url}/proposals/{proposal.id}")
                assert page.locator("h1").count() == 1
                open_all_details(page)
                assert layout_problems(page) == [], f"the {label} item at {width} px"
                page.evaluate("() => document.querySelectorAll('details.call').forEach(d => d.open = false)")
                shot(page, tmp_path, f"approval-item-{label}-{width}")
            page.goto(served.url + "/proposals/" + "0" * 32)
            assert "No such proposal" in page.inner_text("h1") and layout_problems(page) == []
        finally:
            context.close()


def test_one_item_per_finding_and_its_parts_are_approved_and_written_together(queue_page, page):
    served, store, audit, made, handle = queue_page
    pending = store.list(state="proposed")
    findings = {p.finding for p in pending}
    assert len(findings) < len(pending)                   # notes and activities, accruals and reversals, grouped
    sign_in(page, served.url)
    assert f"({len(findings)} items waiting, {len(pending)} proposals)" in page.inner_text("h1")
    assert len(item_ids(page)) == len(findings)
    # an anomaly: its activity and its note are one item, decided with one press
    parts = [p for p in made["scan"].proposals if p.finding == made["scan"].proposals[0].finding]
    assert {p.kind for p in parts} >= {"activity", "note"}
    page.goto(f"{served.url}/proposals/{parts[-1].id}")   # any part opens the whole item
    assert f"{len(parts)} parts, decided together" in page.inner_text("body")
    page.fill("#approve-comment", "checked with AP")
    page.click("#approve")
    assert "Approved and written to Odoo." in page.inner_text("[role=status]")
    assert page.inner_text("#state") == "applied"
    assert {store.get(p.id).state for p in parts} == {"applied"}
    assert {store.decision(p.id).note for p in parts} == {"checked with AP"}
    decisions = audit.entries(action="decision")
    assert sorted(e.subject for e in decisions) == sorted(p.id for p in parts)
    assert all(e.details["parts"] == len(parts) for e in decisions)
    with connect(_connection(handle)) as client:
        assert [records_in_odoo(client, p) for p in parts] == [1] * len(parts)
    # the accrual and its reversal: one item, posted together when asked
    accrual = next(p for p in made["accruals"] if p.kind == "accrual")
    reversal = next(p for p in made["accruals"] if p.kind == "reversal" and p.finding == accrual.finding)
    page.goto(f"{served.url}/proposals/{accrual.id}")
    page.check("input[name=post]")
    page.click("#approve")
    assert page.inner_text("#state") == "applied"
    assert store.decision(accrual.id).post and store.decision(reversal.id).post
    with connect(_connection(handle)) as client:
        assert [records_in_odoo(client, p) for p in (accrual, reversal)] == [1, 1]
    page.goto(served.url + "/proposals")
    assert accrual.id not in item_ids(page) and parts[0].id not in item_ids(page)


def test_a_journal_entry_is_shown_as_odoo_shows_one(queue_page, page):
    served, _store, _audit, made, handle = queue_page
    accrual = next(p for p in made["accruals"] if p.kind == "accrual")
    values = accrual.payload.args[0][0]
    sign_in(page, served.url)
    page.goto(f"{served.url}/proposals/{accrual.id}")
    head = page.inner_text("dl.entry-head")
    assert values["date"] in head and "Miscellaneous Operations (MISC)" in head and values["ref"] in head
    with connect(_connection(handle)) as client:
        accounts = {a["id"]: f"{a['code']} {a['name']}" for a in client.search_read("account.account", [],
                                                                                     ["code", "name"])}
    rows = page.locator("table.entry").first.locator("tbody tr")
    lines = [command[2] for command in values["line_ids"]]
    assert rows.count() == len(lines)
    for index, line in enumerate(lines):
        cells = rows.nth(index).locator("td").all_inner_texts()
        assert cells[0] == accounts[line["account_id"]]
        assert cells[2] == line["name"]
        amount = f"{Decimal(str(line['debit'] or line['credit'])):,.2f}"
        assert amount in (cells[4], cells[5])
    totals = page.locator("table.entry").first.locator("tfoot td").all_inner_texts()
    total = f"{sum(Decimal(str(line['debit'])) for line in lines):,.2f}"
    assert totals[-2:] == [total, total]
    # the raw call is there, folded away
    call = page.locator("details.call").first
    assert call.get_attribute("open") is None and '"method": "create"' in call.text_content()
    figures = page.inner_text("dl.figures")
    assert "anomaly_key" not in figures and "line_ids" not in figures


def test_batches_approve_and_reject_the_selected_items(queue_page, page):
    served, store, audit, made, handle = queue_page
    sign_in(page, served.url)
    page.goto(served.url + "/proposals?kind=anomaly&sort=amount")
    chosen = item_ids(page)[:3]
    parts = [p for i in chosen for p in store.by_finding(store.get(i).finding)]
    for item in chosen:
        page.check(f"#pick-{item}")
    page.click("#approve-selected")
    assert page.url.startswith(served.url + "/proposals?")          # back to the same view, filters kept
    assert "kind=anomaly" in page.url and "sort=amount" in page.url
    assert f"Approved 3 items ({len(parts)} proposals); all written to Odoo." in page.inner_text("[role=status]")
    assert {store.get(p.id).state for p in parts} == {"applied"}
    with connect(_connection(handle)) as client:
        assert all(records_in_odoo(client, p) == 1 for p in parts)
    assert not set(chosen) & set(item_ids(page))
    # rejecting needs a reason; with one, every part of every selected item is rejected
    budget_items = [p.id for p in made["budget"].proposals][:2]
    page.goto(served.url + "/proposals?kind=budget")
    for item in budget_items:
        page.check(f"#pick-{item}")
    with page.expect_response(lambda r: r.url.endswith("/proposals/decide")) as answer:
        page.click("#reject-selected")
    assert answer.value.status == 400 and "needs a comment" in page.inner_text("[role=alert]")
    assert {store.get(i).state for i in budget_items} == {"proposed"}
    page.goto(served.url + "/proposals?kind=budget")
    for item in budget_items:
        page.check(f"#pick-{item}")
    page.fill("#batch-comment", "budget reviewed on Monday")
    page.click("#reject-selected")
    assert "Rejected 2 items (2 proposals)." in page.inner_text("[role=status]")
    assert {store.get(i).state for i in budget_items} == {"rejected"}
    assert {store.decision(i).note for i in budget_items} == {"budget reviewed on Monday"}
    batches = audit.entries(action="batch_decision")
    assert [(b.details["action"], b.details["decided"]) for b in batches] == [("approve", 3), ("reject", 2)]
    # select all on this page ticks every box of the page, nothing else
    page.goto(served.url + "/proposals?risk=low")
    page.click("#select-all")
    boxes = page.locator("input[name=item]")
    assert boxes.count() > 0 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert "risk=low" in page.url


def _column(page, css: str) -> list[str]:
    return page.locator(f".qrow.item {css}").all_inner_texts()


def _amount(text: str) -> Decimal | None:
    return Decimal(text.replace(",", "")) if text.strip() else None


def test_sorted_and_filtered_by_risk_amount_kind_age_source_and_record(queue_page, page):
    served, store, _audit, made, _handle = queue_page
    # an item waiting since last month, for the age filter
    old = made["forecast"].proposals[0]
    month_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).replace(microsecond=0).isoformat()
    with store.db.transaction() as conn:
        conn.execute("UPDATE proposals SET created_at = ?, body = json_set(body, '$.created_at', ?) WHERE id = ?",
                     (month_ago, month_ago, old.id))
    sign_in(page, served.url)
    rank = {"high": 0, "medium": 1, "low": 2, "not": 3}
    risks = [text.split()[0] for text in _column(page, ".c-risk")]
    assert risks == sorted(risks, key=rank.get) and risks[0] == "high"
    scored = [Decimal(text.split()[1]) for text in _column(page, ".c-risk") if len(text.split()) == 2
              and text.startswith("high")]
    assert scored == sorted(scored, reverse=True)

    page.select_option("#sort", "amount")
    page.click("form.filters button")
    amounts = [_amount(t) for t in _column(page, ".c-amount")]
    known = [a for a in amounts if a is not None]
    assert known == sorted(known, reverse=True) and amounts[:len(known)] == known

    page.goto(served.url + "/proposals?kind=budget")
    assert set(_column(page, ".c-source")) == {"Budget watch"}
    assert len(item_ids(page)) == len({p.finding for p in made["budget"].proposals})
    page.goto(served.url + "/proposals?source=ledgerpilot:anomalies&risk=high")
    assert set(_column(page, ".c-source")) == {"Anomaly scan"}
    assert all(t.startswith("high") for t in _column(page, ".c-risk"))

    record = made["scan"].items[0].anomaly.records[0].name
    page.goto(served.url + "/proposals")
    page.fill("#record", record.lower())
    page.click("form.filters button")
    found = item_ids(page)
    assert 0 < len(found) < len({p.finding for p in store.list(state="proposed")}) and "record=" in page.url
    for item in found:     # named in the row or among the records of its evidence
        assert record.casefold() in page.locator(f"#item-{item}").text_content().casefold()

    page.goto(served.url + "/proposals?age=30d")
    assert item_ids(page) == [old.id]
    page.goto(served.url + "/proposals?sort=age")
    assert item_ids(page)[0] == old.id
    page.goto(served.url + "/proposals?kind=nonsense&sort=nonsense&risk=<b>")
    assert page.locator(".qrow.item").count() == len({p.finding for p in store.list(state="proposed")})


def test_a_long_queue_is_paged_with_its_filters_and_escapes_what_odoo_says(queue_page, page):
    served, store, _audit, _made, _handle = queue_page
    for index in range(60):
        store.add(Proposal(kind="note", title=f"Note <b>{index}</b> on <script>x()</script>", summary="s",
                           payload=OdooCall(model="res.partner", method="message_post", args=([index + 1],),
                                            kwargs={"body": f"<p>n{index}</p>"}),
                           run_id="many", created_by="ledgerpilot-agent", requested_by="jane"))
    sign_in(page, served.url)
    page.goto(served.url + "/proposals?kind=note&sort=age")
    assert len(item_ids(page)) == 50 and "page 1 of 2" in page.inner_text("nav.pages")
    first = set(item_ids(page))
    page.click("nav.pages >> text=next")
    assert "kind=note" in page.url and "sort=age" in page.url and "page=2" in page.url
    assert len(item_ids(page)) == 10 and not first & set(item_ids(page))
    headline = page.locator("a.headline").first
    assert headline.inner_text().startswith("Note <b>") and "<script>" in headline.inner_text()
    assert "<script>x()" not in page.content()
    assert "asked for by jane" in page.inner_text(".qrow.item")
