"""Finding candidate (bank line, open item) pairs through indexes, never by comparing every pair.

Four hash joins produce every pair worth scoring:

- *reference*: keys read from the label (see :mod:`matching_text`) joined to the keys of the
  items' document number (``move_name``) and reference (``ref``: the vendor's bill number, the
  payment's reference);
- *partner*: the line's partner (or a partner named in its label) joined to that partner's open
  items, kept when the amounts agree exactly or within the bank-fee tolerance;
- *amount*: lines with no known partner joined to items of exactly the same amount (integer
  cents, or the same amount in the same foreign currency);
- *several items*: the partner's items that add up to the line (bounded subset-sum) and the items
  named together in one label.

Direction is enforced on every pair: money in (+) only meets items to collect (+: customer
invoices, vendor refunds), money out (-) only items to pay (-: bills, customer refunds, sent
payments waiting for the bank).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ledgerpilot.calc.close.matching.frames import ItemArrays, LineArrays
from ledgerpilot.calc.close.matching.subset import exact_subsets
from ledgerpilot.calc.close.matching.text import Key, find_keys, name_key, reference_key


@dataclass(frozen=True)
class Combo:
    """Several open items proposed together for one bank line."""

    line: int
    items: tuple[int, ...]
    referenced: int           # how many of the items the label names
    source: str               # "label" (the label names them) or "subset" (they add up)
    unique: bool              # the only way found to make the amount with this partner's items
    whole_balance: bool       # the items are every open item of the partner in that direction
    diff: int                 # |line| - |sum of items| in cents


@dataclass(frozen=True)
class Candidates:
    pairs: pd.DataFrame       # one row per (line, item): see ``single_pairs``
    combos: list[Combo]
    label_partners: list[tuple[int, ...]]  # partners named in each line's label


def tolerance(cents: np.ndarray, fee_cents: int, fee_share: float) -> np.ndarray:
    """The bank-fee tolerance of each line: the fixed cap, but never more than a share of the amount."""
    return np.minimum(fee_cents, np.rint(np.abs(cents) * fee_share)).astype("int64")


def _key_table(values: list[tuple[int, Key | None]]) -> dict[Key, list[int]]:
    """Key -> the positions carrying it, each position once, in first-seen order."""
    table: dict[Key, dict[int, None]] = defaultdict(dict)
    for position, key in values:
        if key is not None:
            table[key][position] = None
    return {key: list(positions) for key, positions in table.items()}


def reference_index(items: ItemArrays) -> dict[Key, list[int]]:
    """Reference key -> item positions (a document number or a reference, whichever the item has)."""
    frame = items.frame
    entries: list[tuple[int, Key | None]] = []
    for column in ("move_name", "ref"):
        for position, text in enumerate(frame[column].tolist()):
            if isinstance(text, str) and text:
                entries.append((position, reference_key(text)))
    return _key_table(entries)


def partner_name_index(items: ItemArrays, lines: LineArrays) -> dict[Key, int]:
    """Partner-name key -> partner id; a key shared by two partners is dropped (it names neither)."""
    names: dict[Key, int] = {}
    clashes: set[Key] = set()
    for ids, texts in ((items.partner, items.frame["partner_name"].tolist()),
                       (lines.partner, lines.frame["partner_name"].tolist())):
        for partner, text in zip(ids.tolist(), texts):
            if partner < 0 or not isinstance(text, str):
                continue
            key = name_key(text)
            if key is None:
                continue
            if names.setdefault(key, partner) != partner:
                clashes.add(key)
    for key in clashes:
        names.pop(key, None)
    return names


def _longest(keys: list[Key]) -> list[Key]:
    """Drop a name found inside a longer name found in the same label ("Quartz Interiors" within
    "Quartz Interiors 65"): the label names the longer one."""
    def inside(short: Key, long: Key) -> bool:
        return len(short) < len(long) and any(long[i:i + len(short)] == short
                                              for i in range(len(long) - len(short) + 1))

    return [k for k in keys if not any(inside(k, other) for other in keys)]


def _lengths(keys) -> list[int]:
    return sorted({len(k) for k in keys})


def find_candidates(lines: LineArrays, items: ItemArrays, *, fee_cents: int, fee_share: float,
                    amount_only_limit: int, subset_items: int, subset_size: int, subset_budget: int) -> Candidates:
    labels = lines.frame["payment_ref"].tolist()
    refs = reference_index(items)
    names = partner_name_index(items, lines)
    ref_lengths, name_lengths = _lengths(refs), _lengths(names)

    # --- what each label names ---------------------------------------------------------------
    ref_line, ref_item = [], []
    label_partners: list[tuple[int, ...]] = []
    for position, label in enumerate(labels):
        text = label if isinstance(label, str) else ""
        for key in find_keys(text, refs, ref_lengths):
            for item in refs[key]:
                ref_line.append(position)
                ref_item.append(item)
        found = tuple(dict.fromkeys(names[k] for k in _longest(find_keys(text, names, name_lengths))))
        label_partners.append(found)

    sign_line = np.sign(lines.cents)
    sign_item = np.sign(items.cents)
    tol = tolerance(lines.cents, fee_cents, fee_share)

    # known partners of each line: its own partner and those its label names
    kp_line, kp_partner = [], []
    for position, (own, named) in enumerate(zip(lines.partner.tolist(), label_partners)):
        known = ([own] if own >= 0 else []) + [p for p in named if p != own]
        for partner in known:
            kp_line.append(position)
            kp_partner.append(partner)
    known_partners = pd.DataFrame({"line": np.asarray(kp_line, dtype="int64"),
                                   "partner": np.asarray(kp_partner, dtype="int64")})
    item_table = pd.DataFrame({"item": np.arange(len(items.ids), dtype="int64"), "partner": items.partner,
                               "sign": sign_item, "cents": items.cents})
    item_table = item_table[item_table["sign"] != 0]

    # --- partner pairs: same partner, same direction, amount exact or within the fee tolerance --
    partner_pairs = _partner_pairs(known_partners, sign_line, tol, lines, items, item_table)

    # --- amount pairs for lines nobody is known for -------------------------------------------
    no_partner = np.array([len(p) == 0 for p in label_partners]) & (lines.partner < 0)
    anon = pd.DataFrame({"line": np.flatnonzero(no_partner).astype("int64")})
    anon["cents"] = lines.cents[anon["line"].to_numpy()]
    amount_pairs = anon.merge(item_table[["item", "cents"]], on="cents")[["line", "item"]]
    anon_foreign = anon.assign(currency=lines.foreign[anon["line"].to_numpy()],
                               fcents=lines.foreign_cents[anon["line"].to_numpy()])
    anon_foreign = anon_foreign[anon_foreign["currency"] != ""]
    if len(anon_foreign):
        foreign_items = pd.DataFrame({"item": np.arange(len(items.ids)), "currency": items.currency,
                                      "fcents": items.currency_cents})
        foreign_items = foreign_items[foreign_items["currency"] != ""]
        amount_pairs = pd.concat([amount_pairs, anon_foreign.merge(foreign_items, on=["currency", "fcents"])[
            ["line", "item"]]], ignore_index=True)
    if len(amount_pairs):
        amount_pairs = amount_pairs.assign(
            days=np.abs(lines.day[amount_pairs["line"].to_numpy()] - items.day[amount_pairs["item"].to_numpy()]))
        amount_pairs = (amount_pairs.sort_values(["line", "days", "item"])
                        .groupby("line", sort=False).head(amount_only_limit)[["line", "item"]])

    ref_pairs = pd.DataFrame({"line": np.asarray(ref_line, dtype="int64"), "item": np.asarray(ref_item, dtype="int64")})
    ref_pairs = ref_pairs[sign_line[ref_pairs["line"].to_numpy()] == sign_item[ref_pairs["item"].to_numpy()]]
    ref_pairs = ref_pairs.drop_duplicates()

    pairs = pd.concat([ref_pairs.assign(ref=True), partner_pairs.assign(ref=False), amount_pairs.assign(ref=False)],
                      ignore_index=True)
    pairs = pairs.groupby(["line", "item"], as_index=False, sort=True)["ref"].max()
    pairs = describe_pairs(pairs, lines, items, label_partners, tol)

    combos = _label_combos(ref_pairs, lines, items, tol, label_partners)
    combos += _subset_combos(pairs, lines, items, label_partners, item_table, subset_items=subset_items,
                             subset_size=subset_size, subset_budget=subset_budget, ref_pairs=ref_pairs)
    return Candidates(pairs, combos, label_partners)


_SHIFT = np.int64(1) << 40  # cents below 2**40 (11 billion currency units) fit under one group


def _partner_pairs(known_partners: pd.DataFrame, sign_line: np.ndarray, tol: np.ndarray, lines: LineArrays,
                   items: ItemArrays, item_table: pd.DataFrame) -> pd.DataFrame:
    """(line, item) of the same partner and direction whose amounts agree within the line's
    tolerance, found by binary search in the items sorted by (partner, direction, amount): the
    work grows with the pairs found, not with lines x items of a big partner. Plus the pairs whose
    amounts agree exactly in the same foreign currency."""
    known = item_table[item_table["partner"] >= 0]
    if not len(known) or not len(known_partners):
        return pd.DataFrame({"line": np.zeros(0, dtype="int64"), "item": np.zeros(0, dtype="int64")})
    groups, group_of_item = np.unique(np.stack([known["partner"].to_numpy(), known["sign"].to_numpy()]),
                                      axis=1, return_inverse=True)
    group_of_item = group_of_item.reshape(-1)
    item_key = group_of_item.astype("int64") * _SHIFT + np.minimum(np.abs(known["cents"].to_numpy()), _SHIFT - 1)
    order = np.argsort(item_key, kind="stable")
    sorted_key, sorted_item = item_key[order], known["item"].to_numpy()[order]
    group_index = {(int(p), int(g)): i for i, (p, g) in enumerate(zip(groups[0], groups[1]))}
    line_pos = known_partners["line"].to_numpy()
    group_of_line = np.array([group_index.get((int(p), int(sg)), -1)
                              for p, sg in zip(known_partners["partner"].to_numpy(), sign_line[line_pos])],
                             dtype="int64")
    has_group = group_of_line >= 0
    line_pos, group_of_line = line_pos[has_group], group_of_line[has_group]
    amount = np.abs(lines.cents[line_pos])
    base = group_of_line * _SHIFT
    low = np.searchsorted(sorted_key, base + np.maximum(amount - tol[line_pos], 0), side="left")
    high = np.searchsorted(sorted_key, base + np.minimum(amount + tol[line_pos], _SHIFT - 1), side="right")
    counts = high - low
    pair_line = np.repeat(line_pos, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_item = sorted_item[np.repeat(low, counts) + offsets]
    pairs = [pd.DataFrame({"line": pair_line.astype("int64"), "item": pair_item.astype("int64")})]
    foreign_lines = known_partners[lines.foreign[known_partners["line"].to_numpy()] != ""]
    if len(foreign_lines):
        foreign_lines = foreign_lines.assign(
            currency=lines.foreign[foreign_lines["line"].to_numpy()],
            fcents=np.abs(lines.foreign_cents[foreign_lines["line"].to_numpy()]),
            sign=sign_line[foreign_lines["line"].to_numpy()])
        foreign_items = known.assign(currency=items.currency[known["item"].to_numpy()],
                                     fcents=np.abs(items.currency_cents[known["item"].to_numpy()]))
        foreign_items = foreign_items[foreign_items["currency"] != ""]
        pairs.append(foreign_lines.merge(foreign_items[["item", "partner", "sign", "currency", "fcents"]],
                                         on=["partner", "sign", "currency", "fcents"])[["line", "item"]])
    return pd.concat(pairs, ignore_index=True)


def _foreign_exact(lines: LineArrays, items: ItemArrays, line_pos: np.ndarray, item_pos: np.ndarray) -> np.ndarray:
    currency = lines.foreign[line_pos]
    return ((currency != "") & (currency == items.currency[item_pos])
            & (np.abs(lines.foreign_cents[line_pos]) == np.abs(items.currency_cents[item_pos])))


_CODE = np.int64(1) << 32


def _partner_state(lines: LineArrays, items: ItemArrays, label_partners, line_pos: np.ndarray,
                   item_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(agree, known) per pair: the item's partner is one the line names; the line names anyone."""
    item_partner = items.partner[item_pos]
    agree = (lines.partner[line_pos] >= 0) & (lines.partner[line_pos] == item_partner)
    known = lines.partner[line_pos] >= 0
    named_line = np.fromiter((line for line, found in enumerate(label_partners) for _ in found), dtype="int64")
    named_partner = np.fromiter((p for found in label_partners for p in found), dtype="int64")
    has_named = np.bincount(named_line, minlength=len(label_partners))[line_pos] > 0 if len(line_pos) else \
        np.zeros(0, dtype=bool)
    named = np.isin(line_pos.astype("int64") * _CODE + item_partner, named_line * _CODE + named_partner)
    return agree | (named & (item_partner >= 0)), known | has_named


