"""The memory of past exceptions: what went wrong before and how it was resolved, searchable by meaning.

Budget overruns (and later anomalies and close findings) are stored with their resolution in a
persistent Chroma collection under ``Settings.home / "memory"``. When a new risk shows up, the most
similar past exceptions are retrieved so the alert can say what happened last time.

- One collection, ``exceptions``, with cosine distance. The document embedded for each exception
  is what happened (title, text, category, partner), not how it ended: a new risk has no
  resolution yet, so past ones are matched on what they were, and each hit carries its resolution.
  The flat fields are Chroma metadata (so searches can be limited to one kind) and the whole
  record is kept as JSON beside them.
- Vectors come from our own embedder (:mod:`ledgerpilot.memory.embeddings`) and are passed to
  Chroma explicitly: Chroma's default embedding function (which would download a model) is never
  used, and its telemetry is off.
- Ids are the caller's: adding an exception whose id is stored replaces it (upsert), so re-running
  a check does not duplicate its exceptions. Resolving one changes its record, not its vector.
- The embedding model's name is recorded in the collection; opening it with another model is an
  error, because vectors of different models cannot be compared.
- Chroma writes through to disk; a store reopened in another process sees everything added.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledgerpilot.domain.money import format_amount
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.embeddings import DEFAULT_MODEL, Embedder, ModelNotInstalledError, load_embedder

__all__ = [
    "COLLECTION",
    "MEMORY_DIR",
    "ExceptionMemory",
    "ExceptionNotFound",
    "MemoryStoreError",
    "ModelNotInstalledError",
    "PastException",
    "SimilarException",
    "exception_document",
    "load_embedder",
]

MEMORY_DIR = "memory"
COLLECTION = "exceptions"
#: Exceptions embedded and written to Chroma per step of :meth:`ExceptionMemory.add`.
ADD_BATCH = 256
#: Kinds ledgerpilot itself records; others are accepted (lower-case words joined by underscores).
KNOWN_KINDS = ("budget_overrun", "anomaly", "close_finding")
KNOWN_STATUSES = ("open", "resolved", "false_positive", "accepted", "ignored")

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_META_PREFIX = "meta."
_RECORD = "record"
MetadataValue = str | int | float | bool


class ExceptionNotFound(LedgerpilotError):
    """No stored exception has the given id."""


class MemoryStoreError(LedgerpilotError):
    """The exceptions store cannot be opened or used as asked."""


class PastException(BaseModel):
    """One exception ledgerpilot (or a person) recorded, and how it ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    kind: str                               # "budget_overrun" | "anomaly" | "close_finding" | ...
    category: str = Field(min_length=1)     # finer grouping, e.g. "budget overrun: marketing"
    title: str = Field(min_length=1)
    text: str = ""
    occurred_on: dt.date
    partner: str | None = None
    amount: Decimal | None = None           # company currency
    resolution: str | None = None
    status: str = "open"                    # "open" | "resolved" | "false_positive" | ...
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)

    @field_validator("kind", "status")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(f"must be lower-case words joined by underscores (such as 'budget_overrun'), "
                             f"not {value!r}")
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError(f"must not start or end with spaces: {value!r}")
        return value

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not value.is_finite():
            raise ValueError(f"must be a finite amount, not {value}")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, MetadataValue]) -> dict[str, MetadataValue]:
        for key, item in value.items():
            if not key:
                raise ValueError("metadata keys must not be empty")
            if isinstance(item, float) and not np.isfinite(item):
                raise ValueError(f"metadata {key!r} must be a finite number, not {item}")
        return value

    @property
    def document(self) -> str:
        """The text that is embedded and searched."""
        return exception_document(self)


class SimilarException(BaseModel):
    """A stored exception and how close it is to what was searched (1 = same meaning, 0 = unrelated)."""

    model_config = ConfigDict(frozen=True)

    exception: PastException
    similarity: float = Field(ge=0.0, le=1.0)

    def last_time(self) -> str:
        """One sentence for an alert: what happened and how it was resolved."""
        past = self.exception
        amount = f" ({format_amount(past.amount)})" if past.amount is not None else ""
        partner = f" with {past.partner}" if past.partner else ""
        what = f"{past.occurred_on.isoformat()}: {past.title}{amount}{partner}"
        if past.resolution:
            outcome = f"{past.status.replace('_', ' ')}: {past.resolution}"
        else:
            outcome = f"still {past.status.replace('_', ' ')}, no resolution recorded"
        return f"Last time ({what}) - {outcome} [similarity {self.similarity:.2f}]"


