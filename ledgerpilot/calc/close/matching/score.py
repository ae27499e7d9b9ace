"""How much each signal is worth: the confidence of a proposed match, from the signals that agree.

The scores are a fixed table, not a learned model, so that every confidence can be explained in a
sentence and the table can be argued with. The reasoning behind the main rows:

- the label naming the document *and* the exact amount is as strong as evidence gets (0.99);
- an exact amount with the right partner but no reference is strong, but a partner with two open
  items of that amount makes it ambiguous (handled after scoring, see :mod:`matching`); a due date
  far from the bank date weakens it;
- an amount that is merely *close* (a bank fee taken off) is only high when the label names the
  document and the partner agrees; without a reference it is never high (a cent off with no
  reference is a different payment as often as not);
- a part of the open amount is high only when the label names the document and the partner
  agrees (a partial payment of that invoice: the rest stays open);
- an amount alone, with no partner and no reference, is never better than medium;
- several items: the label naming all of them, or the only subset of the partner's open items
  that makes the amount exactly (high when it is the partner's whole open balance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledgerpilot.calc.close.matching.candidates import Combo

#: Days between due date and bank date beyond which a reference-less match is no longer high.
FAR_DAYS = 60


def score_pairs(pairs: pd.DataFrame) -> np.ndarray:
    """The confidence of each single-item pair (0 = not worth proposing)."""
    ref = pairs["ref"].to_numpy()
    exact, fee = pairs["exact"].to_numpy(), pairs["fee"].to_numpy()
    partial, over = pairs["partial"].to_numpy(), pairs["over"].to_numpy()
    agree, conflict = pairs["agree"].to_numpy(), pairs["conflict"].to_numpy()
    unknown = ~agree & ~conflict
    near = np.abs(pairs["days"].to_numpy()) <= FAR_DAYS

    def by_partner(a: float, u: float, c: float) -> np.ndarray:
        return np.where(agree, a, np.where(unknown, u, c))

    with_ref = np.select([exact, fee, partial, over],
                         [by_partner(0.99, 0.96, 0.70), by_partner(0.92, 0.85, 0.60),
                          by_partner(0.90, 0.70, 0.50), by_partner(0.55, 0.50, 0.40)], 0.0)
    without = np.select([exact & agree & near, exact & agree, exact & unknown, fee & agree, fee & unknown],
                        [0.93, 0.86, 0.60, 0.70, 0.45], 0.0)
    return np.where(ref, with_ref, without)


def score_combo(combo: Combo, *, conflict: bool) -> float:
    """The confidence of several items proposed together."""
    if combo.source == "label":
        if not combo.unique:
            return 0.55
        if conflict:
            return 0.60
        return 0.97 if combo.diff == 0 else 0.90
    if not combo.unique:
        return 0.55
    if combo.referenced == len(combo.items):
        return 0.97
    if combo.whole_balance:
        return 0.92
    return 0.80


def proximity(days: float) -> float:
    """1 on the due date, falling with distance: orders otherwise equal candidates."""
    return 1.0 / (1.0 + abs(float(days)) / 30.0)