def describe_pairs(pairs: pd.DataFrame, lines: LineArrays, items: ItemArrays, label_partners,
                   tol: np.ndarray) -> pd.DataFrame:
    """Add the signals of each pair: amount (exact/fee/partial/over), partner, days from due date."""
    line_pos, item_pos = pairs["line"].to_numpy(), pairs["item"].to_numpy()
    line_abs, item_abs = np.abs(lines.cents[line_pos]), np.abs(items.cents[item_pos])
    diff = line_abs - item_abs
    foreign = _foreign_exact(lines, items, line_pos, item_pos)
    exact = (diff == 0) | foreign
    fee = ~exact & (np.abs(diff) <= tol[line_pos])
    partial = ~exact & ~fee & (diff < 0)
    over = ~exact & ~fee & (diff > 0)
    agree, known = _partner_state(lines, items, label_partners, line_pos, item_pos)
    return pairs.assign(
        diff=diff, exact=exact, foreign=foreign & (diff != 0), fee=fee, partial=partial, over=over,
        agree=agree, conflict=known & ~agree, days=lines.day[line_pos] - items.day[item_pos],
        move=items.move[item_pos])


def _label_combos(ref_pairs: pd.DataFrame, lines: LineArrays, items: ItemArrays, tol: np.ndarray,
                  label_partners) -> list[Combo]:
    """A label naming several items: all of them together, or the ones that add up exactly."""
    combos: list[Combo] = []
    grouped = ref_pairs.groupby("line")["item"].apply(lambda s: sorted(set(s.tolist())))
    for line, named in grouped[grouped.map(len) >= 2].items():
        named = named[:12]
        amounts = [int(abs(items.cents[i])) for i in named]
        target = int(abs(lines.cents[line]))
        total = sum(amounts)
        if abs(target - total) <= tol[line]:
            combos.append(Combo(int(line), tuple(named), len(named), "label", True, False, target - total))
            continue
        found, complete = exact_subsets(amounts, target, max_size=len(named))
        for subset in found:
            chosen = tuple(named[i] for i in subset)
            combos.append(Combo(int(line), chosen, len(chosen), "label", len(found) == 1 and complete, False, 0))
    return combos


