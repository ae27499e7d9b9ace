"""Domains: random domains checked against an independent pure-Python evaluator of Odoo 17's
semantics, plus hand-written cases for each operator and special case.

The evaluator below is written from Odoo's documented behaviour (NULL handling, negation pushed
onto operators, like patterns, name search on many2one, x2many, hierarchy); it shares no code
with the compiler under test.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerpilot.sandbox.domain import compile_domain, normalize_domain
from ledgerpilot.sandbox.exceptions import PythonError, UserError
from ledgerpilot.sandbox.query import QueryEngine
from ledgerpilot.sandbox.store import Store

NAMES = ["Azure Interior", "azure desk", "Deco Addict", "Élan Vital", "élan bis", "Gemini 50%", "under_score",
         "Ready Mat", "Wood Corner", "Lumber Inc", "a\\b", "Zed"]
REFS = [None, "A1", "a1", "B-2", "", "C%3"]
TYPES = [None, "contact", "invoice", "delivery", "other"]
DATES = [None, "2026-01-01", "2026-02-15", "2026-11-18", "2025-12-31"]
DATETIMES = [None, "2026-01-01 00:00:00", "2026-01-01 23:59:59", "2026-02-15 10:30:00", "2025-12-31 23:00:00"]


def _partner_rows() -> list[dict]:
    rnd = random.Random(20261118)
    rows = []
    for rid in range(1, 41):
        name = rnd.choice(NAMES) + ("" if rid <= 12 else f" {rid}")
        parent = rnd.choice([None, None, None] + list(range(1, rid))) if rid > 3 else None
        rows.append({
            "id": rid,
            "name": name,
            "complete_name": name,
            "ref": rnd.choice(REFS),
            "color": rnd.choice([None, 0, 1, 2, 5, 10, -3]),
            "partner_latitude": rnd.choice([None, 0.0, 1.5, -2.25, 10.0, 0.1]),
            "is_company": rnd.choice([None, True, False]),
            "date": rnd.choice(DATES),
            "write_date": rnd.choice(DATETIMES),
            "type": rnd.choice(TYPES),
            "parent_id": parent,
            "active": rnd.random() > 0.2,
        })
    return rows


ROWS = _partner_rows()
BY_ID = {r["id"]: r for r in ROWS}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("domain") / "db.sqlite")
    store.bulk_insert("res.partner", ROWS)
    yield QueryEngine(store)
    store.close()


# -- the independent evaluator ------------------------------------------------------------------

NEGATIVE = {"!=", "not like", "not ilike", "not in"}
NEGATION = {"<": ">=", ">": "<=", "<=": ">", ">=": "<", "=": "!=", "!=": "=", "in": "not in", "not in": "in",
            "like": "not like", "not like": "like", "ilike": "not ilike", "not ilike": "ilike"}
TYPES_BY_FIELD = {"name": "char", "complete_name": "char", "ref": "char", "email": "char", "vat": "char",
                  "company_registry": "char", "color": "integer", "partner_latitude": "float",
                  "is_company": "boolean", "active": "boolean", "date": "date", "write_date": "datetime",
                  "type": "selection", "parent_id": "many2one", "child_ids": "one2many", "id": "id"}


def pattern_matches(value: str, pattern: str, ignore_case: bool) -> bool:
    regex, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if c == "%" else "." if c == "_" else re.escape(c)
        i += 1
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def descendants(ids) -> set:
    found, frontier = set(), {i for i in ids if i in BY_ID}
    while frontier:
        found |= frontier
        frontier = {r["id"] for r in ROWS if r["parent_id"] in frontier} - found
    return found


def ancestors(ids) -> set:
    found, frontier = set(), {i for i in ids if i in BY_ID}
    while frontier:
        found |= frontier
        frontier = {BY_ID[i]["parent_id"] for i in frontier if BY_ID[i]["parent_id"]} - found
    return found


def name_ids(op: str, value, active_only: bool) -> set:
    """res.partner name search: complete_name, email, ref, vat, company_registry."""
    if value == "" and op in ("like", "ilike"):
        return {r["id"] for r in ROWS if r["active"] or not active_only}
    fields = ["complete_name", "email", "ref", "vat", "company_registry"]
    combine = all if op in NEGATIVE else any
    return {r["id"] for r in ROWS if (r["active"] or not active_only)
            and combine(leaf_true(r, f, op, value) for f in fields)}


def to_ids(value, active_only: bool) -> list:
    if isinstance(value, str):
        return sorted(name_ids("ilike", value, active_only))
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return sorted(set().union(*(name_ids("ilike", v, active_only) for v in value)))
    if isinstance(value, int):
        return [value] if value else []
    return list(value)


def leaf_true(row: dict, field: str, op: str, value) -> bool:
    ftype = TYPES_BY_FIELD[field]
    if op == "<>":
        op = "!="
    if isinstance(value, bool) and op in ("in", "not in"):
        op = "=" if op == "in" else "!="
    if isinstance(value, list) and op in ("=", "!="):
        op = "in" if op == "=" else "not in"
    if field in ("id", "parent_id") and op in ("child_of", "parent_of"):
        ids = to_ids(value, active_only=True)
        ids = [i for i in ids if i]
        tree = descendants(ids) if op == "child_of" else ancestors(ids)
        return row["id"] in tree
    if ftype == "one2many":
        children = [r for r in ROWS if r["parent_id"] == row["id"]]
        if value is False:
            has = bool(children)
            return has if op in NEGATIVE else not has
        if isinstance(value, str):
            positive = NEGATION[op] if op in NEGATIVE else op
            targets = name_ids(positive, value, active_only=True)
        else:
            targets = {v for v in (value if isinstance(value, list) else [value]) if v}
        hit = any(c["id"] in targets for c in children)
        return not hit if op in NEGATIVE else hit
    if ftype == "many2one" and (isinstance(value, str) or (isinstance(value, list) and value
                                                            and all(isinstance(v, str) for v in value))):
        if op in ("<", ">", "<=", ">="):
            op = "in"
        if not isinstance(value, list) and op in ("in", "not in"):
            op = {"in": "=", "not in": "!="}[op]
        elif isinstance(value, list) and op in ("=", "!="):
            op = {"=": "in", "!=": "not in"}[op]
        ids = name_ids(op, value, active_only=False)
        if op in NEGATIVE:
            return row[field] in ids or row[field] is None
        return row[field] in ids
    current = row.get(field)
    if op == "=?":
        if value is False or value is None:
            return True
        op = "="
    if op in ("in", "not in"):
        if ftype == "boolean":
            wanted = [v for v in (True, False) if v in value]
            null_in = False in value
            hit = bool(current) in wanted if current is not None else False
        else:
            wanted = [v for v in value if v is not False and v is not None]
            null_in = len(wanted) < len(value)
            hit = current in wanted if current is not None else False
        if op == "in":
            return hit or (null_in and current is None)
        if null_in:
            return (not hit) and current is not None
        return (not hit) or current is None
    if ftype == "boolean" and op in ("=", "!=") and isinstance(value, bool):
        target = value if op == "=" else not value
        return bool(current) if target else not current
    if op == "=" and (value is False or value is None):
        return current is None
    if op == "!=" and (value is False or value is None):
        return current is not None
    if ftype == "datetime" and value and isinstance(value, str) and len(value) == 10:
        value = value + (" 23:59:59" if op in (">", "<=") else " 00:00:00")
    wildcard = op in ("like", "ilike", "not like", "not ilike")
    if op.endswith("like"):
        pattern = f"%{value}%" if wildcard else str(value)
        if current is None:
            hit = None
        else:
            text = current if isinstance(current, str) else str(current)
            hit = pattern_matches(text, pattern, ignore_case=op.endswith("ilike"))
        if op.startswith("not") and hit is not None:
            hit = not hit
    else:
        if current is None or value is None or value is False and ftype != "boolean":
            hit = None
        else:
            cmp_value = float(value) if ftype in ("float",) else value
            if ftype == "boolean":
                current, cmp_value = int(bool(current)), int(bool(value))
            hit = {"=": current == cmp_value, "!=": current != cmp_value, "<": current < cmp_value,
                   ">": current > cmp_value, "<=": current <= cmp_value, ">=": current >= cmp_value}[op]
    if (wildcard and not value) or (value and op in NEGATIVE):
        return bool(hit) or current is None
    return bool(hit)


def evaluate(domain: list, row: dict) -> bool:
    """Evaluate a normalised prefix domain, pushing '!' onto the operators as Odoo does."""
    tokens = list(domain)

    def parse(position: int, negate: bool):
        token = tokens[position]
        if token == "!":
            return parse(position + 1, not negate)
        if token in ("&", "|"):
            left, position = parse(position + 1, negate)
            right, position = parse(position, negate)
            use_and = (token == "&") != negate
            return (left and right) if use_and else (left or right), position
        field, op, value = token
        if (field, op, value) == (1, "=", 1):
            return (not negate), position + 1
        if (field, op, value) == (0, "=", 1):
            return negate, position + 1
        if negate:
            if op == "<>":
                op = "!="
            if isinstance(value, bool) and op in ("in", "not in"):
                op = "=" if op == "in" else "!="
            if isinstance(value, list) and op in ("=", "!="):
                op = "in" if op == "=" else "not in"
            if op in NEGATION:
                return leaf_true(row, field, NEGATION[op], value), position + 1
            # no negated operator: SQL NOT over the term, where a NULL comparison stays unknown
            unknown = row.get(field) is None and (op in ("=like", "=ilike") or (op == "=?" and value not in (False, None)))
            return (False if unknown else not leaf_true(row, field, op, value)), position + 1
        return leaf_true(row, field, op, value), position + 1

    result, end = parse(0, False)
    assert end == len(tokens)
    return result


def expected_ids(domain: list) -> list[int]:
    full = list(domain)
    if not any(isinstance(t, (list, tuple)) and t[0] == "active" for t in full):
        full = [("active", "=", True)] + full
    normalized = normalize_domain(full)
    return sorted(r["id"] for r in ROWS if evaluate(normalized, r))


# -- random domains ------------------------------------------------------------------------------

def _leaf_strategy():
    text_values = st.sampled_from(["az", "AZ", "é", "É", "%", "_", "", "50%", "Deco", "a\\b", "zz", "A1", "a1"])
    patterns = st.sampled_from(["A%", "a%", "%r", "D_co%", "%", "Élan%", "élan%", "A1", "_1"])
    ids = st.integers(min_value=0, max_value=45)
    id_lists = st.lists(st.one_of(ids, st.just(False)), max_size=4)

    char_leaf = st.one_of(
        st.tuples(st.sampled_from(["name", "ref"]),
                  st.sampled_from(["=", "!=", "like", "not like", "ilike", "not ilike", "<", ">", ">=", "<="]),
                  st.one_of(text_values, st.sampled_from(NAMES), st.just(False))),
        st.tuples(st.sampled_from(["name", "ref"]), st.sampled_from(["=like", "=ilike"]), patterns),
        st.tuples(st.sampled_from(["name", "ref", "type"]), st.sampled_from(["in", "not in"]),
                  st.lists(st.one_of(st.sampled_from(NAMES + REFS[1:] + TYPES[1:]), st.just(False)), max_size=3)),
        st.tuples(st.just("type"), st.sampled_from(["=", "!=", "=?"]),
                  st.one_of(st.sampled_from(TYPES[1:]), st.just(False))),
    )
    number_leaf = st.tuples(
        st.sampled_from(["color", "partner_latitude"]),
        st.sampled_from(["=", "!=", "<", ">", "<=", ">=", "<>"]),
        st.one_of(st.integers(-4, 11), st.sampled_from([0.1, 1.5, -2.25]), st.just(False)),
    )
    number_in = st.tuples(st.sampled_from(["color", "partner_latitude", "id"]), st.sampled_from(["in", "not in"]),
                          st.lists(st.one_of(st.integers(-3, 12), st.just(False)), max_size=4))
    bool_leaf = st.tuples(st.sampled_from(["is_company", "active"]), st.sampled_from(["=", "!=", "in", "not in"]),
                          st.one_of(st.booleans(), st.lists(st.booleans(), max_size=2)))
    date_leaf = st.tuples(st.just("date"), st.sampled_from(["=", "!=", "<", ">", "<=", ">="]),
                          st.one_of(st.sampled_from([d for d in DATES if d]), st.just(False)))
    datetime_leaf = st.tuples(st.just("write_date"), st.sampled_from(["=", "!=", "<", ">", "<=", ">="]),
                              st.sampled_from(["2026-01-01", "2025-12-31", "2026-02-15 10:30:00", False]))
    m2o_leaf = st.one_of(
        st.tuples(st.just("parent_id"), st.sampled_from(["=", "!="]), st.one_of(ids, st.just(False))),
        st.tuples(st.just("parent_id"), st.sampled_from(["in", "not in"]), id_lists),
        st.tuples(st.just("parent_id"), st.sampled_from(["ilike", "not ilike", "=", "!="]),
                  st.sampled_from(["azure", "Deco", "élan", "nobody"])),
    )
    hierarchy_leaf = st.tuples(st.sampled_from(["id", "parent_id"]), st.sampled_from(["child_of", "parent_of"]),
                               st.one_of(st.integers(1, 40), st.lists(st.integers(1, 40), max_size=3),
                                         st.sampled_from(["azure", "Deco"])))
    o2m_leaf = st.one_of(
        st.tuples(st.just("child_ids"), st.sampled_from(["=", "!="]), st.just(False)),
        st.tuples(st.just("child_ids"), st.sampled_from(["in", "not in"]), st.lists(st.integers(1, 40), max_size=3)),
        st.tuples(st.just("child_ids"), st.sampled_from(["ilike", "not ilike"]), st.sampled_from(["azure", "wood"])),
    )
    constant = st.sampled_from([(1, "=", 1), (0, "=", 1)])
    return st.one_of(char_leaf, number_leaf, number_in, bool_leaf, date_leaf, datetime_leaf, m2o_leaf,
                     hierarchy_leaf, o2m_leaf, constant)


def _domain_strategy():
    leaf = _leaf_strategy().map(list)
    tree = st.recursive(
        leaf.map(lambda l: [l]),
        lambda children: st.one_of(
            st.tuples(st.sampled_from(["&", "|"]), children, children).map(lambda t: [t[0], *t[1], *t[2]]),
            children.map(lambda c: ["!", *c]),
        ),
        max_leaves=6,
    )
    return st.lists(tree, min_size=0, max_size=3).map(lambda parts: [tok for part in parts for tok in part])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@pytest.mark.slow
@given(domain=_domain_strategy())
def test_random_domains_match_the_reference_evaluator(engine, domain):
    got = sorted(engine.search("res.partner", domain))
    assert got == expected_ids(domain), domain


# -- hand-written expectations -------------------------------------------------------------------

def ids_where(predicate, include_inactive=False):
    return sorted(r["id"] for r in ROWS if (r["active"] or include_inactive) and predicate(r))


def search(engine, domain, **kw):
    return sorted(engine.search("res.partner", domain, **kw))


def test_empty_domain_hides_archived_records(engine):
    assert search(engine, []) == ids_where(lambda r: True)
    assert search(engine, [], context={"active_test": False}) == list(range(1, 41))
    assert search(engine, [("active", "=", False)]) == sorted(r["id"] for r in ROWS if not r["active"])


def test_false_is_null(engine):
    assert search(engine, [("ref", "=", False)]) == ids_where(lambda r: r["ref"] is None)
    assert search(engine, [("ref", "!=", False)]) == ids_where(lambda r: r["ref"] is not None)
    # boolean fields: NULL counts as False
    assert search(engine, [("is_company", "=", False)]) == ids_where(lambda r: not r["is_company"])
    assert search(engine, [("is_company", "!=", True)]) == ids_where(lambda r: not r["is_company"])
    assert search(engine, [("type", "in", ["invoice", False])]) == ids_where(lambda r: r["type"] in ("invoice", None))
    assert search(engine, [("type", "not in", ["invoice", False])]) == ids_where(
        lambda r: r["type"] not in ("invoice", None))


def test_negative_operators_match_null(engine):
    assert search(engine, [("ref", "!=", "A1")]) == ids_where(lambda r: r["ref"] != "A1")
    assert search(engine, [("type", "not in", ["invoice"])]) == ids_where(lambda r: r["type"] != "invoice")
    assert search(engine, [("ref", "not ilike", "a")]) == ids_where(lambda r: r["ref"] is None or "a" not in r["ref"].lower())
    # '!' is pushed onto the operator, so it matches NULL like '!=' does
    assert search(engine, ["!", ("ref", "=", "A1")]) == search(engine, [("ref", "!=", "A1")])
    # ... and a negated comparison does not (NULL < x is unknown both ways)
    assert search(engine, ["!", ("color", "<", 2)]) == ids_where(lambda r: r["color"] is not None and r["color"] >= 2)


def test_like_family(engine):
    assert search(engine, [("name", "like", "Azure")]) == ids_where(lambda r: "Azure" in r["name"])
    assert search(engine, [("name", "ilike", "azure")]) == ids_where(lambda r: "azure" in r["name"].lower())
    assert search(engine, [("name", "ilike", "ÉLAN")]) == ids_where(lambda r: "élan" in r["name"].lower())
    assert search(engine, [("name", "=like", "A%")]) == ids_where(lambda r: r["name"].startswith("A"))
    assert search(engine, [("name", "=ilike", "a%")]) == ids_where(lambda r: r["name"].lower().startswith("a"))
    # '%' and '_' in a like value stay wildcards (Odoo does not escape them)
    assert search(engine, [("name", "like", "under_score")]) == ids_where(lambda r: "under" in r["name"])
    assert search(engine, [("name", "=like", "Gemini 50\\%%")]) == ids_where(lambda r: r["name"].startswith("Gemini 50%"))
    # like with an empty value also matches NULL
    assert search(engine, [("ref", "ilike", "")]) == ids_where(lambda r: True)


def test_comparisons_dates_and_datetimes(engine):
    assert search(engine, [("date", ">=", "2026-02-15")]) == ids_where(lambda r: (r["date"] or "") >= "2026-02-15")
    # a date-only value against a datetime field: '<=' means up to the end of that day
    assert search(engine, [("write_date", "<=", "2026-01-01")]) == ids_where(
        lambda r: r["write_date"] is not None and r["write_date"] <= "2026-01-01 23:59:59")
    assert search(engine, [("write_date", "<", "2026-01-01")]) == ids_where(
        lambda r: r["write_date"] is not None and r["write_date"] < "2026-01-01 00:00:00")
    assert search(engine, [("color", ">", 1), ("color", "<=", 5)]) == ids_where(
        lambda r: r["color"] is not None and 1 < r["color"] <= 5)
    assert search(engine, [("date", "<", False)]) == []


def test_in_and_constants(engine):
    assert search(engine, [("id", "in", [])]) == []
    assert search(engine, [("id", "not in", [])]) == ids_where(lambda r: True)
    assert search(engine, [("id", "in", [3, 5, 999])]) == ids_where(lambda r: r["id"] in (3, 5))
    assert search(engine, [(1, "=", 1)]) == ids_where(lambda r: True)
    assert search(engine, [(0, "=", 1)]) == []
    assert search(engine, [("type", "=?", False)]) == ids_where(lambda r: True)
    assert search(engine, [("type", "=?", "invoice")]) == ids_where(lambda r: r["type"] == "invoice")
    big = list(range(5000))
    assert search(engine, [("id", "in", big)]) == ids_where(lambda r: True)


def test_prefix_operators(engine):
    domain = ["|", ("color", "=", 1), "&", ("color", "=", 2), ("is_company", "=", True)]
    assert search(engine, domain) == ids_where(lambda r: r["color"] == 1 or (r["color"] == 2 and r["is_company"]))
    assert normalize_domain([("a", "=", 1), ("b", "=", 2)]) == ["&", ("a", "=", 1), ("b", "=", 2)]
    assert normalize_domain([]) == [(1, "=", 1)]
    with pytest.raises(PythonError):
        normalize_domain(["&", ("a", "=", 1)])


def test_many2one_by_name_and_hierarchy(engine):
    azure = {r["id"] for r in ROWS if "azure" in r["complete_name"].lower()}
    assert search(engine, [("parent_id", "ilike", "azure")]) == ids_where(lambda r: r["parent_id"] in azure)
    assert search(engine, [("parent_id", "not ilike", "azure")]) == ids_where(
        lambda r: r["parent_id"] is None or r["parent_id"] not in azure)
    root = next(r["id"] for r in ROWS if any(c["parent_id"] == r["id"] for c in ROWS))
    assert search(engine, [("id", "child_of", root)]) == ids_where(lambda r: r["id"] in descendants([root]))
    leaf = max(r["id"] for r in ROWS if r["parent_id"])
    assert search(engine, [("id", "parent_of", leaf)]) == ids_where(lambda r: r["id"] in ancestors([leaf]))
    assert search(engine, [("parent_id", "child_of", [])]) == []


def test_dotted_paths_and_x2many(engine):
    with_children = {r["parent_id"] for r in ROWS if r["parent_id"] and r["active"]}
    assert search(engine, [("child_ids", "!=", False)]) == ids_where(
        lambda r: any(c["parent_id"] == r["id"] for c in ROWS))
    assert search(engine, [("child_ids", "=", False)]) == ids_where(
        lambda r: not any(c["parent_id"] == r["id"] for c in ROWS))
    # "some (active) child has color 5"
    expected = ids_where(lambda r: any(c["parent_id"] == r["id"] and c["active"] and c["color"] == 5 for c in ROWS))
    assert search(engine, [("child_ids.color", "=", 5)]) == expected
    # many2one path: the parent's name, regardless of the parent being archived
    assert search(engine, [("parent_id.name", "ilike", "deco")]) == ids_where(
        lambda r: r["parent_id"] is not None and "deco" in BY_ID[r["parent_id"]]["name"].lower())
    assert with_children  # the data has a hierarchy at all


def test_errors_are_odoos(engine):
    with pytest.raises(PythonError) as err:
        engine.search("res.partner", [("nonexistent_field", "=", 1)])
    assert err.value.odoo_name == "builtins.ValueError"
    assert err.value.message == "Invalid field res.partner.nonexistent_field in leaf ('nonexistent_field', '=', 1)"
    with pytest.raises(PythonError) as err:
        engine.search("res.partner", [("parent_id.nope", "=", 1)])
    assert err.value.message == "Invalid field res.partner.nope in leaf ('nope', '=', 1)"
    with pytest.raises(PythonError) as err:
        engine.search("res.partner", [("name", "equals", 1)])
    assert err.value.message == "Invalid leaf ('name', 'equals', 1)"
    with pytest.raises(UserError) as err:
        engine.search("no.such.model", [])
    assert err.value.message == "Object no.such.model doesn't exist"


def test_compile_domain_for_other_queries(engine):
    sql, params = compile_domain(engine.store, "res.partner", [("color", "=", 5)])
    rows = engine.store.conn.execute(f'SELECT id FROM "res_partner" WHERE {sql} ORDER BY id', params).fetchall()
    assert [r[0] for r in rows] == ids_where(lambda r: r["color"] == 5)
    sql, params = compile_domain(engine.store, "res.partner", [], context={"active_test": False})
    assert engine.store.conn.execute(f'SELECT COUNT(*) FROM "res_partner" WHERE {sql}', params).fetchone()[0] == 40
