"""Write a cohort comparison as CSV (numbers) and HTML (tables + ROC plot), and draw the ROC plot.

matplotlib renders with the Agg backend so this works headless (CLI, CI) and inside the app.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from training.clinical.cohort import CohortComparison  # noqa: E402
from training.clinical.stats import METRICS  # noqa: E402

COLUMNS = (*METRICS, "auc")


def roc_figure(comparison: CohortComparison):
    """The model's ROC curve with each rule's operating point."""
    fig, ax = plt.subplots(figsize=(5.5, 5), dpi=110)
    fpr, tpr, _ = comparison.roc
    if len(fpr):
        model_auc = comparison.rows[0].metrics["auc"]
        ax.plot(fpr, tpr, color="#1f4e79", lw=2, label=f"model (AUC {model_auc.value:.3f})")
    for name, (s_fpr, s_tpr, _) in comparison.score_rocs.items():
        ax.plot(s_fpr, s_tpr, color="#b35c00", lw=1.5, label=name)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="chance")
    markers = iter("osD^vP*X")
    for row in comparison.rows:
        if row.name.startswith("Model @ ") and row is not comparison.rows[0]:
            continue
        sens, spec = row.metrics["sensitivity"].value, row.metrics["specificity"].value
        ax.plot(1 - spec, sens, next(markers), ms=8, label=row.name)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    title = f"{comparison.class_name}: model vs clinical rules (n={len(comparison.cohort.outcome)})"
    if comparison.cohort.synthetic:
        title = "SYNTHETIC DEMO COHORT — " + title
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def write_csv(comparison: CohortComparison, path: Path) -> None:
    rows = [["strategy", "description"] + [f"{c}{s}" for c in COLUMNS for s in ("", "_low", "_high")]]
    for row in comparison.rows:
        rows.append([row.name, row.description] + [f"{getattr(row.metrics[c], a):.4f}" for c in COLUMNS
                                                   for a in ("value", "low", "high")])
    _atomic(path, lambda fh: csv.writer(fh).writerows(rows))


def write_html(comparison: CohortComparison, path: Path) -> None:
    fig = roc_figure(comparison)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode()
    esc = html.escape
    banner = ("<p class='synthetic'>SYNTHETIC DEMO COHORT: criteria and outcomes are simulated; "
              "no clinical conclusion may be drawn.</p>") if comparison.cohort.synthetic else ""
    head = "".join(f"<th>{esc(c)}</th>" for c in ("strategy", "description", *COLUMNS))
    body = "".join("<tr>" + f"<td>{esc(r.name)}</td><td>{esc(r.description)}</td>"
                   + "".join(f"<td>{esc(str(r.metrics[c]))}</td>" for c in COLUMNS) + "</tr>" for r in comparison.rows)
    mc = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{t.b}</td><td>{t.c}</td><td>{t.p_value:.4f}</td>"
                 f"<td>{esc(t.method)}</td></tr>" for (a, b), t in comparison.mcnemar.items())
    au = "".join(f"<tr><td>{esc(n)}</td><td>{d.difference:+.3f}</td><td>{d.low:+.3f} to {d.high:+.3f}</td>"
                 f"<td>{d.p_value:.4f}</td><td>{d.delong_low:+.3f} to {d.delong_high:+.3f}</td>"
                 f"<td>{d.delong_p:.4f}</td></tr>" for n, d in comparison.auc_tests.items())
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>Cohort comparison</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px}}.synthetic{{background:#fde2e2;padding:8px;font-weight:bold}}</style>
</head><body><h1>{esc(comparison.class_name)}: model vs Wells, PEGeD, YEARS</h1>{banner}
<p>Cohort: {esc(str(comparison.cohort.path))} — {len(comparison.cohort.outcome)} patients,
{int(comparison.cohort.outcome.sum())} with PE confirmed. 95 % intervals: exact (Clopper-Pearson) for
sensitivity, specificity, PPV, NPV and accuracy; percentile bootstrap for F1 and AUC,
{comparison.n_boot} resamples of patients, seed {comparison.seed}.</p>
<table><tr>{head}</tr>{body}</table>
<h2>McNemar tests (model vs rule, paired decisions)</h2>
<table><tr><th>model</th><th>rule</th><th>model right, rule wrong</th><th>model wrong, rule right</th><th>p</th><th>method</th></tr>{mc}</table>
<h2>AUC differences (model minus rule: paired bootstrap, and DeLong's test)</h2>
<table><tr><th>rule</th><th>difference</th><th>bootstrap 95 % interval</th><th>bootstrap p</th>
<th>DeLong 95 % interval</th><th>DeLong p</th></tr>{au}</table>
<img alt="ROC curve" src="data:image/png;base64,{png}"></body></html>"""
    _atomic(path, lambda fh: fh.write(doc))


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
