"""Bounded subset-sum on integer cents: which open items of one partner add up to a bank amount.

A customer often pays several invoices with one transfer. Finding which ones is a subset-sum
problem; it is exponential in general, so the search is bounded three ways: only the partner's
``max_items`` oldest open items are considered, subsets have at most ``max_size`` items, and the
depth-first search stops after ``node_budget`` steps. Within those bounds it returns every exact
subset (up to ``max_solutions``), so the caller can tell a unique answer from an ambiguous one.
"""

from __future__ import annotations

from collections.abc import Sequence


def exact_subsets(amounts: Sequence[int], target: int, *, max_size: int = 6, max_solutions: int = 3,
                  node_budget: int = 20_000) -> tuple[list[tuple[int, ...]], bool]:
    """Subsets (as index tuples into ``amounts``, at least two items) summing exactly to ``target``.

    All amounts and the target are positive integers (cents). Returns ``(solutions, complete)``:
    ``complete`` is False when the node budget ran out before the search space was covered (so a
    single solution found is not known to be the only one).
    """
    order = sorted((i for i, a in enumerate(amounts) if 0 < a <= target), key=lambda i: -amounts[i])
    values = [amounts[i] for i in order]
    n = len(values)
    # suffix sums: the most the remaining items can still add
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + values[i]
    solutions: list[tuple[int, ...]] = []
    budget = node_budget
    chosen: list[int] = []
    exhausted = False

    def search(start: int, remaining: int) -> None:
        nonlocal budget, exhausted
        if len(solutions) >= max_solutions or exhausted:
            return
        for i in range(start, n):
            budget -= 1
            if budget <= 0:
                exhausted = True
                return
            if suffix[i] < remaining:  # even all the rest cannot reach the target
                return
            value = values[i]
            if value > remaining:
                continue
            if i > start and values[i] == values[i - 1]:
                continue  # the same amount at the same depth gives the same sums: explored already
            chosen.append(i)
            if value == remaining:
                if len(chosen) >= 2:
                    solutions.append(tuple(sorted(order[j] for j in chosen)))
            elif len(chosen) < max_size:
                search(i + 1, remaining - value)
            chosen.pop()
            if len(solutions) >= max_solutions or exhausted:
                return

    search(0, target)
    return solutions, not exhausted
