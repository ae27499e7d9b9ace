"""The proposals waiting for a decision, as the queue page reads them on every visit.

A waiting proposal's stored body does not change until it is decided, so each is parsed once and kept,
and the items they make are grouped again only when the set of waiting proposals changed; every visit
asks the store only which ids wait now (one indexed query) and parses the new ones. A
decision made on the page drops what is kept (:meth:`PendingProposals.forget`); one made elsewhere
(the command line, another process) shows on the next visit, since the ids are always read afresh.
"""

from __future__ import annotations

import threading

from ledgerpilot.channels.web.queue import QueueItem, items_of
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.memory.proposal_store import ProposalStore


class PendingProposals:
    def __init__(self, store: ProposalStore):
        self.store = store
        self._kept: dict[str, Proposal] = {}
        self._items: tuple[tuple[str, ...], list[QueueItem]] | None = None
        self._lock = threading.Lock()

    def proposals(self) -> list[Proposal]:
        """Every proposal in state ``proposed``, oldest first."""
        ids = self.store.ids(state="proposed")
        with self._lock:
            new = [i for i in ids if i not in self._kept]
            if new:
                self._kept.update((p.id, p) for p in self.store.get_many(new) if p.state == "proposed")
            waiting = set(ids)
            for gone in [i for i in self._kept if i not in waiting]:
                del self._kept[gone]
            return [self._kept[i] for i in ids if i in self._kept]

    def items(self) -> tuple[list[QueueItem], int]:
        """The queue's items (one per finding) and how many proposals they hold; grouped again only when
        the waiting proposals changed."""
        waiting = self.proposals()
        ids = tuple(p.id for p in waiting)
        with self._lock:
            if self._items is None or self._items[0] != ids:
                self._items = (ids, items_of(waiting))
            return list(self._items[1]), len(waiting)

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()
            self._items = None
