"""Month-end close: the checks of a period's books and the trial-balance review (pure, no I/O).

The data they read is :class:`~ledgerpilot.calc.close.frames.CloseData`, filled by
:func:`ledgerpilot.tools.close.data.load_close_data`.
"""

from ledgerpilot.calc.close.checks import CHECKS, ChecklistItem, CloseCheck, CloseChecklist, run_checks
from ledgerpilot.calc.close.config import CloseConfig
from ledgerpilot.calc.close.frames import CloseData
from ledgerpilot.calc.close.trial_balance import TrialBalanceReview, TrialBalanceRow, review_trial_balance

__all__ = ["CHECKS", "ChecklistItem", "CloseCheck", "CloseChecklist", "CloseConfig", "CloseData",
           "TrialBalanceReview", "TrialBalanceRow", "review_trial_balance", "run_checks"]
