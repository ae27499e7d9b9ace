"""The embedding model on onnxruntime beside sentence-transformers: agreement, load time and speed.

Usage: ``python benchmarks/bench_embeddings.py [--no-doc]`` (the sentence-transformers rows need the
``reference`` extra: CPU torch and sentence-transformers; without it only ledgerpilot's runtime is timed).

On the 1,000 texts of the parity corpus (tests/fixtures/embedding_parity): the cosine of ledgerpilot's
vectors with sentence-transformers' in float32 and in bfloat16 (computed now, not the stored reference),
worst and mean; the time to load the model in a new process; the time to encode the corpus (warm, best
of 3) and one short question. Each implementation is timed in its own child process.
Results go to the "Embedding model" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

CORPUS = ROOT / "tests" / "fixtures" / "embedding_parity" / "sentences.json"

CHILD = r"""
import json, sys, time
started = time.perf_counter()
kind = sys.argv[1]
texts = json.loads(open(sys.argv[2], encoding="utf-8").read())
if kind == "onnxruntime":
    from ledgerpilot.memory.embeddings import load_embedder
    model = load_embedder()
    encode = model.encode
else:
    import numpy as np, torch
    from sentence_transformers import SentenceTransformer
    from ledgerpilot.memory.embeddings import model_folder
    st = SentenceTransformer(str(model_folder()), device="cpu", local_files_only=True)
    st.eval()
    if kind == "bfloat16":
        st = st.to(torch.bfloat16)
    def encode(batch):
        out = np.asarray(st.encode(batch, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
encode(["warm up"])
load = time.perf_counter() - started
import numpy as np
best = None
for _ in range(3):
    t = time.perf_counter(); vectors = encode(texts); seconds = time.perf_counter() - t
    best = seconds if best is None else min(best, seconds)
t = time.perf_counter()
for _ in range(20):
    encode(["How much cash do we have?"])
one = (time.perf_counter() - t) / 20
np.save(sys.argv[3], vectors)
print(json.dumps({"load": load, "corpus": best, "one": one}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    import numpy as np

    texts = json.loads(CORPUS.read_text(encoding="utf-8"))
    load = os.getloadavg()[0]
    results, vectors = {}, {}
    for kind in ("onnxruntime", "float32", "bfloat16"):
        out = ROOT / "benchmarks" / ".data" / f"embeddings-{kind}.npy"
        out.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-c", CHILD, kind, str(CORPUS), str(out)], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            if kind == "onnxruntime":
                raise SystemExit(done.stderr[-2000:])
            print(f"{kind}: sentence-transformers not available ({done.stderr.strip().splitlines()[-1][:200]})")
            continue
        results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
        vectors[kind] = np.load(out)
        print(kind, results[kind])

    rows = []
    names = {"onnxruntime": "ledgerpilot: onnxruntime, float32 (no torch)",
             "float32": "sentence-transformers on torch, float32", "bfloat16": "sentence-transformers on torch, bfloat16"}
    for kind, timing in results.items():
        if kind == "onnxruntime":
            agreement = "itself"
        else:
            cosines = np.sum(vectors["onnxruntime"] * vectors[kind], axis=1)
            agreement = f"worst {cosines.min():.7f}, mean {cosines.mean():.7f}"
        rows.append(f"| {names[kind]} | {agreement} | {timing['load']:.2f} s | {timing['corpus']:.2f} s "
                    f"({len(texts) / timing['corpus']:.0f} texts/s) | {timing['one'] * 1000:.1f} ms |")
    body = f"""
Machine: {machine_description()}; load average {load:.1f} when the benchmark started (other work on the
same cores slows every step in proportion).

Command: `python benchmarks/bench_embeddings.py` (the {len(texts):,} texts of
tests/fixtures/embedding_parity; each implementation in its own process; load = import, model load and a
first encode; corpus = best of 3 warm passes, batches of 64 sorted by length; one question = mean of 20).

| implementation | cosine with ledgerpilot's vectors | load | the corpus | one question |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

The parity test (tests/memory/test_embedding_parity.py) holds every vector to a cosine of at least 0.999
with both sentence-transformers references; the first score, before anything was tuned: worst 0.9999998
against float32, 0.9998237 against bfloat16 (the same as float32 against bfloat16 within
sentence-transformers itself).
"""
    if not args.no_doc:
        update_section("Embedding model", body)
    print(body)


if __name__ == "__main__":
    main()