def exception_document(item: PastException) -> str:
    """Title, text, category and partner in one text: what the embedding represents.

    The resolution is left out on purpose: the texts searched for are new exceptions, which have
    none, and words about how a past one ended would only pull it away from them.
    """
    parts = [item.title.strip().rstrip(".") + "."]
    if item.text.strip():
        parts.append(item.text.strip())
    parts.append(f"Category: {item.category.strip()}.")
    if item.partner:
        parts.append(f"Partner: {item.partner.strip()}.")
    return " ".join(parts)


class ExceptionMemory:
    """A persistent, searchable store of past exceptions (a Chroma collection in ``path``).

    The embedding model is loaded on first use of ``add``/``resolve``/``search`` unless one is
    given; ``get``, ``delete``, ``count`` and ``list`` never need it.
    """

    def __init__(self, path: Path, embedder: Embedder | None = None, *, model: str = DEFAULT_MODEL):
        self.path = Path(path)
        self._embedder = embedder
        self.model_name = embedder.name if embedder is not None else model
        self._lock = threading.RLock()
        self._client = _open_client(self.path)
        self._collection = self._open_collection()

    @classmethod
    def in_home(cls, home: Path, embedder: Embedder | None = None) -> ExceptionMemory:
        """The memory of a ledgerpilot home folder (``Settings.home / "memory"``)."""
        return cls(Path(home) / MEMORY_DIR, embedder)

    # -- set-up -------------------------------------------------------------------------------------

    def _open_collection(self):
        try:
            collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": self.model_name, "created_by": "ledgerpilot"})
        except Exception as exc:
            raise MemoryStoreError(f"cannot open the exceptions memory in {self.path}: {exc}") from exc
        stored_model = (collection.metadata or {}).get("embedding_model")
        if stored_model is not None and stored_model != self.model_name:
            raise MemoryStoreError(
                f"the exceptions memory in {self.path} was built with the embedding model {stored_model!r}, "
                f"not {self.model_name!r}; their vectors cannot be compared: use {stored_model!r} or move the "
                f"folder away to start a new memory")
        return collection

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.model_name)
        return self._embedder

    def _embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        vectors = self.embedder.encode(list(texts))
        if vectors.shape != (len(texts), self.embedder.dimension):
            raise MemoryStoreError(f"the embedding model {self.embedder.name!r} returned vectors of shape "
                                   f"{vectors.shape} for {len(texts)} texts")
        return list(vectors)

    # -- writes -------------------------------------------------------------------------------------

    def add(self, items: Sequence[PastException] | Iterable[PastException]) -> None:
        """Store ``items`` (replacing any stored exception with the same id), in batches.

        When one id appears more than once in ``items`` the last one wins.
        """
        unique: dict[str, PastException] = {}
        for item in items:
            if not isinstance(item, PastException):
                raise TypeError(f"ExceptionMemory.add takes PastException records, not {type(item).__name__}")
            unique.pop(item.id, None)
            unique[item.id] = item
        batch = list(unique.values())
        with self._lock:
            for start in range(0, len(batch), ADD_BATCH):
                chunk = batch[start:start + ADD_BATCH]
                documents = [item.document for item in chunk]
                self._upsert(chunk, documents, self._embed(documents))

    def _upsert(self, items: list[PastException], documents: list[str], vectors: list[np.ndarray]) -> None:
        try:
            self._collection.upsert(ids=[item.id for item in items], embeddings=vectors, documents=documents,
                                    metadatas=[_to_metadata(item) for item in items])
        except Exception as exc:
            raise MemoryStoreError(f"cannot write to the exceptions memory in {self.path}: {exc}") from exc

    def resolve(self, id: str, resolution: str, status: str = "resolved") -> PastException:
        """Record how exception ``id`` ended (its vector stays: the resolution is not embedded)."""
        if not resolution or not resolution.strip():
            raise MemoryStoreError(f"a resolution of exception {id!r} needs words saying what was done")
        with self._lock:
            current = self.get(id)
            changed = PastException.model_validate({**current.model_dump(), "resolution": resolution.strip(),
                                                    "status": status})
            try:
                self._collection.update(ids=[id], metadatas=[_to_metadata(changed)])
            except Exception as exc:
                raise MemoryStoreError(f"cannot record the resolution of {id!r} in the exceptions memory in "
                                       f"{self.path}: {exc}") from exc
        return changed

    def delete(self, id: str) -> None:
        """Forget exception ``id``; :class:`ExceptionNotFound` if it is not stored."""
        with self._lock:
            self.get(id)
            try:
                self._collection.delete(ids=[id])
            except Exception as exc:
                raise MemoryStoreError(f"cannot delete {id!r} from the exceptions memory in {self.path}: "
                                       f"{exc}") from exc

    # -- reads --------------------------------------------------------------------------------------

    def get(self, id: str) -> PastException:
        found = self._get(ids=[id])
        if not found:
            raise ExceptionNotFound(f"no exception {id!r} in the exceptions memory in {self.path}")
        return found[0]

    def count(self) -> int:
        return int(self._collection.count())

    def list(self, *, kind: str | None = None, status: str | None = None, limit: int | None = None
             ) -> list[PastException]:
        """Stored exceptions, most recent first, optionally of one kind and/or status."""
        items = self._get(where=_where(kind=kind, status=status))
        items.sort(key=lambda item: (item.occurred_on, item.id), reverse=True)
        return items if limit is None else items[:limit]

    def _get(self, **query: Any) -> list[PastException]:
        try:
            result = self._collection.get(include=["metadatas"], **{k: v for k, v in query.items() if v})
        except Exception as exc:
            raise MemoryStoreError(f"cannot read the exceptions memory in {self.path}: {exc}") from exc
        return [_from_metadata(meta) for meta in result["metadatas"] or []]

    def search(self, text: str, k: int = 3, kind: str | None = None, *, min_similarity: float = 0.0
               ) -> list[SimilarException]:
        """The ``k`` stored exceptions closest in meaning to ``text``, most similar first."""
        return self.search_many([text], k=k, kind=kind, min_similarity=min_similarity)[0]

    def search_many(self, texts: Sequence[str], k: int = 3, kind: str | None = None, *,
                    min_similarity: float = 0.0) -> list[list[SimilarException]]:
        """:meth:`search` for several texts at once (one model pass, one query): one list per text."""
        if isinstance(texts, str):
            raise TypeError("search_many takes a list of texts; use search() for one")
        if k < 1:
            raise MemoryStoreError(f"the number of similar exceptions to return must be at least 1, not {k}")
        empty = [i for i, text in enumerate(texts) if not isinstance(text, str) or not text.strip()]
        if empty:
            raise MemoryStoreError(f"cannot search the exceptions memory for an empty text (text {empty[0]})")
        if not texts:
            return []
        with self._lock:
            stored = self.count()
            if stored == 0:
                return [[] for _ in texts]
            vectors = self._embed(texts)
            try:
                result = self._collection.query(query_embeddings=vectors, n_results=min(k, stored),
                                                where=_where(kind=kind), include=["metadatas", "distances"])
            except Exception as exc:
                raise MemoryStoreError(f"cannot search the exceptions memory in {self.path}: {exc}") from exc
        answers = []
        for metadatas, distances in zip(result["metadatas"], result["distances"]):
            hits = [SimilarException(exception=_from_metadata(meta), similarity=_similarity(distance))
                    for meta, distance in zip(metadatas, distances)]
            answers.append([hit for hit in hits if hit.similarity >= min_similarity])
        return answers


