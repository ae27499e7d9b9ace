"""Alerts as proposals: the right person, a note on the record, a hold for a strong unpaid duplicate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.anomalies.alerts import (
    EXCEPTION_ACTIVITY,
    Alert,
    AlertSettings,
    alert_proposals,
    chatter_target,
    role_of,
)
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import Proposal, RecordRef

FIRST_SEEN = dt.date(2026, 11, 18)
USERS = AlertSettings(ap_user_id=21, inventory_user_id=22, gl_user_id=23)


def duplicate(score: float = 0.95) -> Anomaly:
    return Anomaly(detector="duplicate_bills", kind="duplicate_bill_same_reference", score=score,
                   title="Bill DUP-7781 from Quartz <Builders> entered twice", reason="Same vendor, same reference, same amount.",
                   records=(RecordRef(model="account.move", id=3320, name="BILL/2026/08/0005"),
                            RecordRef(model="account.move", id=3319, name="BILL/2026/08/0004")),
                   amount=Decimal("2119.68"), occurred_on=dt.date(2026, 8, 14), partner="Quartz <Builders>",
                   figures={"days_apart": 8, "ratio": Decimal("1.00")})


def cost_jump() -> Anomaly:
    return Anomaly(detector="unit_cost_jumps", kind="unit_cost_jump", score=0.8, title="Unit cost of Chair tripled",
                   reason="45.00 against a usual 15.00.", records=(RecordRef(model="stock.valuation.layer", id=77),),
                   figures={"product_id": 12, "product_name": "Chair"})


def entry() -> Anomaly:
    return Anomaly(detector="round_amounts", kind="round_amount_manual_entry", score=0.78,
                   title="Manual entry of exactly 10,000.00", reason="A round amount typed by hand.",
                   records=(RecordRef(model="account.move", id=3257, name="MISC/2026/07/0001"),), user="controller")


def test_roles_route_to_the_right_person():
    assert role_of(duplicate()) == "ap" and role_of(cost_jump()) == "inventory" and role_of(entry()) == "gl"
    payment = Anomaly(detector="x", kind="something_new", score=0.6, title="t", reason="r",
                      records=(RecordRef(model="account.payment", id=5),))
    assert role_of(payment) == "ap"


def test_a_strong_unpaid_duplicate_gets_activity_note_and_hold():
    proposals = alert_proposals(Alert(duplicate(), risk=0.98, first_seen=FIRST_SEEN,
                                      last_time="Last time (...) - false positive: credit note"),
                                settings=USERS, run_id="scan-1", currency="EUR")
    assert [p.kind for p in proposals] == ["activity", "note", "activity"]
    review, note, hold = proposals
    values = review.payload.args[0]
    assert (values["res_model"], values["res_id"], values["user_id"]) == ("account.move", 3320, 21)
    assert values["activity_type_id"] == EXCEPTION_ACTIVITY
    assert values["date_deadline"] == FIRST_SEEN + dt.timedelta(days=3)
    assert "Quartz &lt;Builders&gt;" in values["note"] and "<Builders>" not in values["note"]   # Odoo text escaped
    assert "Last time" in values["note"] and "2,119.68 EUR" in values["note"]
    assert (note.payload.model, note.payload.method, note.payload.args) == ("account.move", "message_post", ([3320],))
    assert note.payload.kwargs["subtype_xmlid"] == "mail.mt_note"
    hold_values = hold.payload.args[0]
    assert hold_values["summary"].startswith("Do not pay until cleared") and "BILL/2026/08/0004" in hold_values["summary"]
    assert hold_values["user_id"] == 21 and hold_values["date_deadline"] == FIRST_SEEN
    assert all(p.evidence.figures["anomaly_key"] == duplicate().key for p in proposals)
    assert proposals[0].evidence.figures["figures"] == {"days_apart": 8, "ratio": Decimal("1.00")}
    for proposal in proposals:                                      # survives the store's round trip
        back = Proposal.from_json(proposal.to_json())
        assert back.idempotency_key == proposal.idempotency_key and back.payload.model == proposal.payload.model


def test_no_hold_when_paid_or_not_strong_enough_and_no_assignee_without_settings():
    paid = alert_proposals(Alert(duplicate(), risk=0.98, first_seen=FIRST_SEEN, unpaid=False),
                           settings=USERS, run_id="scan-1")
    weak = alert_proposals(Alert(duplicate(0.6), risk=0.6, first_seen=FIRST_SEEN), settings=USERS, run_id="s")
    assert [p.kind for p in paid] == [p.kind for p in weak] == ["activity", "note"]
    bare = alert_proposals(Alert(entry(), risk=0.78, first_seen=FIRST_SEEN), settings=AlertSettings(), run_id="s")
    assert "user_id" not in bare[0].payload.args[0]


def test_same_alert_gives_the_same_payloads_on_every_scan():
    one = alert_proposals(Alert(duplicate(), risk=0.98, first_seen=FIRST_SEEN), settings=USERS, run_id="scan-1")
    two = alert_proposals(Alert(duplicate(), risk=0.98, first_seen=FIRST_SEEN), settings=USERS, run_id="scan-2")
    assert [p.idempotency_key for p in one] == [p.idempotency_key for p in two]


def test_valuation_layers_have_no_chatter_so_the_product_gets_it():
    target = chatter_target(cost_jump())
    assert (target.model, target.id) == ("product.product", 12)
    activity, note = alert_proposals(Alert(cost_jump(), risk=0.8, first_seen=FIRST_SEEN), settings=USERS,
                                     run_id="s")
    assert activity.payload.args[0]["res_model"] == "product.product" and activity.payload.args[0]["user_id"] == 22
    assert note.payload.model == "product.product"
    orphan = Anomaly(detector="x", kind="y", score=0.9, title="t", reason="r",
                     records=(RecordRef(model="stock.valuation.layer", id=1),))
    assert alert_proposals(Alert(orphan, risk=0.9, first_seen=FIRST_SEEN), settings=USERS, run_id="s") == []


def test_settings_are_checked():
    with pytest.raises(ValueError, match="hold_min_risk"):
        AlertSettings(hold_min_risk=0)
