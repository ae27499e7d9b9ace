"""Shared frozen models: money and proposals."""

from ledgerpilot.domain.money import Money
from ledgerpilot.domain.proposal import (Evidence, OdooCall, Proposal, ProposalTransitionError, RecordRef,
                                         transition)

__all__ = ["Evidence", "Money", "OdooCall", "Proposal", "ProposalTransitionError", "RecordRef", "transition"]