def _subset_combos(pairs: pd.DataFrame, lines: LineArrays, items: ItemArrays, label_partners, item_table,
                   *, subset_items: int, subset_size: int, subset_budget: int, ref_pairs) -> list[Combo]:
    """Several open items of the line's one known partner adding up to the line, when no single
    item has the exact amount."""
    has_exact = set(pairs.loc[pairs["exact"] & (pairs["ref"] | pairs["agree"]), "line"].tolist())
    wanted: dict[int, int] = {}
    for line, (own, named) in enumerate(zip(lines.partner.tolist(), label_partners)):
        known = set(([own] if own >= 0 else []) + list(named))
        if len(known) == 1 and line not in has_exact and lines.cents[line] != 0:
            wanted[line] = known.pop()
    if not wanted:
        return []
    referenced = ref_pairs.groupby("line")["item"].apply(set).to_dict() if len(ref_pairs) else {}
    partners = set(wanted.values())
    pool = item_table[item_table["partner"].isin(partners)].assign(day=lambda f: items.day[f["item"].to_numpy()])
    pool = pool.sort_values(["partner", "sign", "day", "item"])
    groups = {key: group["item"].to_numpy() for key, group in pool.groupby(["partner", "sign"], sort=False)}
    combos: list[Combo] = []
    for line, partner in wanted.items():
        sign = int(np.sign(lines.cents[line]))
        members = groups.get((partner, sign))
        if members is None or len(members) < 2:
            continue
        considered = members[:subset_items]
        amounts = [int(abs(items.cents[i])) for i in considered]
        target = int(abs(lines.cents[line]))
        found, complete = exact_subsets(amounts, target, max_size=subset_size, node_budget=subset_budget)
        for subset in found:
            chosen = tuple(int(considered[i]) for i in subset)
            left = [amounts[i] for i in range(len(considered)) if i not in subset]
            swappable = any(amounts[i] in left for i in subset)
            unique = len(found) == 1 and complete and not swappable
            whole = len(chosen) == len(members)
            named = len(referenced.get(line, set()) & set(chosen))
            combos.append(Combo(line, chosen, named, "subset", unique, whole, 0))
    return combos
