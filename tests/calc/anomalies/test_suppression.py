"""Dispositions applied to a scan's findings: dismissed, closed, investigating, suppressed by pattern."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerpilot.calc.anomalies.suppression import (
    SUPPRESSED_RISK_FACTOR,
    PastDisposition,
    judge,
    pattern_of,
    suppression_rules,
)
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.proposal import RecordRef

WHEN = dt.datetime(2026, 11, 2, 9, 30)


def duplicate(first: int, second: int, partner: str = "Golden Trading", kind: str = "duplicate_bill_same_amount"
              ) -> Anomaly:
    return Anomaly(detector="duplicate_bills", kind=kind, score=0.92, title=f"Possible duplicate bill from {partner}",
                   reason="Two bills of the same amount three days apart.",
                   records=(RecordRef(model="account.move", id=second), RecordRef(model="account.move", id=first)),
                   amount=Decimal("3033.07"), occurred_on=dt.date(2026, 7, 15), partner=partner, user="clerk")


def odd_hour(move: int, user: str = "clerk") -> Anomaly:
    return Anomaly(detector="posting_time_and_user", kind="posting_at_odd_hour", score=0.7,
                   title="Entry posted at 03:12", reason="Posted at 03:12, outside the company's hours.",
                   records=(RecordRef(model="account.move", id=move),), user=user)


def combination(move: int, pair: str) -> Anomaly:
    return Anomaly(detector="rare_account_combinations", kind="rare_account_combination", score=0.8,
                   title=f"Rare account combination {pair}", reason="These accounts were never used together.",
                   records=(RecordRef(model="account.move", id=move),), figures={"account_pair": pair})


def past(anomaly: Anomaly, disposition: str, at: dt.datetime = WHEN, note: str = "checked") -> PastDisposition:
    return PastDisposition(anomaly=anomaly, disposition=disposition, note=note, by="Marie Curie", at=at)


def test_a_false_positive_dismisses_itself_and_suppresses_its_pattern_only():
    disposed = duplicate(10, 11)
    same_pattern = duplicate(40, 41)                                    # same vendor, same kind, new bills
    other_kind = duplicate(50, 51, kind="duplicate_bill_same_reference")  # same vendor, stronger kind
    other_vendor = duplicate(60, 61, partner="Bluebird Interiors")
    findings = [(disposed, 0.95), (same_pattern, 0.97), (other_kind, 0.9), (other_vendor, 0.9)]
    verdicts = judge(findings, [past(disposed, "false_positive", note="weekly delivery at a fixed price")],
                     threshold=0.5)
    statuses = [v.status for v in verdicts]
    assert statuses == ["dismissed", "suppressed", "alert", "alert"]
    assert not verdicts[0].alerted and not verdicts[1].alerted and not verdicts[1].proposes
    assert verdicts[1].rule.source_key == disposed.key
    assert "weekly delivery at a fixed price" in verdicts[1].reason and "Marie Curie" in verdicts[1].reason
    assert verdicts[1].shown_risk == pytest.approx(0.97 * SUPPRESSED_RISK_FACTOR)
    assert verdicts[1].risk == 0.97                                     # the original is kept beside it
    assert verdicts[2].proposes and verdicts[3].proposes


def test_investigate_stays_alerted_without_proposals_and_corrected_closes():
    watched, fixed, fresh = duplicate(1, 2), duplicate(3, 4, partner="Quartz"), duplicate(5, 6, partner="Helix")
    verdicts = judge([(watched, 0.3), (fixed, 0.99), (fresh, 0.2)],
                     [past(watched, "investigate"), past(fixed, "corrected")], threshold=0.5)
    assert [v.status for v in verdicts] == ["investigating", "closed", "below_threshold"]
    assert verdicts[0].alerted and not verdicts[0].proposes        # below the threshold, still followed
    assert not verdicts[1].alerted and not verdicts[1].proposes
    assert not verdicts[2].alerted


def test_the_latest_disposition_counts_and_lifts_a_rule():
    disposed, later = duplicate(10, 11), duplicate(40, 41)
    history = [past(disposed, "false_positive", at=WHEN),
               past(disposed, "investigate", at=WHEN + dt.timedelta(days=3))]
    # the store hands over only the latest disposition of each anomaly
    latest = [history[-1]]
    verdicts = judge([(disposed, 0.9), (later, 0.9)], latest, threshold=0.5)
    assert [v.status for v in verdicts] == ["investigating", "alert"]
    assert suppression_rules(latest) == {}


def test_patterns_by_kind():
    assert pattern_of(duplicate(1, 2, partner="Golden Trading")).subject == ("partner", "golden trading")
    assert pattern_of(odd_hour(7)).subject == ("user", "clerk")
    assert pattern_of(combination(8, "601000 / 400000")).subject == ("accounts", "601000 / 400000")
    cost = Anomaly(detector="unit_cost_jumps", kind="unit_cost_jump", score=0.8, title="Unit cost jump",
                   reason="Cost tripled.", records=(RecordRef(model="stock.valuation.layer", id=3),),
                   figures={"product": "Office Chair"})
    assert pattern_of(cost).subject == ("product", "Office Chair")
    unusual = Anomaly(detector="posting_patterns", kind="posting_by_unusual_user", score=0.7, title="Unusual user",
                      reason="r", records=(RecordRef(model="account.move", id=4),), user="demo",
                      figures={"journal": "BILL"})
    assert pattern_of(unusual).subject == ("user and journal", "demo", "BILL")
    nobody = Anomaly(detector="round_amounts", kind="round_amount_manual_entry", score=0.6, title="Round amount",
                     reason="10,000.00 exactly.", records=(RecordRef(model="account.move", id=9),))
    assert pattern_of(nobody) is None                                   # nothing to generalise: only itself


def test_an_odd_hour_false_positive_suppresses_that_user_only():
    night = odd_hour(7, user="nightshift")
    verdicts = judge([(odd_hour(8, user="nightshift"), 0.8), (odd_hour(9, user="clerk"), 0.8)],
                     [past(night, "false_positive")], threshold=0.5)
    assert [v.status for v in verdicts] == ["suppressed", "alert"]


def test_threshold_must_be_a_score():
    with pytest.raises(ValueError, match="threshold"):
        judge([], [], threshold=0)
