"""Bill and payment amounts far from what the partner usually bills or is paid.

Each vendor bill is compared with the partner's other bills booked to the same main account (a
vendor selling goods on purchase orders and small services has two usual sizes), each outbound payment with the
partner's other outbound payments, by a robust z-score of the log amount: the distance from the
median in units of 1.4826 x the median absolute deviation. Logs because amounts are multiplicative
(a bill ten times the usual is as odd at 100 as at 10,000); median and MAD because one past outlier
must not hide the next. A partner needs ``min_history`` other amounts before it has a "usual".

An amount is reported when |z| reaches ``z_threshold`` and the amount is at least ``min_factor``
times the usual one (or that fraction of it). The score grows with |z| (0.5 at ``z_threshold``). Amounts far *below* the usual carry less risk
and are weighted by ``low_side_weight``. A payment reconciled with bills for its whole amount is
explained by those bills and not judged on its own (the bill outlier already speaks for it); its
amount still counts in the partner's history.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ledgerpilot.calc.anomalies.bill_helpers import (
    MOVE,
    PAYMENT,
    day_of,
    documents,
    fmt,
    main_accounts,
    money,
    outbound_payments,
    ref,
    robust_z,
    score,
    score_from_z,
    settlements,
    text,
)
from ledgerpilot.calc.anomalies.detector import Detector
from ledgerpilot.calc.anomalies.frames import AnomalyData
from ledgerpilot.domain.anomaly import Anomaly
from ledgerpilot.domain.money import quantize

NAME = "amount_outliers"
BILL_KIND = "bill_amount_outlier"
PAYMENT_KIND = "payment_amount_outlier"

DEFAULTS: dict[str, float] = {
    # the partner's other bills (payments) needed before its usual amount is known
    "min_history": 6,
    # |robust z| from which an amount is reported (3.5 is Iglewicz and Hoaglin's usual cut-off)
    "z_threshold": 3.5,
    # an amount must also be at least this many times the usual (or that fraction of it): with a
    # narrow history, z alone calls a bill twice the usual size extreme
    "min_factor": 3.0,
    # the smallest spread assumed, in log amount (0.1 ~ 10%): a fixed monthly fee has no spread at all
    "min_log_spread": 0.1,
    # weight of the score of an amount far below the usual: little money is at risk, so at 0.5 such
    # an amount is listed but stays under the default threshold however far it is
    "low_side_weight": 0.5,
}


def _outliers(values: pd.DataFrame, groups: list[str], params: Mapping[str, float]) -> pd.DataFrame:
    stats = robust_z(values["amount"], [values[g] for g in groups], min_history=int(params["min_history"]),
                     min_spread=params["min_log_spread"])
    out = values.join(stats)
    far = (out["factor"] >= params["min_factor"]) | (out["factor"] <= 1 / params["min_factor"])
    out = out[(out["z"].abs() >= params["z_threshold"]) & far].copy()
    weight = np.where(out["z"] < 0, params["low_side_weight"], 1.0)
    out["score"] = score_from_z(out["z"], params["z_threshold"]) * weight
    return out


def _describe(data: AnomalyData, row: pd.Series, what: str, partner_words: str) -> tuple[str, str, dict]:
    amount = money(data, row["minor"])
    shown = fmt(amount, data.currency, data.digits)
    usual = fmt(data.money(row["median"]), data.currency, data.digits)
    low = fmt(data.money(row["low"]), data.currency, data.digits)
    high = fmt(data.money(row["high"]), data.currency, data.digits)
    factor = float(row["factor"])
    side = f"{factor:.1f} times" if factor >= 1 else f"1/{1 / factor:.1f} of"
    partner = text(row["partner_name"], "the partner")
    title = f"{partner}: {what} of {shown}, {side} the usual {usual}"
    reason = (f"Over {int(row['history'])} other {what}s {partner_words} {partner} usually ranged "
              f"{low} - {high} (median {usual}); this {what} of {shown} is {side} the median "
              f"(robust z-score {float(row['z']):+.1f}).")
    figures = {"amount": amount, "usual_amount": data.money(row["median"]), "usual_low": data.money(row["low"]),
               "usual_high": data.money(row["high"]), "factor": quantize(factor, 2), "z_score": quantize(float(row["z"]), 2),
               "history": int(row["history"])}
    return title, reason, figures


def _bill_findings(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    bills = documents(data, ("in_invoice",))
    accounts = main_accounts(data, bills["id"])
    bills["account_id"] = accounts.reindex(bills["id"].astype("int64")).fillna(-1).to_numpy()
    found = _outliers(bills, ["partner_id", "account_id"], params)
    findings = []
    for _, row in found.iterrows():
        title, reason, figures = _describe(data, row, "bill", "from")
        figures["bill"] = text(row["name"])
        findings.append(Anomaly(
            detector=NAME, kind=BILL_KIND, score=score(row["score"]), title=title,
            reason=reason + " Check it against the order or contract before it is paid.",
            records=(ref(MOVE, row["id"], row["name"]),), amount=figures["amount"], occurred_on=day_of(row["date"]),
            partner=text(row["partner_name"]) or None, user=text(row["create_login"]) or None, figures=figures))
    return findings


def _payment_findings(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    payments = outbound_payments(data, ("supplier", "customer"))
    found = _outliers(payments, ["partner_id", "partner_type"], params)
    if found.empty:
        return []
    bills = documents(data, ("in_invoice", "in_refund", "out_invoice", "out_refund"))
    settled = settlements(data, found["move_id"], bills["id"])
    covered = settled.groupby("move_id")["amount"].sum()
    covered_minor = np.rint(covered.reindex(found["move_id"].astype("int64")).fillna(0).to_numpy()
                            * 10 ** data.digits)
    found = found[covered_minor < found["minor"].to_numpy()]
    findings = []
    for _, row in found.iterrows():
        title, reason, figures = _describe(data, row, "payment", "to")
        figures["payment"] = text(row["name"])
        memo = text(row["ref"])
        figures["memo"] = memo or None
        findings.append(Anomaly(
            detector=NAME, kind=PAYMENT_KIND, score=score(row["score"]), title=title,
            reason=reason + (f" Memo: {memo!r}." if memo else "") + " Check what the payment was for.",
            records=(ref(PAYMENT, row["id"], row["name"]), ref(MOVE, row["move_id"], row["name"])),
            amount=figures["amount"], occurred_on=day_of(row["date"]), partner=text(row["partner_name"]) or None,
            figures=figures))
    return findings


def run(data: AnomalyData, params: Mapping[str, float]) -> list[Anomaly]:
    """Vendor bills and outbound payments whose amount is far from the partner's own history."""
    if params["min_history"] < 2:
        raise ValueError(f"{NAME}: min_history must be at least 2, not {params['min_history']}")
    if params["z_threshold"] <= 0 or params["min_log_spread"] <= 0 or params["min_factor"] < 1:
        raise ValueError(f"{NAME}: z_threshold and min_log_spread must be above 0 and min_factor at least 1")
    findings = _bill_findings(data, params) + _payment_findings(data, params)
    return sorted(findings, key=lambda a: (-a.score, a.primary.model, a.primary.id))


DETECTOR = Detector(name=NAME, kinds=(BILL_KIND, PAYMENT_KIND), needs=("moves", "lines", "payments", "partials"),
                    run=run, defaults=DEFAULTS)
