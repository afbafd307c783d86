"""``python -m training calibrate``: the parser stays light (``--help`` must not load scipy or pandas);
the fitting in :mod:`training.calibrate` loads when the command runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("calibrate", parents=[common], help="fit per-class calibration on the validation split")
    p.add_argument("--model", required=True, help="model file (name, .safetensors or .json)")
    p.add_argument("--method", choices=("platt", "temperature"), default="platt")
    p.add_argument("--out", help="write the calibrated model here (default: rewrite the card in place)")
    p.add_argument("--external", action="append", default=[], metavar="SOURCE=FOLDER",
                   help="also assess on another source mapped to the model's classes: cpsc2018=..., ludb=...")
    p.add_argument("--plot", help="reliability diagram PNG to write")
    p.add_argument("--results", help="Markdown page whose 'calibration' section to rewrite (docs/RESULTS.md)")
    p.set_defaults(run=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace, emit) -> int:
    from training.calibrate import calibrate_model, markdown
    from training.errors import ConfigError
    from training.probability import describe
    external = []
    for item in args.external:
        source, sep, folder = item.partition("=")
        if not sep:
            raise ConfigError("--external", f"use SOURCE=FOLDER, got {item!r}")
        external.append((source, folder))
    card, weights, _ = calibrate_model(args.model, args.method, args.out, external, args.plot, args.device or "auto")
    print(f"calibrated model: {weights}")
    print(describe(card.calibration))
    for source, block in card.calibration["assessment"].items():
        cells = ", ".join(f"{c} {m['ece_uncalibrated']['value']:.3f}→{m['ece']['value']:.3f}"
                          for c, m in block["per_class"].items())
        print(f"  ECE raw→calibrated, {block['data']}: {cells}")
    if args.results:
        from training.docsections import write_section
        command = "python -m training " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("__main__.py") else \
            "python -m training calibrate"
        png = None
        if args.plot:
            png = Path(os.path.relpath(Path(args.plot).resolve(), Path(args.results).resolve().parent)).as_posix()
        write_section(args.results, "calibration", markdown(card, Path(args.model).name, command, png))
        print(f"wrote {args.results}")
    return 0
