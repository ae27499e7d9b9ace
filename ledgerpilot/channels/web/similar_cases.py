"""Similar past cases for a proposal on the approval page: the exceptions memory searched by what the
proposal is about ("last March the same vendor's duplicate was a credit note, resolved as false positive").

The memory (Chroma and the embedding model) is opened on first use and kept for the life of the
page; a missing memory or model is said in words on the page, never an error.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.exceptions import MEMORY_DIR, ExceptionMemory

MIN_SIMILARITY = 0.55
SHOWN = 3


class SimilarCasesFromMemory:
    def __init__(self, home: Path):
        self.home = Path(home)
        self._memory = None
        self._lock = threading.Lock()

    def _open(self):
        with self._lock:
            if self._memory is None:
                self._memory = ExceptionMemory.in_home(self.home)
            return self._memory

    def __call__(self, proposal: Proposal) -> tuple[list[str], str | None]:
        if not (self.home / MEMORY_DIR).exists():
            return [], "No exceptions memory yet: past cases appear once budget risks or anomalies were reviewed."
        try:
            memory = self._open()
            if memory.count() == 0:
                return [], "The exceptions memory is empty."
            hits = memory.search(f"{proposal.title}\n{proposal.summary}", k=SHOWN, min_similarity=MIN_SIMILARITY)
        except LedgerpilotError as exc:
            return [], f"Past cases could not be searched: {exc}"
        return [hit.last_time() for hit in hits], None if hits else "No similar past case on record."
