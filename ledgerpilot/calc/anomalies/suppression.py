"""What reviewers said about past anomalies, applied to a new scan's findings (pure: no I/O).

Each finding of a scan gets a :class:`Verdict`: whether it is alerted, whether its alert may make new
proposals, and why.

- The same anomaly (same key: detector + records) disposed earlier is never alerted as new again:
  ``false_positive`` -> ``dismissed``; ``corrected`` -> ``closed``; ``investigate`` -> ``investigating``,
  which stays in the alerts (someone is on it) but makes no new proposals.
- A ``false_positive`` also becomes a suppression rule for its *pattern*: the detector, the kind and
  what the finding was about (the vendor of a duplicate bill or an amount outlier, the account pair of a
  rare combination, the product of a unit-cost jump, the user of an odd-hour posting, ...; see
  :func:`pattern_of`). Later findings that match the rule are ``suppressed``: stored and listed, never
  alerted, never proposed. Their risk is shown multiplied by :data:`SUPPRESSED_RISK_FACTOR` (the
  original kept beside it) so that they sink to the bottom of any ranking.

Why suppress rather than only lower the score: a reviewer who marks "two bills from this vendor with
the same amount a few days apart" a false positive is saying that this is normal for this vendor (a
weekly delivery at a fixed price). A lowered score would let the next, slightly stronger one through,
and repeated false alarms about something already explained are what teach people to ignore alerts.
The rule is narrow (one detector, one kind, one subject), so a different kind of finding about the
same vendor (the same *reference* twice) is still alerted; and it is lifted by disposing the
original anomaly again as ``investigate`` or ``corrected`` (the latest disposition counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ledgerpilot.domain.anomaly import Anomaly

#: Suppressed findings are shown with their risk multiplied by this, so they rank below live ones.
SUPPRESSED_RISK_FACTOR = 0.25

Status = Literal["alert", "investigating", "dismissed", "closed", "suppressed", "below_threshold"]

#: kind -> (label, figure keys tried in order) of what a false positive of that kind is about.
_SUBJECT_FIGURES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "rare_account_combination": ("accounts", ("account_pair", "account_codes", "accounts", "pair")),
    "unit_cost_jump": ("product", ("product_id", "product", "product_name")),
    "posting_by_unusual_user": ("user and journal", ("journal_code", "journal", "journal_id")),
    "round_amount_manual_entry": ("user", ()),
    "posting_at_odd_hour": ("user", ()),
    "posting_on_weekend": ("user", ()),
}
_RECORD_SUBJECT: Mapping[str, str] = {"unit_cost_jump": "product.product"}


@dataclass(frozen=True)
class PastDisposition:
    """The latest disposition of one stored anomaly, with the anomaly itself."""

    anomaly: Anomaly
    disposition: str            # false_positive | investigate | corrected
    note: str
    by: str
    at: dt.datetime

    @property
    def key(self) -> str:
        return self.anomaly.key


@dataclass(frozen=True)
class Pattern:
    """What a finding is about, as far as a suppression rule is concerned."""

    detector: str
    kind: str
    subject: tuple[str, ...]     # e.g. ("partner", "Acme Ltd") or ("accounts", "400000", "601000")

    def describe(self) -> str:
        label, *values = self.subject
        return f"{self.kind.replace('_', ' ')} ({self.detector}) for {label} {' / '.join(values)}"


@dataclass(frozen=True)
class SuppressionRule:
    """A false positive turned into a rule: findings with its pattern are not alerted any more."""

    pattern: Pattern
    source_key: str
    note: str
    by: str
    at: dt.datetime

    def describe(self) -> str:
        return (f"{self.pattern.describe()}: judged a false positive by {self.by} on {self.at.date().isoformat()} "
                f"({self.note})")


@dataclass(frozen=True)
class Verdict:
    """What to do with one finding of a scan."""

    key: str
    status: Status
    risk: float                  # the scan's combined risk
    shown_risk: float            # the risk ranked and shown (lowered when suppressed)
    reason: str
    rule: SuppressionRule | None = None
    disposition: PastDisposition | None = None

    @property
    def alerted(self) -> bool:
        """In the scan's alerts (a new alert, or one someone is investigating)."""
        return self.status in ("alert", "investigating")

    @property
    def proposes(self) -> bool:
        """May make proposals (activities, notes, a payment hold): only a live, undisposed alert."""
        return self.status == "alert"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (list, tuple)):
        parts = [str(v).strip() for v in value if v is not None and str(v).strip()]
        return None if not parts else "|".join(sorted(parts))
    text = str(value).strip()
    return text or None


