"""What ships beside the app: the project licence, data licences, third-party notices and checksums.

Fast checks on the source tree and on packaging/inventory.py; the built artefacts themselves are
checked by tests/test_packaging.py (``make test-packaging``).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "resources" / "samples"


def _inventory():
    spec = importlib.util.spec_from_file_location("inventory", REPO / "packaging" / "inventory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inventory = _inventory()


def test_the_project_licence_is_the_mit_text_pyproject_declares():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]["text"]
    text = (REPO / "LICENSE").read_text()
    assert declared == "MIT" and text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


@pytest.mark.parametrize(("folder", "licence", "marker"), [
    ("ptbxl", "LICENSE.txt", "Creative Commons Attribution 4.0 International"),
    ("cpsc2018", "LICENSE-CC-BY-4.0.txt", "Creative Commons Attribution 4.0 International"),
    ("mitdb", "LICENSE-ODC-By-1.0.txt", "ODC Attribution License"),
])
def test_every_sample_folder_ships_its_licence_text_and_attribution_names_it(folder, licence, marker):
    assert marker in (SAMPLES / folder / licence).read_text()
    row = next(line for line in (SAMPLES / "ATTRIBUTION.md").read_text().splitlines() if line.startswith(f"| {folder}/"))
    assert f"`{licence}`" in row


def test_attribution_stands_on_its_own():
    """It pointed to the shared data's PROVENANCE.md, which the app does not ship."""
    text = (SAMPLES / "ATTRIBUTION.md").read_text()
    assert "PROVENANCE" not in text
    assert {folder.name for folder in SAMPLES.iterdir() if folder.is_dir()} == set(re.findall(r"^\| (\w+)/", text, re.M))


def test_the_wheel_data_files_name_only_files_and_ship_every_model():
    """setuptools stops the wheel build on a folder matched by a data-files pattern (the delineator's
    ``resources/models/delineation`` under ``resources/models/*``), and a model left out measures by
    the rules only in a pip install."""
    entries = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = set()
    for target, patterns in entries.items():
        for pattern in patterns:
            matches = sorted(REPO.glob(pattern))
            assert matches, f"{pattern} matches nothing"
            folders = [m for m in matches if not m.is_file()]
            assert not folders, f"{target}: {pattern} matches folders {folders}"
            shipped.update(m.relative_to(REPO) for m in matches)
    models = {p.relative_to(REPO) for p in (REPO / "resources" / "models").rglob("*") if p.is_file()}
    assert models <= shipped, f"not in the wheel: {sorted(map(str, models - shipped))}"


def test_no_gpl_test_data_is_shipped_with_the_resources():
    """GE MUSE example files are GPL-3.0 test data (shared/data/vendor/ge_muse_xml): never bundled."""
    for path in (REPO / "resources").rglob("*"):
        if path.is_file() and path.suffix.lower() in (".xml", ".txt", ".md"):
            head = path.read_text(errors="replace")[:20000]
            assert "<RestingECG" not in head and "GNU GENERAL PUBLIC LICENSE" not in head, path


def test_the_runtime_closure_holds_what_the_app_imports_and_no_build_tools():
    closure = inventory.runtime_closure()
    for needed in ("torch", "pyside6-essentials", "shiboken6", "numpy", "scipy", "wfdb", "platformdirs", "pydantic"):
        assert needed in closure
    for tool in ("pyinstaller", "pytest", "pip-audit", "cyclonedx-bom", "pip-licenses", "import-linter"):
        assert tool not in closure


def test_notices_cover_python_qt_lgpl_and_every_runtime_distribution(tmp_path):
    out = tmp_path / "THIRD_PARTY_NOTICES.txt"
    inventory.write_notices(out)
    text = out.read_text()
    assert "PSF LICENSE AGREEMENT" in text or "PYTHON SOFTWARE FOUNDATION LICENSE" in text
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "_internal/PySide6/Qt/lib/libQt6*.so.6" in text and "replace those files" in text
    listed = {name.lower().replace("_", "-"): version for name, version in re.findall(r"^--- (\S+) (\S+) ---$", text, re.M)}
    assert listed == inventory.bundle_closure()


def test_the_bundle_lists_what_it_ships_and_the_audit_covers_the_wheel_route():
    """networkx, neurokit2, aiohttp... are runtime requirements the bundle leaves out whole (bundle_contents):
    its notices and SBOM leave them out too; the wheel installs them, so the audit's pins keep them."""
    shipped, closure = inventory.bundle_closure(), inventory.runtime_closure()
    assert {"networkx", "neurokit2", "aiohttp"} <= set(closure) - set(shipped)
    assert {"torch", "pyside6-essentials", "cffi", "pyyaml", "scipy"} <= set(shipped)
    assert set(shipped) < set(closure)


def test_checksums_are_written_beside_the_artefacts_and_verify(tmp_path):
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.deb"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    inventory.write_checksums([first])
    inventory.write_checksums([second])  # a later artefact keeps the earlier line
    listing = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert [line.split("  ")[1] for line in listing] == ["a.tar.gz", "b.deb"]
    subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=tmp_path, check=True, capture_output=True)
    second.write_bytes(b"tampered")
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True).returncode != 0


