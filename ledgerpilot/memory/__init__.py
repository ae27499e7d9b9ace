"""What ledgerpilot remembers between runs: proposals, forecast runs and the audit log in the state database."""

from ledgerpilot.memory.forecast_runs import ForecastRun, ForecastRunNotFound, ForecastRunStore
from ledgerpilot.memory.proposal_store import (
    AmbiguousProposalId,
    Application,
    ApplyBusy,
    Claim,
    ClaimLost,
    ClaimRefused,
    Decision,
    ProposalNotFound,
    ProposalStore,
    Retry,
    StoredProposal,
)
from ledgerpilot.memory.state import STATE_FILE, StateDB, StateError

__all__ = [
           "STATE_FILE",
           "AmbiguousProposalId",
           "Application",
           "ApplyBusy",
           "Claim",
           "ClaimLost",
           "ClaimRefused",
           "Decision",
           "ForecastRun",
           "ForecastRunNotFound",
           "ForecastRunStore",
           "ProposalNotFound",
           "ProposalStore",
           "Retry",
           "StateDB",
           "StateError",
           "StoredProposal",
]