def _similarity(cosine_distance: float) -> float:
    """Chroma's cosine distance is 1 - cos; negative cosines (opposite meaning) count as 0."""
    return float(min(1.0, max(0.0, 1.0 - float(cosine_distance))))


def _where(**fields: str | None) -> dict | None:
    clauses = [{name: value} for name, value in fields.items() if value is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _to_metadata(item: PastException) -> dict[str, MetadataValue]:
    """Flat fields for filtering and display, plus the exact record as JSON."""
    flat: dict[str, MetadataValue] = {
        "kind": item.kind,
        "category": item.category,
        "title": item.title,
        "status": item.status,
        "occurred_on": item.occurred_on.isoformat(),
        "occurred_ordinal": item.occurred_on.toordinal(),
        _RECORD: item.model_dump_json(),
    }
    if item.partner is not None:
        flat["partner"] = item.partner
    if item.amount is not None:
        flat["amount"] = str(item.amount)
    if item.resolution is not None:
        flat["resolution"] = item.resolution
    for key, value in item.metadata.items():
        flat[_META_PREFIX + key] = value
    return flat


def _from_metadata(meta: dict[str, Any]) -> PastException:
    try:
        return PastException.model_validate_json(meta[_RECORD])
    except (KeyError, ValueError) as exc:
        raise MemoryStoreError(f"a stored exception is unreadable ({exc}); was the memory written by "
                               f"another program?") from exc


_clients: dict[Path, Any] = {}
_clients_lock = threading.Lock()


def _open_client(path: Path):
    """A Chroma client on ``path`` without telemetry; one per folder and process (Chroma shares them anyway)."""
    key = path.expanduser().resolve()
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        if key.exists() and not key.is_dir():
            raise MemoryStoreError(f"the exceptions memory path {key} is a file, not a folder")
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as exc:
            raise MemoryStoreError(f"chromadb is not installed, so there is no exceptions memory: "
                                   f"`pip install chromadb` (or `./dev.sh setup`) [{exc}]") from exc
        try:
            key.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(key), settings=ChromaSettings(
                anonymized_telemetry=False, allow_reset=False))
        except Exception as exc:
            raise MemoryStoreError(f"cannot open the exceptions memory in {key}: {exc}") from exc
        _clients[key] = client
        return client
