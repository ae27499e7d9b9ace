"""The pieces of bank matching: reading references out of labels and the bounded subset-sum."""

from __future__ import annotations

from ledgerpilot.calc.close.matching.subset import exact_subsets
from ledgerpilot.calc.close.matching.text import find_keys, name_key, reference_key, runs


def test_runs_ignore_separators_case_and_leading_zeros():
    assert runs("INV/2026/00123") == ("INV", "2026", "123")
    assert runs("inv-2026-123") == runs("INV 2026 00123") == runs("Inv2026/00123") == ("INV", "2026", "123")
    assert runs("") == () and runs(None) == ()
    assert runs("000") == ("0",)


def test_reference_keys_need_digits_and_substance():
    assert reference_key("FAC/2026-00130") == ("FAC", "2026", "130")
    assert reference_key("Payment") is None          # no digits: not a document
    assert reference_key("A1") is None               # too short to tell apart from label words
    assert reference_key("12345") == ("12345",)


def test_name_keys_skip_generic_words():
    assert name_key("Riverside Foods 10") == ("RIVERSIDE", "FOODS", "10")
    assert name_key("Bank") is None and name_key("AB") is None


def test_find_keys_looks_up_windows_of_the_label():
    known = {("INV", "2026", "123"): 1, ("INV", "2026", "124"): 2, ("AZURE", "SERVICES"): 3}
    assert find_keys("Azure Services inv 2026 00123 + INV/2026/124", known, [2, 3]) == [
        ("AZURE", "SERVICES"), ("INV", "2026", "123"), ("INV", "2026", "124")]
    assert find_keys("nothing here 2026", known, [2, 3]) == []


def test_exact_subsets_finds_every_way_within_bounds():
    found, complete = exact_subsets([120000, 31040, 8960, 5000], 160000)
    assert found == [(0, 1, 2)] and complete
    found, complete = exact_subsets([100, 200, 300], 300)
    assert found == [(0, 1)] and complete            # a single item is not a subset match
    found, _ = exact_subsets([100, 100, 200], 300)
    assert found == [(0, 2)] or found == [(1, 2)]    # equal amounts are explored once


def test_exact_subsets_respects_size_and_budget():
    found, complete = exact_subsets([1] * 5 + [10], 5, max_size=3)
    assert found == [] and complete
    amounts = [1000 + 7 * i for i in range(40)]
    found, complete = exact_subsets(amounts, 1, node_budget=50)
    assert found == [] and complete                   # nothing small enough: no search at all
    found, complete = exact_subsets(amounts, 5503, max_size=6, node_budget=10)
    assert not complete                               # the budget ran out before the space was covered
