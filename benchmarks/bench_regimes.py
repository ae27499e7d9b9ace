"""Every quality eval on several regimes and seeds of the demo company: mean and worst case.

Usage: ``python benchmarks/bench_regimes.py --seeds 11 --label "first score" [--regimes ...] [--scale 1]
[--section TITLE] [--json FILE] [--no-doc]``

For each regime and seed, the demo company is built (``benchmarks/.data/``, reused when present)
with its injected anomalies, and once more as a clean book (the same company, no anomaly planted);
each is served by the sandbox and read through the gateway as from a real Odoo. Then:

- payment delays: the walk-forward evaluation (``ledgerpilot.evals.payment_delays``): MAE of the
  model and of both spreadsheet baselines (paid on the due date; the partner's running mean);
- cash backtest: WAPE of the weekly net flow of every forecast variant over 10 monthly cuts;
- anomalies: top-2K recall and precision above the threshold (``ledgerpilot.evals.anomalies``),
  the alerts on the clean book (all false by construction), and what the unsupervised score adds:
  AUC-PR and top-2K entry recall of the combined risk against the rules alone, on the injected
  anomalies and on the novel kinds no rule looks for;
- close checks: recall and false share (``ledgerpilot.evals.close_checks``);
- reconciliation: precision of the high-confidence proposals, coverage, unverified proposals
  (``ledgerpilot.evals.reconciliation``, last 6 months).

Truth always comes from the generator's ground truth or the books it wrote, never from the tool
being scored. Results go to the JSON file and to the section ``--section`` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from report import machine_description, update_section

from ledgerpilot.evals.anomalies import defect_records
from ledgerpilot.sandbox.generator import REGIMES, build_demo_company, load_ground_truth
from ledgerpilot.sandbox.store import database_path

TODAY = dt.date(2026, 11, 18)
DATA = ROOT / "benchmarks" / ".data"


def demo(regime: str, seed: int, scale: float, clean: bool = False) -> Path:
    folder = DATA / f"regime-{regime}-seed{seed}-scale{scale:g}{'-clean' if clean else ''}"
    if not database_path(folder).exists():
        build_demo_company(folder, seed=seed, scale=scale, today=TODAY, regime=regime, inject_anomalies=not clean)
    return folder


def _ranked_recall(labels: np.ndarray, scores: np.ndarray, cases: int) -> float:
    """Share of the labelled entries among the 2 x ``cases`` entries of highest score."""
    if not labels.any():
        return float("nan")
    top = np.argsort(-scores, kind="stable")[:2 * cases]
    return float(labels[top].sum() / labels.sum())


def _anomaly_scores(client, folder: Path) -> dict:
    from ledgerpilot.calc.anomalies.config import AnomalyConfig
    from ledgerpilot.calc.anomalies.scan import run_scan
    from ledgerpilot.calc.anomalies.scoring import EntryLinks
    from ledgerpilot.domain.proposal import RecordRef
    from ledgerpilot.evals.anomalies import average_precision, labelled_records, score_anomaly_scan
    from ledgerpilot.tools.anomalies.data import load_anomaly_data

    truth = load_ground_truth(folder)
    data = load_anomaly_data(client, today=TODAY)
    result = run_scan(data, AnomalyConfig())
    score = score_anomaly_scan(truth, result, data)
    links = EntryLinks(data)
    table = result.entry_scores

    def entries(cases) -> np.ndarray:
        moves = set()
        for case in cases:
            for model, record_id in labelled_records(case):
                moves.update(links.moves_of(RecordRef(model=model, id=record_id)))
        return table["move_id"].isin(moves).to_numpy()

    out = {"top_recall": score.top_recall, "found": score.found, "k": score.k,
           "precision": score.precision, "above": score.above_threshold, "true_above": score.true_above_threshold,
           "false_above": score.false_above_threshold, "missed": [m.kind for m in score.missed],
           "defects_above": getattr(score, "defects_above_threshold", []),
           "look_alikes_flagged": score.look_alikes_flagged}
    # with the unsupervised score (until it was removed) the table had "isolation" and a combined "risk"
    columns = [c for c in ("risk", "rule_score", "isolation") if c in table.columns]
    for name, cases in (("injected", truth.anomalies), ("novel", truth.novel_anomalies)):
        labels = entries(cases)
        if not labels.any():
            continue
        for column in columns:
            values = table[column].to_numpy(dtype="float64")
            out[f"ap_{name}_{column}"] = average_precision(labels, values)
            out[f"top_{name}_{column}"] = _ranked_recall(labels, values, len(cases))
    return out


def _clean_alerts(client, folder: Path) -> dict:
    """Alerts on the clean book: every one is false, except those citing a planted close defect."""
    from ledgerpilot.calc.anomalies.config import AnomalyConfig
    from ledgerpilot.calc.anomalies.scan import run_scan
    from ledgerpilot.tools.anomalies.data import load_anomaly_data

    data = load_anomaly_data(client, today=TODAY)
    defects = defect_records(load_ground_truth(folder), data)
    result = run_scan(data, AnomalyConfig())
    alerts = [a for a in result.above_threshold
              if not any((r.model, r.id) in defects for r in a.anomaly.records)]
    return {"alerts": len(alerts), "entries": len(data.moves),
            "defect_alerts": len(result.above_threshold) - len(alerts),
            "titles": [f"{a.detector}: {a.anomaly.title}" for a in alerts]}


def evaluate(regime: str, seed: int, scale: float) -> dict:
    from ledgerpilot.calc.cash.forecast.backtest import backtest, default_cuts
    from ledgerpilot.calc.cash.forecast.params import ForecastParams
    from ledgerpilot.evals.close_checks import evaluate_close_checks
    from ledgerpilot.evals.payment_delays import evaluate_on_history
    from ledgerpilot.evals.reconciliation import score_reconciliation
    from ledgerpilot.odoo import connect
    from ledgerpilot.sandbox.demo import demo_connection
    from ledgerpilot.sandbox.server.runner import running_sandbox
    from ledgerpilot.tools.cash.history import load_cash_history

    started = time.perf_counter()
    folder = demo(regime, seed, scale)
    truth = load_ground_truth(folder)
    row: dict = {"regime": regime, "seed": seed, "scale": scale, "stats": truth.stats,
                 "customers": len(truth.customers), "journal_items": truth.counts.get("account.move.line", 0)}
    with running_sandbox(folder) as handle, connect(demo_connection(handle.url, "readonly")) as client:
        history = load_cash_history(client, today=TODAY)
        delays = evaluate_on_history(history, TODAY)
        row["delays"] = {m.method: m.mae_days for m in delays.methods} | {"invoices": delays.invoices}
        result = backtest(history, default_cuts(TODAY, months=12, weeks=13), ForecastParams())
        row["backtest"] = {m.variant: m.wape for m in result.variants} | {
            "coverage": result.metrics("model").band_coverage}
        row["anomalies"] = _anomaly_scores(client, folder)
        close, _ = evaluate_close_checks(client, folder)
        row["close"] = {"recall": close.recall, "false_share": close.false_share, "findings": close.findings,
                        "missed": [d.kind for d in close.missed], "false": close.false_findings}
        recon = score_reconciliation(client, folder, months=6)
        row["reconciliation"] = {"precision": recon.precision, "coverage": recon.coverage, "high": recon.high,
                                 "correct": recon.correct, "wrong": recon.wrong, "unverified": recon.unverified,
                                 "precision_counting_unverified": recon.correct / recon.high if recon.high else None,
                                 "precision_all": getattr(recon, "precision_all", None)}
    with running_sandbox(demo(regime, seed, scale, clean=True)) as handle, \
            connect(demo_connection(handle.url, "readonly")) as client:
        row["clean"] = _clean_alerts(client, demo(regime, seed, scale, clean=True))
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def _fmt(value, digits: int = 2, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{value:.0%}" if pct else f"{value:.{digits}f}"


def _summary(rows: list[dict], get, worst) -> tuple[float, float]:
    values = [v for v in (get(r) for r in rows) if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if not values:
        return float("nan"), float("nan")
    return float(np.mean(values)), float(worst(values))


def render(rows: list[dict], label: str, command: str) -> str:
    header = ["| measure | " + " | ".join(f"{r['regime']} s{r['seed']}" for r in rows) + " | mean | worst |",
              "| --- |" + " --- |" * (len(rows) + 2)]
    lines = list(header)

    def add(name: str, get, worst=max, digits: int = 2, pct: bool = False) -> None:
        mean, bad = _summary(rows, get, worst)
        lines.append(f"| {name} | " + " | ".join(_fmt(get(r), digits, pct) for r in rows)
                     + f" | {_fmt(mean, digits, pct)} | {_fmt(bad, digits, pct)} |")

    add("delay MAE, model (days)", lambda r: r["delays"]["model"])
    add("delay MAE, paid on the due date", lambda r: r["delays"]["due_date"])
    add("delay MAE, partner's running mean", lambda r: r["delays"]["running_mean"])
    add("delay MAE, model minus best baseline", lambda r: r["delays"]["model"] - min(
        r["delays"]["due_date"], r["delays"]["running_mean"]))
    for variant in rows[0]["backtest"]:
        if variant == "coverage":
            continue
        add(f"backtest WAPE, {variant}", lambda r, v=variant: r["backtest"].get(v), digits=3)
    add("backtest: model WAPE below due dates", lambda r: 1 - r["backtest"]["model"] / r["backtest"]["due_date"],
        worst=min, pct=True)
    if "due_date_recurring" in rows[0]["backtest"]:
        add("backtest: model WAPE below due dates + orders + recurring + run-rate (the delay model's own gain)",
            lambda r: 1 - r["backtest"]["model"] / r["backtest"]["due_date_recurring"], worst=min, pct=True)
    add("backtest P10-P90 coverage", lambda r: r["backtest"]["coverage"], worst=min, pct=True)
    add("anomalies: top-2K recall", lambda r: r["anomalies"]["top_recall"], worst=min, pct=True)
    add("anomalies: precision above threshold", lambda r: r["anomalies"]["precision"], worst=min, pct=True)
    add("anomalies: false alerts on the clean book", lambda r: r["clean"]["alerts"], digits=0)
    add("anomalies: false clean-book alerts / alerts with anomalies", lambda r: r["clean"]["alerts"] / max(
        r["anomalies"]["above"], 1), pct=True)
    add("anomalies: false share of the clean book's alerts", lambda r: r["clean"]["alerts"] / max(
        r["clean"]["alerts"] + r["clean"].get("defect_alerts", 0), 1), pct=True)
    for name in ("injected", "novel"):
        for column in ("risk", "rule_score", "isolation"):
            key = f"ap_{name}_{column}"
            if key in rows[0]["anomalies"]:
                add(f"AUC-PR {name}, {column}", lambda r, k=key: r["anomalies"].get(k), worst=min, digits=3)
        for column in ("risk", "rule_score", "isolation"):
            key = f"top_{name}_{column}"
            if key in rows[0]["anomalies"]:
                add(f"top-2K entry recall {name}, {column}", lambda r, k=key: r["anomalies"].get(k), worst=min,
                    pct=True)
    add("close checks: recall", lambda r: r["close"]["recall"], worst=min, pct=True)
    add("close checks: false share", lambda r: r["close"]["false_share"], pct=True)
    add("reconciliation: high-confidence precision", lambda r: r["reconciliation"]["precision"], worst=min,
        digits=4)
    add("reconciliation: precision of every high proposal (unverified as not correct)",
        lambda r: r["reconciliation"].get("precision_all"), worst=min, digits=4)
    add("reconciliation: unverified high proposals", lambda r: r["reconciliation"]["unverified"], digits=0)
    add("reconciliation: coverage", lambda r: r["reconciliation"]["coverage"], worst=min, pct=True)
    add("bank labels naming the invoice", lambda r: r["stats"].get("customer_transfers_naming_the_invoice", 0) / max(
        r["stats"].get("customer_transfers", 1), 1), pct=True)
    details = []
    for r in rows:
        false = r["anomalies"]["false_above"]
        clean = r["clean"]["titles"]
        details.append(f"- {r['regime']} seed {r['seed']}: missed anomalies {r['anomalies']['missed'] or 'none'}; "
                       f"false alerts {len(false)}"
                       + (f" ({'; '.join(sorted(set(false))[:6])})" if false else "")
                       + f"; clean-book alerts {len(clean)}" + (f" ({'; '.join(sorted(set(clean))[:6])})" if clean else "")
                       + f"; close missed {r['close']['missed'] or 'none'}; reconciliation wrong "
                       f"{r['reconciliation']['wrong']}")
    return (f"Machine: {machine_description()}\n\nCommand: `{command}` ({label}; scale {rows[0]['scale']:g}, today "
            f"{TODAY}; each company served by the sandbox and read through the gateway).\n\n"
            + "\n".join(lines) + "\n\n" + "\n".join(details) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[11])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--label", default="")
    parser.add_argument("--section", default="Quality across regimes")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--render", type=Path, default=None, help="only render the results saved in this JSON file")
    args = parser.parse_args()
    if args.render is not None:
        rows = json.loads(args.render.read_text())
        command = ("python benchmarks/bench_regimes.py --regimes " + " ".join(dict.fromkeys(r["regime"] for r in rows))
                   + " --seeds " + " ".join(map(str, dict.fromkeys(r["seed"] for r in rows)))
                   + f" --scale {rows[0]['scale']:g}")
        text = render(rows, args.label or "regimes", command)
        print(text)
        if not args.no_doc:
            update_section(args.section, text)
        return
    rows = []
    for regime in args.regimes:
        for seed in args.seeds:
            row = evaluate(regime, seed, args.scale)
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("regime", "seed", "delays", "backtest", "seconds")}), flush=True)
            print("  anomalies", {k: v for k, v in row["anomalies"].items() if k not in ("false_above",)}, flush=True)
            print("  clean", row["clean"]["alerts"], "close", row["close"]["recall"], row["close"]["false_share"],
                  "recon", row["reconciliation"], flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1, default=str) + "\n")
    command = ("python benchmarks/bench_regimes.py --regimes " + " ".join(args.regimes) + " --seeds "
               + " ".join(map(str, args.seeds)) + f" --scale {args.scale:g}")
    text = render(rows, args.label or "regimes", command)
    print(text)
    if not args.no_doc:
        update_section(args.section, text)


if __name__ == "__main__":
    main()
