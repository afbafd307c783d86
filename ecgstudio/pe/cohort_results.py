"""What a cohort comparison shows: the accuracy table with 95 % intervals, the paired tests, the records
that could not be predicted, and the ROC plot with each rule's operating point.

Numbers are formatted by the engine's own :class:`Estimate`, so the app, the CSV and the HTML report
agree to the digit.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QTabWidget, QWidget

from training.clinical.cohort import CohortComparison
from training.clinical.cohort_run import RecordFailure
from training.clinical.report import COLUMNS
from training.clinical.stats import Estimate

_HEADERS = {"sensitivity": "Sensitivity", "specificity": "Specificity", "ppv": "PPV", "npv": "NPV",
            "accuracy": "Accuracy", "f1": "F1", "auc": "AUC"}
_POINT_STYLES = (("o", "#d9480f"), ("s", "#2b8a3e"), ("d", "#7048e8"), ("t", "#c2255c"), ("t1", "#1098ad"),
                 ("star", "#e67700"), ("+", "#495057"), ("x", "#b35c00"))


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], tooltips: list[str] | None = None, centred: bool = True) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c > 0 and centred:
                item.setTextAlignment(Qt.AlignCenter)
            if tooltips:
                item.setToolTip(tooltips[r])
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.resizeRowsToContents()
    table.horizontalHeader().setSectionResizeMode(table.columnCount() - 1, QHeaderView.Stretch)


def _two_lines(estimate: Estimate) -> str:
    """``value`` over ``(low-high)``: seven metric columns then fit beside the ROC plot."""
    return str(estimate).replace(" (", "\n(")


class ComparisonTables(QTabWidget):
    """Tabs: accuracy with 95 % CIs, McNemar tests, AUC differences, skipped records."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metrics = _table(["Strategy", *(_HEADERS[c] for c in COLUMNS)])
        self.mcnemar = _table(["Model", "Rule", "Model right, rule wrong", "Model wrong, rule right", "p", "Method"])
        self.auc_tests = _table(["Rule", "AUC model − rule", "bootstrap 95 % interval", "p", "DeLong 95 % interval",
                                 "DeLong p"])
        self.skipped = _table(["Record", "Why it was left out"])
        self.addTab(self.metrics, "Accuracy (95 % CI)")
        self.addTab(self.mcnemar, "McNemar (paired decisions)")
        self.addTab(self.auc_tests, "AUC difference")
        self.addTab(self.skipped, "Skipped records")

    def show_comparison(self, comparison: CohortComparison, failures: tuple[RecordFailure, ...]) -> None:
        _fill(self.metrics, [[row.name, *(_two_lines(row.metrics[c]) for c in COLUMNS)] for row in comparison.rows],
              [row.description for row in comparison.rows])
        _fill(self.mcnemar, [[a, b, str(t.b), str(t.c), f"{t.p_value:.4f}", t.method]
                             for (a, b), t in comparison.mcnemar.items()])
        _fill(self.auc_tests, [[name, f"{d.difference:+.3f}", f"{d.low:+.3f} to {d.high:+.3f}", f"{d.p_value:.4f}",
                                f"{d.delong_low:+.3f} to {d.delong_high:+.3f}", f"{d.delong_p:.4f}"]
                               for name, d in comparison.auc_tests.items()])
        _fill(self.skipped, [[f.record, f.reason] for f in failures], centred=False)
        self.setTabText(3, f"Skipped records ({len(failures)})")
        self.setCurrentIndex(0)


class RocPlot(pg.PlotWidget):
    """The model's ROC curve, chance, and one marker per rule at its (1 − specificity, sensitivity)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background="w")
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.03)
        self.setLabel("bottom", "1 − specificity")
        self.setLabel("left", "sensitivity")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.legend = self.addLegend(offset=(-10, -10), labelTextColor="#222")
        self.setMinimumSize(360, 340)

    def show_comparison(self, comparison: CohortComparison) -> None:
        self.clear()
        self.legend.clear()
        fpr, tpr, _ = comparison.roc
        self.plot([0, 1], [0, 1], pen=pg.mkPen("#999", width=1, style=Qt.DashLine), name="chance")
        if len(fpr):
            auc = comparison.rows[0].metrics["auc"]
            self.plot(fpr, tpr, pen=pg.mkPen("#1f4e79", width=2.5), name=f"model (AUC {auc.value:.3f})")
        for name, (s_fpr, s_tpr, _) in comparison.score_rocs.items():
            self.plot(s_fpr, s_tpr, pen=pg.mkPen("#b35c00", width=1.8), name=name)
        styles = iter(_POINT_STYLES)
        for row in comparison.rows:
            if row.name.startswith("Model @ ") and row is not comparison.rows[0]:
                continue  # the matched-sensitivity thresholds lie on the curve already
            symbol, colour = next(styles)
            x, y = 1 - row.metrics["specificity"].value, row.metrics["sensitivity"].value
            self.plot([x], [y], pen=None, symbol=symbol, symbolSize=11, symbolBrush=colour,
                      symbolPen=pg.mkPen("#222"), name=row.name)
        title = f"{comparison.class_name}: model vs rules (n = {len(comparison.cohort.outcome)})"
        if comparison.cohort.synthetic:
            title = f"<span style='color:#b3261e'><b>SYNTHETIC</b></span> · {title}"
        self.setTitle(title, color="#222", size="10pt")
