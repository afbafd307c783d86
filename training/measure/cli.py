"""``python -m training measure RECORD... [--json] [--csv OUT]`` and ``measure-eval``.

One record: the cart's first line (or, with ``--json``, exactly one JSON object: record, fs, beats,
global, leads, quality). Several: one line (or JSON object per line) each; ``--csv`` writes one row per
record with a progress bar, and a record that cannot be read gets its reason in the ``error`` column
instead of stopping the batch.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
#: Fold networks of the out-of-fold evaluation (not shipped) and the network ``measure`` can use.
NETWORK_CACHE = "runs/delineator-cv"
DEFAULT_NETWORK = "resources/models/delineation/ludb_unet1d_delineator"
CSV_FIELDS = ("record", "path", "fs", "n_beats", "n_ventricular", "hr_bpm", "rr_ms", "rr_sd_ms", "p_ms", "pr_ms",
              "qrs_ms", "qt_ms", "qtc_bazett_ms", "qtc_fridericia_ms", "qtc_framingham_ms", "qtc_hodges_ms",
              "p_axis_deg", "qrs_axis_deg", "t_axis_deg", "p_waves", "paced", "limb_reversal_suspected", "excluded_leads",
              "refused", "error")


def cart_line(m) -> str:
    """``HR 72 bpm · PR 160 ms · QRS 92 ms · QT/QTc 380/417 ms · P/QRS/T axes 45/30/40°`` (— if missing)."""
    g = m.global_

    def v(key: str) -> str:
        value = g.get(key)
        return "—" if value is None else f"{value:.0f}"
    if m.quality.get("refused"):
        return f"not measured: {m.quality['refused']}"
    return (f"HR {v('hr_bpm')} bpm · PR {v('pr_ms')} ms · P {v('p_ms')} ms · QRS {v('qrs_ms')} ms · "
            f"QT/QTc(Bazett) {v('qt_ms')}/{v('qtc_bazett_ms')} ms · P/QRS/T axes {v('p_axis_deg')}/"
            f"{v('qrs_axis_deg')}/{v('t_axis_deg')}°"
            + (" · paced rhythm: QRS, QT and axes not comparable" if m.quality.get("paced") else ""))


def csv_row(path: str, m=None, error: str = "") -> dict[str, object]:
    row: dict[str, object] = {"path": path, "record": Path(path).stem, "error": error}
    if m is not None:
        d = m.to_dict()
        q = d["quality"]
        row.update(d["global"])
        row.update({"record": m.record, "fs": m.fs, "n_beats": m.n_beats, "n_ventricular": q.get("n_ventricular"),
                    "p_waves": q.get("p_waves"), "paced": q.get("paced"), "limb_reversal_suspected": q.get("limb_reversal_suspected"),
                    "excluded_leads": ";".join(f"{k}:{v}" for k, v in q.get("excluded_leads", {}).items()),
                    "refused": q.get("refused") or ""})
    return {k: ("" if row.get(k) is None else row.get(k)) for k in CSV_FIELDS}


def cmd_measure(args: argparse.Namespace, emit) -> int:
    from training.data import read_record
    from training.errors import ECGError
    from training.measure import measure

    if len(args.records) == 1 and not args.csv:
        m = measure(read_record(args.records[0]))  # a read error ends the command (exit 2)
        print(json.dumps(m.to_dict()) if args.json else f"{m.record}: {cart_line(m)}")
        return 0
    rows = []
    bar = None
    if args.csv:
        from tqdm import tqdm
        bar = tqdm(total=len(args.records), unit="record", desc="measure", file=sys.stderr,
                   disable=not sys.stderr.isatty() and args.progress != "tqdm")
    for path in args.records:
        try:
            m = measure(read_record(path))
            rows.append(csv_row(path, m))
            if not args.csv:
                print(json.dumps(m.to_dict()) if args.json else f"{m.record}: {cart_line(m)}", flush=True)
        except ECGError as exc:
            rows.append(csv_row(path, error=str(exc).splitlines()[0]))
            print(f"error: {exc}", file=sys.stderr)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if args.csv:
        from training.atomic import atomic_write
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write({Path(args.csv): buffer.getvalue().encode("utf-8")})
        failed = sum(1 for r in rows if r["error"])
        print(f"wrote {args.csv} ({len(rows)} record(s), {failed} unreadable)", file=sys.stderr)
    return 0


def cmd_measure_eval(args: argparse.Namespace, emit) -> int:
    from training.errors import DatasetError
    from training.measure.evaluate import run

    ludb, formats = Path(args.ludb), Path(args.formats)
    if not (ludb / "data").is_dir():
        raise DatasetError(ludb, "no LUDB data/ folder here")
    command = "python -m training measure-eval" + (" --quick" if args.quick else "")
    networks = None if args.rules_only else Path(args.networks)
    out = run(ludb, formats, Path(args.out), command + (" --rules-only" if args.rules_only else ""),
              quick=args.quick, networks_dir=networks)
    print(f"wrote {out}")
    return 0


def cmd_measure_train(args: argparse.Namespace, emit) -> int:
    """Train the fold networks (cached) and the final delineator network on all LUDB records."""
    from training.errors import DatasetError
    from training.measure.evaluate import load_ludb
    from training.measure.train_net import example, final_network, fold_networks, median_best_epoch

    ludb = Path(args.ludb)
    if not (ludb / "data").is_dir():
        raise DatasetError(ludb, "no LUDB data/ folder here")

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)
    examples = [example(c.record, c.reference) for c in load_ludb(ludb)]
    networks = fold_networks(examples, Path(args.cache), progress=say)
    epochs = median_best_epoch(networks)
    best = {f"fold{k}": seg.card.metrics["best_epoch"] for k, seg in networks.items()}
    say(f"final network: all {len(examples)} records, {epochs} epochs (median of the folds' best: {best})")
    out = final_network(examples, Path(args.out), epochs, extra={"fold_best_epochs": best}, progress=say)
    print(f"wrote {out}.json")
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("measure", parents=[common], help="intervals, QTc, axes and amplitudes of ECG records")
    p.add_argument("records", nargs="+", help="record files (.hea, .dat, .mat...)")
    p.add_argument("--json", action="store_true", help="one JSON object per record (beats, global, quality)")
    p.add_argument("--csv", help="write one row per record to this CSV (with a progress bar)")
    p.set_defaults(run=cmd_measure)
    p = sub.add_parser("measure-eval", parents=[common],
                       help="score measurements against LUDB cardiologists and MIT-BIH; write docs/MEASUREMENTS.md")
    p.add_argument("--ludb", default=str(SHARED / "ludb"))
    p.add_argument("--formats", default=str(SHARED / "formats"))
    p.add_argument("--out", default="docs/MEASUREMENTS.md")
    p.add_argument("--quick", action="store_true", help="every 8th LUDB record (a smoke test, not the report)")
    p.add_argument("--networks", default=NETWORK_CACHE,
                   help="folder of the per-fold delineator networks (trained there when missing)")
    p.add_argument("--rules-only", action="store_true", help="score the rule delineator alone (no torch)")
    p.set_defaults(run=cmd_measure_eval)
    p = sub.add_parser("measure-train", parents=[common],
                       help="train the delineator network on LUDB (per fold for measure-eval, then on all records)")
    p.add_argument("--ludb", default=str(SHARED / "ludb"))
    p.add_argument("--cache", default=NETWORK_CACHE, help="folder of the per-fold networks")
    p.add_argument("--out", default=DEFAULT_NETWORK, help="model file (stem) of the final network")
    p.set_defaults(run=cmd_measure_train)
