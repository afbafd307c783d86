"""The release artefacts, built and used as IT would: bundle, tarball, SBOM, checksums, .deb, wheel.

Skipped unless ``ECGSTUDIO_PACKAGING=1`` (``make test-packaging``): the bundle build takes minutes of 2
cores and ~1.5 GB of disk, and the .deb tests install, upgrade and remove a system package (root).
``ECGSTUDIO_PACKAGING_REUSE=1`` reuses a bundle and .deb already in dist/ instead of rebuilding them
(the bundle's smoke still runs).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from training.version import __version__

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist"
APP = DIST / f"ecgstudio-{__version__}"
INTERNAL = APP / "_internal"
DEB = DIST / f"ecgstudio_{__version__}_amd64.deb"
UPGRADE_VERSION = f"{__version__}+upgradetest1"

pytestmark = pytest.mark.skipif(os.environ.get("ECGSTUDIO_PACKAGING") != "1",
                                reason="builds the bundle and the .deb (minutes); set ECGSTUDIO_PACKAGING=1")
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def _run(*command: str, **options) -> subprocess.CompletedProcess:
    options.setdefault("cwd", REPO)
    done = subprocess.run(command, capture_output=True, text=True, env=options.pop("env", ENV), **options)
    assert done.returncode == 0, f"{command}: {done.stdout[-4000:]}{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def built() -> str:
    """Build once (the script runs the bundle's smoke itself) and return the build's output."""
    if os.environ.get("ECGSTUDIO_PACKAGING_REUSE") == "1" and (APP / "ecgstudio-bin").is_file():
        return _run(str(APP / "ecgstudio"), "--smoke", timeout=600).stdout
    return _run(str(REPO / "packaging" / "build.sh"), timeout=3600).stdout


@pytest.fixture(scope="module")
def deb(built) -> Path:
    if not (os.environ.get("ECGSTUDIO_PACKAGING_REUSE") == "1" and DEB.is_file()):
        _run(str(REPO / "packaging" / "deb.sh"), timeout=1800)
    return DEB


def test_the_bundle_passes_its_smoke_through_the_frozen_engine(built):
    assert f"smoke: ecgstudio {__version__}" in built
    assert "smoke: all steps passed" in built
    assert "engine ecgstudio-bin --engine" in built  # the training job ran the frozen executable, not a Python
    assert "smoke: hpo" in built and "best trial 0" in built  # an Optuna trial through the frozen engine
    # the frozen app loads the delineator network with torch, exports, and starts with every panel attached
    assert "by ludb_unet1d_delineator" in built and "6 panels" in built
    assert "smoke: export" in built and "smoke: annotations" in built and "smoke: cohort" in built


def test_the_bundle_carries_version_licences_model_samples_and_label_maps(built):
    assert (INTERNAL / "VERSION").read_text().strip() == __version__
    assert (APP / "LICENSE").read_text().startswith("MIT License")
    notices = (APP / "THIRD_PARTY_NOTICES.txt").read_text()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in notices and "--- torch " in notices
    assert (INTERNAL / "resources" / "models" / "ptbxl_superclass_resnet1d18.safetensors").is_file()
    samples = INTERNAL / "resources" / "samples"
    for licence in ("ATTRIBUTION.md", "ptbxl/LICENSE.txt", "cpsc2018/LICENSE-CC-BY-4.0.txt", "mitdb/LICENSE-ODC-By-1.0.txt"):
        assert (samples / licence).is_file(), licence
    assert list((INTERNAL / "training" / "data" / "label_maps").glob("*.csv"))
    assert (APP / "ecgstudio.desktop").is_file() and (INTERNAL / "resources" / "icons" / "ecgstudio.svg").is_file()
    assert (INTERNAL / "GLIBC_FLOOR").read_text().strip().startswith("2.")


def _python_modules() -> set[str]:
    """The modules in the executable's embedded PYZ archive."""
    from PyInstaller.archive.readers import CArchiveReader

    executable = CArchiveReader(str(APP / "ecgstudio-bin"))
    pyz = next(name for name in executable.toc if name.endswith(".pyz"))
    return set(executable.open_embedded_archive(pyz).toc)


def _shape(code):
    """A code object without its file name: the bytecode, names and constants, nested code included."""
    from types import CodeType

    return code.co_code, code.co_names, tuple(_shape(c) if isinstance(c, CodeType) else c for c in code.co_consts)


def test_the_bundle_carries_this_checkouts_code(built):
    """The shared venv is an editable install of another checkout: every ecgstudio/training module in
    the bundle must be this checkout's source, compiled (the spec also refuses to build otherwise)."""
    from PyInstaller.archive.readers import CArchiveReader

    executable = CArchiveReader(str(APP / "ecgstudio-bin"))
    pyz = executable.open_embedded_archive(next(name for name in executable.toc if name.endswith(".pyz")))
    ours = [name for name in pyz.toc if name.split(".")[0] in ("ecgstudio", "training")]
    assert "ecgstudio.start_probe" in ours and "training.cli" in ours
    differ = []
    for name in ours:
        module = REPO.joinpath(*name.split("."))
        source = module.with_suffix(".py") if module.with_suffix(".py").is_file() else module / "__init__.py"
        code = pyz.extract(name)
        # dont_inherit: this test module's `from __future__ import annotations` must not change the bytecode
        compiled = compile(source.read_text(), str(source), "exec", dont_inherit=True)
        if _shape(code[1] if isinstance(code, tuple) else code) != _shape(compiled):
            differ.append(name)
    assert not differ, f"bundled modules that differ from {REPO}: {differ}"


def test_the_bundles_libraries_are_stripped_and_search_no_build_machine_folder(built):
    sys.path.insert(0, str(REPO / "packaging"))
    import tidy_elf

    elves = tidy_elf.elf_files(APP)
    described = _run("file", *map(str, elves)).stdout.splitlines()
    unstripped = sorted(Path(line.split(":")[0]).name for line in described if "not stripped" in line)
    # NumPy's and SciPy's patchelf-edited OpenBLAS and Fortran runtime: stripped, they no longer load
    assert all(name.startswith(("libscipy_openblas", "libgfortran")) for name in unstripped), unstripped
    foreign = [(p.name, r) for p in elves if (r := tidy_elf.search_paths(p)) and tidy_elf.own_paths(r) != r]
    assert not foreign
    assert not [p for p in elves if ".so" in p.name and p.stat().st_mode & 0o111]


def test_the_bundle_leaves_out_what_the_app_never_uses(built):
    lowered = [str(p.relative_to(INTERNAL)).lower() for p in INTERNAL.rglob("*")]
    for unused in ("torch/include", "torch/share", "pyside6/qt/qml", "pyside6/qt/translations", "tkinter",
                   "sklearn/datasets/tests", "pyside6/qt/plugins/platformthemes/libqgtk3.so",
                   "pyside6/qt/plugins/platforms/libqeglfs.so", "pyside6/qt/plugins/platforms/libqvnc.so"):
        assert not any(p == unused or p.startswith(unused + "/") for p in lowered), unused
    assert not [p for p in lowered if p.startswith(("torch/bin/", "torch/lib/")) and "test" in p]  # FileStoreTest...
    assert not [p for p in lowered if "ge_muse" in p or "braveheart" in p]
    assert not list(INTERNAL.rglob("libQt6Quick*")) and not list(INTERNAL.rglob("*.a"))
    modules = _python_modules()
    assert "torch" in modules and "torch.distributed" in modules  # DDP (torchrun) is an engine feature
    assert not [m for m in modules if m.split(".")[0] in ("aiohttp", "yarl", "multidict", "lxml")]
    assert not list(INTERNAL.rglob("libavif*")) and not (INTERNAL / "lxml").exists()
    assert (INTERNAL / "optuna" / "storages" / "_rdb" / "alembic" / "env.py").is_file()  # HPO's storage migrations
    assert not [m for m in modules if m.split(".")[0] in ("networkx", "neurokit2", "pywt", "setuptools", "jinja2")]
    assert "cffi" in modules and "soundfile" in modules  # WFDB's FLAC formats (the smoke reads one)
    assert not list(INTERNAL.rglob("libqtiff.so")) and not list(INTERNAL.rglob("libQt6Network*"))
    assert not [p for p in APP.rglob("*") if p.is_symlink() and not p.exists()]  # no link to a left-out file
    assert not (INTERNAL / "matplotlib" / "mpl-data" / "fonts" / "pdfcorefonts").exists()
    assert (INTERNAL / "matplotlib" / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf").is_file()


def test_torch_ships_only_the_sources_it_reads(built):
    sys.path.insert(0, str(REPO / "packaging"))
    import torch_sources

    shipped = list((INTERNAL / "torch").rglob("*.py"))
    assert (INTERNAL / "torch" / "nn" / "functional.py") in shipped  # TorchScript compiles it at import
    assert all(torch_sources.keeps(p) for p in shipped) and len(shipped) < 300, len(shipped)
    assert sum(p.stat().st_size for p in shipped) < 8 * 2**20


def test_icu_data_is_trimmed_to_what_qt_reads(built):
    icu = next((INTERNAL / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
    assert icu.stat().st_size < 20 * 2**20  # 31 MiB as the wheel ships it
    assert "trim_icu: libicudata" in built or os.environ.get("ECGSTUDIO_PACKAGING_REUSE") == "1"


def test_system_libraries_come_from_the_system_not_the_bundle(built):
    left_out = {Path(p).name for p in (REPO / "build" / "pyinstaller" / "system-libraries.txt").read_text().split()}
    assert {"libstdc++.so.6", "libX11.so.6", "libfontconfig.so.1", "libdbus-1.so.3"} <= left_out
    bundled = {p.name for p in INTERNAL.rglob("*.so*")}
    assert not left_out & bundled
    assert not [n for n in bundled if n.startswith(("libgtk-3", "libstdc++", "libX11", "libfontconfig", "libdbus-1",
                                                    "libsystemd", "libmvec", "libexpat"))]


def test_duplicate_fortran_runtimes_are_one_file(built):
    for link in (INTERNAL / "scipy.libs").glob("lib*"):
        twin = INTERNAL / "numpy.libs" / link.name
        if twin.exists():
            assert link.is_symlink() and link.resolve() == twin.resolve()


def test_the_tarball_unpacks_to_a_versioned_folder(built):
    with tarfile.open(DIST / f"ecgstudio-{__version__}-linux-x86_64.tar.xz") as tar:
        names = set(tar.getnames())
    top = f"ecgstudio-{__version__}"
    assert {f"{top}/ecgstudio", f"{top}/ecgstudio-bin", f"{top}/install.sh", f"{top}/THIRD_PARTY_NOTICES.txt"} <= names
    assert all(name == top or name.startswith(top + "/") for name in names)


def test_version_answers_instantly_from_the_bundle(built):
    assert _run(str(APP / "ecgstudio"), "--version", timeout=60).stdout.strip() == f"ecgstudio {__version__}"


def test_sbom_and_checksums_sit_beside_the_artefacts(built, deb):
    sbom = json.loads((DIST / f"ecgstudio-{__version__}.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["metadata"]["component"]["version"] == __version__
    names = {c["name"].lower() for c in sbom["components"]}
    assert {"torch", "pyside6-essentials", "numpy"} <= {n.replace("_", "-") for n in names}
    assert "pyinstaller" not in names and "pytest" not in names
    listed = _run("sha256sum", "-c", "--strict", "SHA256SUMS", cwd=DIST).stdout
    for artefact in (f"ecgstudio-{__version__}-linux-x86_64.tar.xz", f"ecgstudio-{__version__}.cdx.json", deb.name):
        assert f"{artefact}: OK" in listed


def _field(deb: Path, name: str) -> str:
    return _run("dpkg-deb", "-f", str(deb), name).stdout.strip()


def test_the_deb_declares_its_system_libraries_and_lays_out_opt_bin_menu_icon(deb):
    assert _field(deb, "Package") == "ecgstudio" and _field(deb, "Version") == __version__
    depends = _field(deb, "Depends").split(", ")
    assert depends[0].startswith("libc6 (>= 2.")
    assert {"libstdc++6", "libx11-6", "libfontconfig1", "libdbus-1-3", "libxcb-cursor0"} <= set(depends)
    assert not [d for d in depends if d.startswith("libgtk")]  # only the excluded GTK theme plugin needed it
    listing = _run("dpkg-deb", "-c", str(deb)).stdout
    for path in (f"./opt/ecgstudio-{__version__}/ecgstudio-bin", "./usr/bin/ecgstudio ->",
                 "./usr/share/applications/ecgstudio.desktop", "./usr/share/icons/hicolor/scalable/apps/ecgstudio.svg",
                 "./usr/share/doc/ecgstudio/copyright"):
        assert path in listing, path


@pytest.mark.skipif(shutil.which("lintian") is None, reason="lintian not installed")
def test_lintian_finds_no_errors_but_the_placeholder_maintainer(deb):
    """Errors lintian reports, written to dist/lintian.txt. The only ones allowed are the placeholder
    maintainer's (bogus-mail-host) while DEBEMAIL is unset: IT sets its own address before a release."""
    done = subprocess.run(["lintian", "--tag-display-limit", "0", str(deb)], capture_output=True, text=True)
    (DIST / "lintian.txt").write_text(done.stdout + done.stderr)
    errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
    placeholder = ("bogus-mail-host", "bogus-mail-host-in-debian-changelog")
    allowed = () if os.environ.get("DEBEMAIL") else placeholder
    assert not [e for e in errors if e.split()[2] not in allowed], done.stdout


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**ENV, "DEBIAN_FRONTEND": "noninteractive"}
    return _run("apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0", *args, env=env, timeout=900)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("apt-get") is None, reason="installs a system package (root)")
def test_the_deb_installs_starts_as_a_user_upgrades_in_place_and_removes_cleanly(deb):
    old_opt, new_opt = Path(f"/opt/ecgstudio-{__version__}"), Path(f"/opt/ecgstudio-{UPGRADE_VERSION}")
    # A home the user owns, as a real one is, outside pytest's temporary tree (root-only: 0700 parents)
    home = Path(tempfile.mkdtemp(prefix="ecgstudio-home-"))
    (home / ".local" / "share" / "ECG Studio" / "ECG Studio").mkdir(parents=True)
    user_data = home / ".local" / "share" / "ECG Studio" / "ECG Studio" / "library.sqlite"
    user_data.write_bytes(b"the user's annotations")
    for folder, _, files in os.walk(home):
        for path in (folder, *(os.path.join(folder, f) for f in files)):
            shutil.chown(path, "nobody", "nogroup")
    user_env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    try:
        _apt("install", str(deb))  # what IT runs: apt install ./ecgstudio_<version>_amd64.deb
        assert (old_opt / "ecgstudio-bin").is_file()
        smoke = _run("runuser", "-u", "nobody", "--", "env", "-i", *(f"{k}={v}" for k, v in user_env.items()),
                     "ecgstudio", "--smoke", timeout=600, cwd=home)
        assert "smoke: all steps passed" in smoke.stdout and f"smoke: ecgstudio {__version__}" in smoke.stdout

        _run(str(REPO / "packaging" / "deb.sh"), "--version", UPGRADE_VERSION, timeout=1800,
             env={**ENV, "ECGSTUDIO_DEB_COMPRESSION": "none"})  # same bundle, packed in seconds
        _apt("install", str(DIST / f"ecgstudio_{UPGRADE_VERSION}_amd64.deb"))
        assert not old_opt.exists() and (new_opt / "ecgstudio-bin").is_file()
        assert _run("ecgstudio", "--version").stdout.strip() == f"ecgstudio {UPGRADE_VERSION}"
        assert user_data.read_bytes() == b"the user's annotations"

        _apt("remove", "ecgstudio")
        assert not new_opt.exists() and not Path("/usr/bin/ecgstudio").exists()
        assert not Path("/usr/share/applications/ecgstudio.desktop").exists()
        assert user_data.read_bytes() == b"the user's annotations"
        assert subprocess.run(["dpkg-query", "-W", "-f=${Status}", "ecgstudio"], capture_output=True,
                              text=True).stdout.strip() in ("", "deinstall ok config-files", "unknown ok not-installed")
    finally:
        subprocess.run(["apt-get", "-y", "-q", "purge", "ecgstudio"], capture_output=True,
                       env={**ENV, "DEBIAN_FRONTEND": "noninteractive"})
        (DIST / f"ecgstudio_{UPGRADE_VERSION}_amd64.deb").unlink(missing_ok=True)
        shutil.rmtree(home, ignore_errors=True)
        _run(sys.executable, str(REPO / "packaging" / "inventory.py"), "checksums", str(deb))  # drops its line


def test_the_wheel_installs_into_a_venv_and_runs_its_smoke(tmp_path):
    """The Python route: the wheel plus its dependencies' wheels (here: taken from the build venv)."""
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ".",
         timeout=600)
    wheel = tmp_path / f"ecgstudio-{__version__}-py3-none-any.whl"
    assert wheel.is_file()
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    # The dependencies come from the build venv's site-packages (no network here), as a plain path, so
    # its editable ecgstudio is not seen; the wheel's own copy must be the one that runs.
    site = next((venv / "lib").glob("python3*/site-packages"))
    build_site = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "torch").is_dir())
    (site / "deps.pth").write_text(build_site + "\n")
    _run(str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel), timeout=600)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = _run(str(venv / "bin" / "python"), "-c", "import ecgstudio, ecgstudio.paths as p; "
                 "print(ecgstudio.__file__); print(p.resources_dir())", cwd=outside).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] == str(venv / "share" / "ecgstudio" / "resources")
    assert _run(str(venv / "bin" / "ecgstudio"), "--version", cwd=outside).stdout.strip() == f"ecgstudio {__version__}"
    smoke = _run(str(venv / "bin" / "ecgstudio"), "--smoke", cwd=outside, timeout=600).stdout
    assert "smoke: all steps passed" in smoke