def pattern_of(anomaly: Anomaly) -> Pattern | None:
    """The pattern a false positive of ``anomaly`` suppresses, or None when it is about nothing reusable.

    Rare account combinations: the accounts; unit-cost jumps: the product; postings at odd hours, on
    weekends or round manual amounts: the user (and, for an unusual poster, the journal); everything
    else (duplicate bills, payments without a bill, amount outliers, credit notes, three-way mismatches,
    intercompany): the partner.
    """
    label, keys = _SUBJECT_FIGURES.get(anomaly.kind, ("partner", ()))
    figures = anomaly.figures or {}
    if label == "user":
        subject = _text(anomaly.user)
        return None if subject is None else Pattern(anomaly.detector, anomaly.kind, ("user", subject))
    if label == "user and journal":
        user = _text(anomaly.user)
        journal = next((_text(figures.get(k)) for k in keys if _text(figures.get(k))), None)
        if user is None:
            return None
        return Pattern(anomaly.detector, anomaly.kind, ("user and journal", user, journal or "any journal"))
    if label == "partner":
        subject = _text(anomaly.partner)
        return None if subject is None else Pattern(anomaly.detector, anomaly.kind, ("partner", subject.casefold()))
    value = next((_text(figures.get(k)) for k in keys if _text(figures.get(k))), None)
    if value is None and anomaly.kind in _RECORD_SUBJECT:
        ids = anomaly.record_ids(_RECORD_SUBJECT[anomaly.kind])
        value = str(ids[0]) if ids else None
    if value is None:
        return None
    return Pattern(anomaly.detector, anomaly.kind, (label, value))


def suppression_rules(dispositions: Iterable[PastDisposition]) -> dict[Pattern, SuppressionRule]:
    """The rules made by the false positives among the latest dispositions (the newest per pattern)."""
    rules: dict[Pattern, SuppressionRule] = {}
    for past in sorted(dispositions, key=lambda d: d.at):
        if past.disposition != "false_positive":
            continue
        pattern = pattern_of(past.anomaly)
        if pattern is not None:
            rules[pattern] = SuppressionRule(pattern=pattern, source_key=past.key, note=past.note, by=past.by,
                                             at=past.at)
    return rules


def judge(findings: Sequence[tuple[Anomaly, float]], dispositions: Iterable[PastDisposition], *,
          threshold: float) -> list[Verdict]:
    """A verdict for each ``(anomaly, risk)`` of a scan, in the same order.

    ``dispositions`` are the latest disposition of every disposed anomaly (any scan); ``threshold`` is
    the risk from which an undisposed, unsuppressed finding is alerted.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"the alert threshold must be above 0 and at most 1, not {threshold}")
    pasts = list(dispositions)
    by_key = {past.key: past for past in sorted(pasts, key=lambda d: d.at)}
    rules = suppression_rules(pasts)
    verdicts = []
    for anomaly, risk in findings:
        risk = float(risk)
        key = anomaly.key
        past = by_key.get(key)
        if past is not None:
            verdicts.append(_disposed(key, risk, past))
            continue
        pattern = pattern_of(anomaly)
        rule = rules.get(pattern) if pattern is not None else None
        if rule is not None:
            verdicts.append(Verdict(key, "suppressed", risk, round(risk * SUPPRESSED_RISK_FACTOR, 4),
                                    f"suppressed: {rule.describe()}", rule=rule))
        elif risk >= threshold:
            verdicts.append(Verdict(key, "alert", risk, risk, f"risk {risk:.2f} at or above the threshold "
                                                              f"{threshold:.2f}"))
        else:
            verdicts.append(Verdict(key, "below_threshold", risk, risk,
                                    f"risk {risk:.2f} below the threshold {threshold:.2f}"))
    return verdicts


def _disposed(key: str, risk: float, past: PastDisposition) -> Verdict:
    when = past.at.date().isoformat()
    if past.disposition == "false_positive":
        return Verdict(key, "dismissed", risk, round(risk * SUPPRESSED_RISK_FACTOR, 4),
                       f"judged a false positive by {past.by} on {when}: {past.note}", disposition=past)
    if past.disposition == "corrected":
        return Verdict(key, "closed", risk, risk, f"corrected by {past.by} on {when}: {past.note}",
                       disposition=past)
    if past.disposition == "investigate":
        return Verdict(key, "investigating", risk, risk, f"under investigation by {past.by} since {when}: "
                                                         f"{past.note}", disposition=past)
    raise ValueError(f"unknown disposition {past.disposition!r} of anomaly {key}")
