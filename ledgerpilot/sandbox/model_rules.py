"""The table of business rules around writes, one entry per model, listed explicitly.

The rule classes live with their subject (accounting, payments, partners, activities) and use the
write primitives of :mod:`ledgerpilot.sandbox.writes`; the primitives find the rules through the
call's :class:`~ledgerpilot.sandbox.env.Env` (``env.model_rules``, filled from this table by the
service), so ``writes`` imports none of the rule modules. A model not listed has no rules. The order
is the order in which deferred checks run when a write operation ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ledgerpilot.sandbox.accounting import CompanyRules, MoveLineRules, MoveRules
from ledgerpilot.sandbox.activities import ActivityRules
from ledgerpilot.sandbox.partners import PartnerRules, UserRules
from ledgerpilot.sandbox.payments import PaymentRules, StatementLineRules
from ledgerpilot.sandbox.writes import ModelRules

MODEL_RULES: Mapping[str, ModelRules] = MappingProxyType({
    "account.move.line": MoveLineRules(),
    "account.move": MoveRules(),
    "res.company": CompanyRules(),
    "account.payment": PaymentRules(),
    "account.bank.statement.line": StatementLineRules(),
    "mail.activity": ActivityRules(),
    "res.partner": PartnerRules(),
    "res.users": UserRules(),
})