def _fake_bundle(tmp_path: Path, floor: str, have: str) -> tuple[Path, dict]:
    """The real launcher beside a stand-in executable, and a getconf that reports *have*."""
    bundle, fakes = tmp_path / "ecgstudio-1.2.3", tmp_path / "bin"
    (bundle / "_internal").mkdir(parents=True)
    fakes.mkdir()
    (bundle / "_internal" / "GLIBC_FLOOR").write_text(f"{floor}\n")
    (bundle / "_internal" / "VERSION").write_text("1.2.3\n")
    launcher = bundle / "ecgstudio"
    launcher.write_bytes((REPO / "packaging" / "linux" / "launcher.sh").read_bytes())
    (bundle / "ecgstudio-bin").write_text('#!/bin/sh\necho "started $0 $*"\n')
    (fakes / "getconf").write_text(f"#!/bin/sh\necho 'glibc {have}'\n")
    for script in (launcher, bundle / "ecgstudio-bin", fakes / "getconf"):
        script.chmod(0o755)
    return launcher, {"PATH": f"{fakes}:/usr/bin:/bin"}


def test_the_launcher_refuses_an_older_glibc_with_a_clear_message(tmp_path):
    launcher, env = _fake_bundle(tmp_path, floor="2.35", have="2.31")
    done = subprocess.run([str(launcher), "--smoke"], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert "needs the GNU C library" in done.stderr and "2.35" in done.stderr and "2.31" in done.stderr
    assert "ECG Studio 1.2.3" in done.stderr and "py3-none-any.whl" in done.stderr


@pytest.mark.parametrize("have", ["2.35", "2.36", "2.100"])
def test_the_launcher_starts_the_app_on_the_floor_or_newer(tmp_path, have):
    launcher, env = _fake_bundle(tmp_path, floor="2.35", have=have)
    done = subprocess.run([str(launcher), "--smoke", "a b"], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"started {launcher.parent / 'ecgstudio-bin'} --smoke a b"


def test_the_desktop_entry_names_one_main_category():
    """Science and Education are both main categories: the menu listed the app twice."""
    entry = (REPO / "packaging" / "linux" / "ecgstudio.desktop").read_text()
    categories = next(line for line in entry.splitlines() if line.startswith("Categories=")).split("=", 1)[1]
    main_categories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
                       "Office", "Science", "Settings", "System", "Utility"}
    assert len([c for c in categories.split(";") if c in main_categories]) == 1
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(REPO / "packaging" / "linux" / "ecgstudio.desktop")],
                              capture_output=True, text=True)
        assert done.returncode == 0 and "error" not in done.stdout.lower(), done.stdout


def _fake_pip_audit(folder: Path, report: dict | None) -> None:
    """A pip-audit that writes *report* to its ``-o`` file (None: fails before writing, as without DNS)."""
    import json

    folder.mkdir()
    body = (f"import json, sys\nout = sys.argv[sys.argv.index('-o') + 1]\n"
            f"json.dump({json.dumps(report)}, open(out, 'w'))\n" if report is not None else
            "import sys\nsys.exit('requests.exceptions.ConnectionError: Failed to resolve api.osv.dev')\n")
    script = folder / "pip-audit"
    script.write_text(f"#!{shutil.which('python3')}\n{body}")
    script.chmod(0o755)


def test_an_audit_that_reached_no_vulnerability_service_says_not_checked_never_clean(tmp_path, monkeypatch):
    skipped = {"dependencies": [{"name": "numpy", "skip_reason": "Dependency not found on PyPI and could not be audited"},
                                {"name": "torch", "skip_reason": "Dependency not found on PyPI and could not be audited"}],
               "fixes": []}
    _fake_pip_audit(tmp_path / "bin", skipped)
    monkeypatch.setattr(inventory, "BIN", tmp_path / "bin")
    assert inventory.audit(tmp_path / "pip-audit.json") == 3
    status = (tmp_path / inventory.AUDIT_STATUS).read_text()
    assert "NOT CHECKED (no network)" in status and "none of the 2 pinned" in status
    assert "no known vulnerabilit" not in status


def test_an_audit_whose_service_refused_the_connection_says_not_checked(tmp_path, monkeypatch):
    _fake_pip_audit(tmp_path / "bin", None)
    monkeypatch.setattr(inventory, "BIN", tmp_path / "bin")
    assert inventory.audit(tmp_path / "pip-audit.json", service="osv") == 3
    assert "NOT CHECKED: pip-audit wrote no report" in (tmp_path / inventory.AUDIT_STATUS).read_text()


def test_audit_verdicts_for_vulnerable_partial_and_clean_reports():
    clean = {"name": "numpy", "version": "2.3.0", "vulns": []}
    bad = {"name": "pillow", "version": "9.0.0", "vulns": [{"id": "PYSEC-2022-1"}]}
    lost = {"name": "torch", "skip_reason": "Dependency not found on PyPI"}
    verdict, status = inventory.audit_summary({"dependencies": [clean, bad, lost]})
    assert status == 1 and "VULNERABLE" in verdict and "PYSEC-2022-1" in verdict and "1 more NOT CHECKED" in verdict
    verdict, status = inventory.audit_summary({"dependencies": [clean, lost]})
    assert status == 3 and verdict.startswith("PARTLY CHECKED: 1 of 2") and "torch" in verdict
    assert inventory.audit_summary({"dependencies": [clean]}) == (
        "checked: all 1 pinned distributions, no known vulnerabilities", 0)
