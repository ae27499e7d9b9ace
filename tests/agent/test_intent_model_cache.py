"""The fitted intent classifier is kept on disk: a new process reads it back instead of fitting again.

What is read back must score every message exactly as the fit it was saved from (the same probabilities,
bit for bit), and the numpy scoring must give scikit-learn's own probabilities, bit for bit; anything that
changes the fit (examples, embedder) gets its own file; a damaged file is fitted again, not trusted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ledgerpilot.agent.intents import IntentModel, _load_fitted
from ledgerpilot.memory.embeddings import load_embedder

EXAMPLES = {
    "cash_position": ["how much cash do we have", "bank balance today", "what is in the bank accounts",
                      "cash on hand right now", "our liquidity at the moment"],
    "receivables_ageing": ["who owes us money", "overdue customer invoices", "aged receivables",
                           "which customers are late paying", "open receivables by bucket"],
    "outside": ["what is the weather tomorrow", "write me a poem", "who won the football match",
                "translate this into french", "tell me a joke about cats"],
}
MESSAGES = ["How much money is in the bank?", "Which clients still owe us?", "Will it rain on Sunday?",
            "cash", "customers paying late and our bank balance", ""]


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, name: str = "counting"):
        self.inner = load_embedder()
        self.name = name
        self.fingerprint = f"{name}|{self.inner.fingerprint}"
        self.dimension = self.inner.dimension
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        return self.inner.encode(texts)


def _probabilities(model: IntentModel, vectors: np.ndarray | None = None, texts=MESSAGES) -> np.ndarray:
    from ledgerpilot.agent.intents import _features, _words_form

    vectors = load_embedder().encode(list(texts)) if vectors is None else vectors
    return model._classifier.probabilities(_features(vectors, model._words.transform([_words_form(t) for t in texts])))


def test_a_kept_fit_scores_exactly_as_the_fit_it_came_from(tmp_path):
    embedder = CountingEmbedder()
    fitted = IntentModel.fit(embedder, EXAMPLES, cache_dir=tmp_path)
    assert embedder.texts == 15
    assert len(list(tmp_path.glob("intent-model-*.npz"))) == 1

    fresh = CountingEmbedder()
    restored = IntentModel.fit(fresh, EXAMPLES, cache_dir=tmp_path)
    assert fresh.texts == 0                       # neither the examples embedded nor the classifier fitted
    assert restored.intents == fitted.intents
    assert np.array_equal(_probabilities(restored), _probabilities(fitted))
    assert restored.score(MESSAGES) == fitted.score(MESSAGES)
    assert [s.best for s in restored.score(MESSAGES[:3])] == ["cash_position", "receivables_ageing", "outside"]


def test_other_examples_or_another_embedder_get_their_own_fit(tmp_path):
    IntentModel.fit(CountingEmbedder(), EXAMPLES, cache_dir=tmp_path)
    more = {**EXAMPLES, "outside": [*EXAMPLES["outside"], "recommend a good film"]}
    embedder = CountingEmbedder()
    IntentModel.fit(embedder, more, cache_dir=tmp_path)
    other = CountingEmbedder("another-model")
    IntentModel.fit(other, EXAMPLES, cache_dir=tmp_path)
    assert embedder.texts == 16 and other.texts == 15
    assert len(list(tmp_path.glob("intent-model-*.npz"))) == 3


@pytest.mark.parametrize("damage", ["truncated", "not an archive", "wrong shapes"])
def test_a_damaged_fit_is_fitted_again(tmp_path, damage):
    reference = IntentModel.fit(CountingEmbedder(), EXAMPLES, cache_dir=tmp_path)
    (path,) = tmp_path.glob("intent-model-*.npz")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "not an archive":
        path.write_text("hello")
    else:
        with np.load(path) as stored:
            arrays = dict(stored)
        arrays["coef"] = arrays["coef"][:, :10]
        np.savez(path.with_suffix(""), **arrays)   # np.savez adds the .npz suffix back
    embedder = CountingEmbedder()
    refitted = IntentModel.fit(embedder, EXAMPLES, cache_dir=tmp_path)
    assert refitted.score(MESSAGES) == reference.score(MESSAGES)
    assert _load_fitted(path) is not None        # written again, whole
    assert IntentModel.fit(CountingEmbedder(), EXAMPLES, cache_dir=tmp_path).score(MESSAGES) == reference.score(MESSAGES)


def test_without_a_cache_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    IntentModel.fit(CountingEmbedder(), EXAMPLES, cache_dir=None)
    assert list(tmp_path.iterdir()) == []


def test_scoring_gives_scikit_learns_probabilities_bit_for_bit():
    """The words of 1,000 varied texts (the embedding parity corpus) with random meanings: numpy's scoring and
    scikit-learn's ``transform`` + ``predict_proba`` on the same fit agree to the last bit."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from ledgerpilot.agent.intents import _VECTORIZER, REGULARISATION_C, _features, _words_form

    labels = [name for name, items in EXAMPLES.items() for _ in items]
    texts = [text for items in EXAMPLES.values() for text in items]
    embedder = CountingEmbedder()
    vectorizer = TfidfVectorizer(**_VECTORIZER)
    words = vectorizer.fit_transform([_words_form(t) for t in texts]).toarray().astype(np.float32)
    classifier = LogisticRegression(C=REGULARISATION_C, max_iter=3000)
    classifier.fit(_features(embedder.encode(texts), words), labels)
    model = IntentModel.fit(embedder, EXAMPLES)

    corpus = json.loads((Path(__file__).parents[1] / "fixtures/embedding_parity/sentences.json").read_text())
    corpus += [*texts, *MESSAGES]
    vectors = np.random.default_rng(7).normal(size=(len(corpus), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    theirs = vectorizer.transform([_words_form(t) for t in corpus]).toarray().astype(np.float32)
    assert np.array_equal(model._words.transform([_words_form(t) for t in corpus]), theirs)
    assert np.array_equal(_probabilities(model, vectors, corpus), classifier.predict_proba(_features(vectors, theirs)))


def test_a_process_reading_a_kept_fit_never_imports_scikit_learn(tmp_path):
    IntentModel.fit(load_embedder(), EXAMPLES, cache_dir=tmp_path)
    code = f"""
import json, sys
from ledgerpilot.agent.intents import IntentModel
from ledgerpilot.memory.embeddings import load_embedder
model = IntentModel.fit(load_embedder(), {EXAMPLES!r}, cache_dir={str(tmp_path)!r})
best = model.score(["How much money is in the bank?"])[0].best
print(json.dumps({{"best": best, "sklearn": "sklearn" in sys.modules, "scipy": "scipy" in sys.modules}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"best": "cash_position", "sklearn": False, "scipy": False}


def test_fewer_than_three_intents_are_refused():
    from ledgerpilot.agent.intents import IntentError

    with pytest.raises(IntentError, match="at least 3 intents, not 2"):
        IntentModel.fit(CountingEmbedder(), {k: EXAMPLES[k] for k in ("cash_position", "outside")})
