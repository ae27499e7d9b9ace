"""Retrieval quality: new exceptions find past ones of their own category among their top-3 neighbours.

The history (240 resolved exceptions in 8 categories) and the new exceptions (120, written with
other sentence templates) come from the seeded generator in ``exception_history``. The new texts
are searched alone, without their category, as a budget check or an anomaly detector would.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ledgerpilot.memory.embeddings import load_embedder
from ledgerpilot.memory.exceptions import ExceptionMemory
from tests.memory.exception_history import CATEGORIES, fresh, history

pytestmark = pytest.mark.slow

TOP_K = 3
GOAL = 0.90


@pytest.fixture(scope="module")
def seeded_memory(tmp_path_factory) -> ExceptionMemory:
    memory = ExceptionMemory(tmp_path_factory.mktemp("retrieval") / "memory", load_embedder())
    memory.add([item for item, _ in history(per_category=30, seed=11)])
    return memory


def test_history_and_queries_are_worded_apart():
    seeded = history(per_category=30, seed=11)
    past = {item.text for item, _ in seeded}
    new = fresh(per_category=15, seed=99)
    assert len({item.id for item, _ in seeded}) == 240 and len(past) > 230 and len(new) == 120
    assert not past & {text for text, _ in new}
    assert Counter(category for _, category in new) == {category.name: 15 for category in CATEGORIES}


def test_top3_neighbours_contain_the_category_in_90_percent_of_cases(seeded_memory):
    queries = fresh(per_category=15, seed=99)
    results = seeded_memory.search_many([text for text, _ in queries], k=TOP_K)
    found = [any(hit.exception.category == category for hit in hits) for hits, (_, category) in zip(results, queries)]
    misses = Counter(category for ok, (_, category) in zip(found, queries) if not ok)
    rate = sum(found) / len(found)
    print(f"\nretrieval: top-{TOP_K} contains the category for {sum(found)}/{len(found)} new exceptions "
          f"({rate:.1%}); misses by category: {dict(misses) or 'none'}")
    assert rate >= GOAL, f"top-{TOP_K} hit rate {rate:.1%} below {GOAL:.0%}; misses: {dict(misses)}"
    # each category on its own does well too, so one strong category cannot hide a broken one
    per_category = Counter(category for ok, (_, category) in zip(found, queries) if ok)
    assert all(per_category[category.name] >= 12 for category in CATEGORIES), per_category


def test_kind_filter_keeps_retrieval_inside_one_kind(seeded_memory):
    queries = [(text, category) for text, category in fresh(per_category=5, seed=5)]
    kinds = {category.name: category.kind for category in CATEGORIES}
    results = seeded_memory.search_many([text for text, _ in queries], k=TOP_K, kind="anomaly")
    assert all(hit.exception.kind == "anomaly" for hits in results for hit in hits)
    anomaly_queries = [(hits, category) for hits, (_, category) in zip(results, queries)
                       if kinds[category] == "anomaly"]
    assert sum(hits[0].exception.category == category for hits, category in anomaly_queries) \
        >= 0.9 * len(anomaly_queries)
