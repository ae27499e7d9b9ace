"""Misspelt finance words and shorthand are put right before routing; names and references never are."""

from __future__ import annotations

import pytest

from ledgerpilot.agent.intents import load_intents
from ledgerpilot.agent.spelling import SpellingCorrector, name_words


@pytest.fixture(scope="module")
def speller():
    return SpellingCorrector(t for items in load_intents().values() for t in items)


@pytest.mark.parametrize(("typed", "meant"), [
    ("payabels", "payables"), ("forcast", "forecast"), ("acrual", "accrual"), ("reconcilation", "reconciliation"),
    ("overdeu", "overdue"), ("recievbles", "receivables"), ("buget", "budget"), ("anomolies", "anomalies"),
    ("liquidty", "liquidity"), ("cusomer", "customer"), ("ballance", "balance"), ("comitted", "committed"),
])
def test_the_misspellings_people_make_route_like_their_clean_forms(speller, typed, meant):
    assert speller.correct(f"show me the {typed} please").lower() == f"show me the {meant} please"


def test_shorthand_is_expanded(speller):
    assert speller.correct("cash fcst for 6 wks") == "cash forecast for 6 weeks"
    assert speller.correct("AR ageing rn") == "receivables ageing right now"


def test_english_words_names_and_references_are_left_alone(speller):
    protected = name_words(["Brightlne Legal LLP", "Kestrel Hospitality"])
    text = "Does Brightlne pay INV/2026/00042 on time, and what about Kestrel?"
    assert speller.correct(text, protected) == text
    assert speller.correct("where is the doomsday version") == "where is the doomsday version"


def test_an_ambiguous_correction_is_not_made():
    speller = SpellingCorrector(["cost", "cast"], english=frozenset())
    assert speller.correct_word("cxst") == "cxst"          # "cost" and "cast" are both one edit away
