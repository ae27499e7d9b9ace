"""What ledgerpilot remembers between runs: proposals and forecast runs in the state database."""

from ledgerpilot.memory.forecast_runs import ForecastRun, ForecastRunNotFound, ForecastRunStore
from ledgerpilot.memory.proposal_store import ProposalNotFound, ProposalStore, StoredProposal
from ledgerpilot.memory.state import STATE_FILE, StateDB, StateError

__all__ = [
           "STATE_FILE",
           "ForecastRun",
           "ForecastRunNotFound",
           "ForecastRunStore",
           "ProposalNotFound",
           "ProposalStore",
           "StateDB",
           "StateError",
           "StoredProposal",
]
