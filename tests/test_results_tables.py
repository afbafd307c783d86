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
