"""The results-table commands write their own delimited section and leave the rest of the page alone."""

from __future__ import annotations

from experiments.lead_subsets import LEAD_SUBSETS, run_lead_subsets


def test_quick_lead_subset_table_replaces_only_its_section(ptbxl_root, tmp_path):
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n\nA table someone else wrote.\n")
    run_lead_subsets(page, ptbxl_root, tmp_path / "runs", quick=True)
    first = page.read_text()
    assert first.startswith("# Results\n\nA table someone else wrote.\n")
    rows = [line for line in first.splitlines() if line.startswith("| ") and "best epochs" in line]
    assert [r.split(" |")[0] for r in rows] == [f"| {n} leads" for n in sorted(LEAD_SUBSETS, reverse=True)]
    assert "quick" in first.lower()
    assert all(line.count(" [") == 5 for line in rows)  # every test cell has its bootstrap interval
    assert "augmentations: gaussian_noise p=0.5, baseline_wander p=0.5" in first
    assert "PyTorch thread" in first and "`python -m experiments leads --seeds 1 --quick --threads " in first
    differences = _paired_rows(first, "difference from 12 leads")
    assert list(differences) == ["6 leads", "4 leads", "3 leads", "2 leads"]
    assert "The 4 paired intervals are each at 95 %, uncorrected" in first
    run_lead_subsets(page, ptbxl_root, tmp_path / "runs2", quick=True)
    assert page.read_text().count("<!-- section:leads") == 1


def _paired_rows(text: str, column: str) -> dict[str, tuple[float, float, float]]:
    """The rows of the paired-difference table headed ``column``: name -> (difference, low, high)."""
    lines = text.splitlines()
    start = lines.index(f"| model | {column} |") + 2
    rows = {}
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        name, cell = line.strip("| ").split(" | ")
        value, rest = cell.split(" (")
        low, high = rest.rstrip(")").split(" to ")
        rows[name] = (float(value), float(low), float(high))
    assert rows and all(low <= value <= high for value, low, high in rows.values())
    return rows


def test_quick_transfer_table_names_the_record_wise_split_and_pairs_fine_tuning_with_scratch(shared_data, tmp_path):
    from experiments.transfer import run_transfer

    page = tmp_path / "RESULTS.md"
    run_transfer(page, shared_data / "cpsc2018", tmp_path / "runs", quick=True)
    text = page.read_text()
    assert "seeded record-wise split" in text and "patient-wise" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "best epochs" in line]
    assert [r.split(" | ")[0][2:] for r in rows] == ["fine-tune head only", "fine-tune full", "from scratch"]
    assert all("gaussian_noise p=0.5, baseline_wander p=0.5" in r and r.count(" [") == 5 for r in rows)
    assert list(_paired_rows(text, "difference from the from-scratch model")) == ["fine-tune head only",
                                                                                   "fine-tune full"]
    assert "The 2 paired intervals are each at 95 %, uncorrected" in text
    assert "1 seed only" in text and "`python -m experiments transfer --seeds 1 --quick --threads " in text


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
