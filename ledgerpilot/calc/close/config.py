"""Per-company settings of the close: which checks run and their thresholds.

Built from :class:`ledgerpilot.config.Settings` (the ``close_*`` settings) by
:meth:`CloseConfig.from_settings`, or directly for a company whose rules differ. Pure data: the
checks read it and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: Odoo 17 account types of the profit and loss
PROFIT_AND_LOSS_TYPES: tuple[str, ...] = ("income", "income_other", "expense", "expense_depreciation",
                                          "expense_direct_cost")


@dataclass(frozen=True)
class CloseConfig:
    """Thresholds of the close checks and the trial-balance review.

    - ``checks``: the check names to run; ``None`` runs every registered check.
    - ``unusual_amount_ratio``: an account's movement this many times its usual size (the median of
      its monthly movements) and this many robust deviations away from it is unusual.
    - ``tb_variance`` / ``tb_min_amount``: the trial-balance review flags a movement that differs
      from the recent mean by more than this share of it and by at least this amount.
    - ``match_high_confidence``: bank matches at or above this confidence are "high".
    - ``history_months``: months of history the unusual-amount check and the review compare with.
    - ``analytic_required_prefixes``: account code prefixes whose items must carry an analytic
      distribution when the database has no applicability rules; empty: learned from history
      (accounts where at least ``analytic_usual_share`` of the items carried one).
    - ``tax_usual_share`` / ``tax_min_history``: an account "normally carries taxes" when at least
      this share of its (at least this many) sale and purchase product lines in the history had them.
    - ``outstanding_grace_days``: a payment waits this many days on an outstanding account before it
      counts as not seen by the bank (younger ones are in transit).
    - ``idle_journal_share``: a journal active in more than this share of the history months is
      expected to have entries in the period.
    - ``unusual_account_types``: the account types the unusual-amount check judges (``None``: all).
      By default income and expense accounts: balance-sheet accounts move by flows with no usual
      size (bank, receivables, stock interim) and are covered by the control-account checks and the
      trial-balance review.
    """

    checks: tuple[str, ...] | None = None
    unusual_amount_ratio: float = 3.0
    tb_variance: float = 0.5
    tb_min_amount: Decimal = Decimal(1000)
    match_high_confidence: float = 0.9
    history_months: int = 6
    analytic_required_prefixes: tuple[str, ...] = ()
    analytic_usual_share: float = 0.99
    tax_usual_share: float = 0.9
    tax_min_history: int = 10
    outstanding_grace_days: int = 10
    idle_journal_share: float = 0.5
    unusual_account_types: tuple[str, ...] | None = PROFIT_AND_LOSS_TYPES

    def __post_init__(self) -> None:
        if self.unusual_amount_ratio <= 1:
            raise ValueError(f"unusual_amount_ratio must be above 1, not {self.unusual_amount_ratio}")
        if self.tb_variance <= 0:
            raise ValueError(f"tb_variance must be above 0, not {self.tb_variance}")
        if self.tb_min_amount < 0:
            raise ValueError(f"tb_min_amount must not be negative, not {self.tb_min_amount}")
        if self.history_months < 1:
            raise ValueError(f"history_months must be at least 1, not {self.history_months}")
        for name in ("analytic_usual_share", "tax_usual_share", "idle_journal_share", "match_high_confidence"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, not {value}")
        if self.outstanding_grace_days < 0:
            raise ValueError(f"outstanding_grace_days must not be negative, not {self.outstanding_grace_days}")

    @classmethod
    def from_settings(cls, settings: Any) -> CloseConfig:
        """The close settings of ``settings`` (``close_checks``, ``close_unusual_amount_ratio``, ...)."""
        checks = settings.close.checks
        return cls(
            checks=tuple(checks) if checks is not None else None,
            unusual_amount_ratio=float(settings.close.unusual_amount_ratio),
            tb_variance=float(settings.close.tb_variance),
            tb_min_amount=Decimal(str(settings.close.tb_min_amount)),
            match_high_confidence=float(settings.close.match_high_confidence),
        )
