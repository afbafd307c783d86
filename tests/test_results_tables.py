"""The results-table commands write their own delimited section and leave the rest of the page alone."""

from __future__ import annotations

from experiments.lead_subsets import LEAD_SUBSETS, run_lead_subsets


def test_quick_lead_subset_table_replaces_only_its_section(ptbxl_root, tmp_path):
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n\nA table someone else wrote.\n")
    run_lead_subsets(page, ptbxl_root, tmp_path / "runs", quick=True)
    first = page.read_text()
    assert first.startswith("# Results\n\nA table someone else wrote.\n")
    rows = [line for line in first.splitlines() if line.startswith("| ") and " leads |" in line]
    assert [r.split(" |")[0] for r in rows] == [f"| {n} leads" for n in sorted(LEAD_SUBSETS, reverse=True)]
    assert "quick" in first.lower()
    run_lead_subsets(page, ptbxl_root, tmp_path / "runs2", quick=True)
    assert page.read_text().count("<!-- section:leads") == 1


def test_main_table_pairs_each_model_with_the_chosen_one_on_the_same_records():
    import numpy as np

    from experiments.results import Runs, chosen_row, paired_difference_lines
    from training.metrics import Scores

    rng = np.random.default_rng(0)
    y = (rng.random((64, 5)) < 0.3).astype(np.float32)

    def runs(name, val_auroc, signal):
        row = Runs(name, "")
        for seed in range(3):
            row.val.append(Scores({"auroc_macro": val_auroc + 0.001 * seed}, {}))
            row.test_probs.append(np.clip(signal * y + rng.random(y.shape), 0, 2) / 2)
        return row

    strong, weak, baseline = runs("strong", 0.91, 0.8), runs("weak", 0.88, 0.1), runs("baseline", 0.95, 0.8)
    table = [weak, strong, baseline]
    assert chosen_row(table) is strong  # highest fold-9 AUROC among the deep models; the baseline is last
    lines = paired_difference_lines(table, strong, y)
    rows = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| ") and "difference" not in line}
    assert set(rows) == {"weak", "baseline"}
    value, low, high = (float(v) for v in rows["weak"].split(" | ")[1].replace("(", "").replace(")", "")
                        .replace(" to ", " ").rstrip(" |").split())
    assert low <= value <= high < 0  # much weaker: the whole interval is below zero
    same = paired_difference_lines([strong, runs("copy", 0.5, 0.8), baseline], strong, y)
    assert any(line.startswith("| copy |") for line in same)
