"""Approvals and write-back: the one path from a stored proposal to a record in Odoo.

- :mod:`ledgerpilot.approvals.decide`: approving and rejecting, by a named Odoo user whose credentials
  and rights Odoo checks; every decision and refusal audited;
- :mod:`ledgerpilot.approvals.apply`: applying an approved proposal exactly once (claim, write, read
  back, compare, audit);
- :mod:`ledgerpilot.approvals.writers`: one writer per kind of proposal (journal entries, payments,
  activities and notes, lock dates and budget transfers, the approval note in the chatter), sharing
  the idempotency marker and the write context of :mod:`ledgerpilot.approvals.writers.common`.

It speaks to Odoo only through the gateway (:mod:`ledgerpilot.odoo`) and keeps its state in
:mod:`ledgerpilot.memory` (the proposal store, the audit log); the gateway knows nothing of it.
"""
