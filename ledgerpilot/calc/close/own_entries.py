"""Entries ledgerpilot itself wrote for approved proposals, as the close checks see them.

A draft dated in the period is a stranger's unfinished work, or the close's own: an accrual or reversal the
close proposed, a person approved and ledgerpilot wrote as a draft (the approver chose not to post it). The
two call for different things -- find out and post or delete, or finish the close's own step -- so the
close checks tell them apart (``check_draft_moves`` for the first, ``check_own_entries`` for the second).

An entry is ledgerpilot's own only when the state store says so *and* Odoo agrees: its id is among the
records an applied proposal wrote, and its ``ref`` still carries that proposal's idempotency marker. A
marker typed into a stranger's draft does not make it ours, and an id from another database does not either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class OwnEntry:
    """One journal entry written for an approved proposal."""

    move_id: int
    marker: str               # the idempotency marker in its ref, e.g. "[lp:ab12cd34ef56]"
    proposal_id: str
    kind: str                 # accrual, reversal, adjusting_entry
    title: str
    approved_by: str          # the approver's Odoo login
    approved_at: str          # ISO date and time of the decision
    post_chosen: bool         # the approver asked for it to be posted


def own_mask(drafts: pd.DataFrame, own: Mapping[int, OwnEntry]) -> pd.Series:
    """Which rows of ``drafts`` (the draft-moves frame) are entries ledgerpilot wrote (boolean Series)."""
    if not len(drafts) or not own:
        return pd.Series(False, index=drafts.index, dtype=bool)
    marks = drafts["id"].map(lambda move_id: own[int(move_id)].marker if pd.notna(move_id) and int(move_id) in own
                             else None)
    refs = drafts["ref"].astype("string").fillna("")
    return pd.Series([mark is not None and mark in ref for mark, ref in zip(marks, refs)], index=drafts.index,
                     dtype=bool)
