"""What a release ships besides the app: third-party notices, an SBOM, pinned requirements, checksums.

All of it is derived from one list, the *runtime closure*: the distributions ``pyproject.toml`` names
as ``[project].dependencies`` and, recursively, what those require (extras and markers evaluated for
this machine), with the versions installed in the build venv. Build tools (PyInstaller, pytest, the
audit tools of the ``dev`` extra) are not in it, because they are not in the artefacts.

    python packaging/inventory.py requirements OUT.txt   # pinned name==version, for pip-audit / SBOM
    python packaging/inventory.py notices OUT.txt        # THIRD_PARTY_NOTICES (pip-licenses + Qt/CPython), as shipped
    python packaging/inventory.py sbom OUT.json          # CycloneDX JSON (cyclonedx-py), as shipped
    python packaging/inventory.py checksums FILE...      # SHA256SUMS in each FILE's folder
    python packaging/inventory.py glibc-floor FOLDER     # the newest GLIBC_x.y any ELF file in FOLDER needs
    python packaging/inventory.py debian-depends FOLDER  # the .deb's Depends: owners of the libraries it needs
    python packaging/inventory.py audit OUT.json [--service osv]  # pip-audit of the pinned closure: verdict

Run with the build venv's Python (``.venv/bin/python``): the closure is what *that* interpreter has.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
#: The distribution PySide6's Qt libraries come from, and the licence texts that go with them.
QT_DISTRIBUTIONS = ("pyside6-essentials", "shiboken6")
LICENCE_TEXTS = {"LGPL-3.0": Path("/usr/share/common-licenses/LGPL-3"), "GPL-3.0": Path("/usr/share/common-licenses/GPL-3")}
BIN = Path(sys.executable).parent
#: Debian packages of libraries Qt opens at run time (dlopen), which no ELF file names: the xcb platform
#: plugin refuses to start without xcb-cursor since Qt 6.5.
LOADED_AT_RUN_TIME = ("libxcb-cursor0",)


def runtime_closure(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """``{canonical name: installed version}`` of every distribution the app needs at run time."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    pending = [(Requirement(spec), ()) for spec in project["dependencies"]]
    found: dict[str, str] = {}
    extras_of: dict[str, set[str]] = {}
    while pending:
        requirement, parent_extras = pending.pop()
        if requirement.marker and not any(requirement.marker.evaluate({"extra": extra})
                                          for extra in (*parent_extras, "")):
            continue
        name = canonicalize_name(requirement.name)
        new_extras = set(requirement.extras) - extras_of.get(name, set())
        if name in found and not new_extras:
            continue
        extras_of.setdefault(name, set()).update(requirement.extras)
        distribution = metadata.distribution(requirement.name)  # raises when the venv lacks it: a broken build
        found[name] = distribution.version
        for spec in distribution.requires or ():
            pending.append((Requirement(spec), tuple(extras_of[name])))
    return dict(sorted(found.items()))


def bundle_closure() -> dict[str, str]:
    """The runtime closure less the distributions the bundle leaves out whole: those whose every top-level
    module is in ``bundle_contents.EXCLUDED_MODULES`` (networkx, neurokit2, aiohttp...). The bundle's
    notices and SBOM list what it ships; the wheel route installs the whole closure, which ``audit`` checks."""
    sys.path.insert(0, str(ROOT / "packaging"))
    from bundle_contents import EXCLUDED_MODULES

    modules_of: dict[str, set[str]] = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            modules_of.setdefault(canonicalize_name(distribution), set()).add(module)
    excluded = set(EXCLUDED_MODULES)
    return {name: version for name, version in runtime_closure().items()
            if not (modules_of.get(name) and modules_of[name] <= excluded)}


def write_requirements(out: Path) -> None:
    out.write_text("".join(f"{name}=={version}\n" for name, version in runtime_closure().items()), encoding="utf-8")


def _python_licence() -> str:
    for candidate in (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    raise FileNotFoundError("CPython's LICENSE.txt not found beside the standard library")


def qt_section(qt_version: str) -> str:
    """Qt, PySide6 and psycopg are LGPL-3.0: what that asks of us, and how a user replaces the libraries."""
    return f"""\
Qt {qt_version} and Qt for Python (PySide6, shiboken6) — GNU LGPL version 3
===========================================================================

ECG Studio uses Qt {qt_version} through PySide6 {qt_version} under the GNU Lesser General Public
License version 3 (LGPL-3.0, which adds permissions to the GNU GPL version 3; both texts follow).
Qt is (c) The Qt Company Ltd. and other contributors. ECG Studio does not modify Qt or PySide6.

The Qt libraries are linked dynamically and shipped as separate, replaceable files:
  * the bundle / .deb: ``_internal/PySide6/Qt/lib/libQt6*.so.6`` and the plugins in
    ``_internal/PySide6/Qt/plugins/``; the Python bindings in ``_internal/PySide6/`` and
    ``_internal/shiboken6/``;
  * the wheel route: the ``PySide6-Essentials`` and ``shiboken6`` wheels pip installs beside the app.

To use your own build of Qt (for instance one you modified), replace those files with
binary-compatible builds of Qt {qt_version} (and, if you rebuild the bindings, PySide6/shiboken6
{qt_version}) made from the sources below, keeping their file names; the app loads whatever is
there at start. In the wheel route, ``pip install`` your own PySide6 build into the venv instead.
Nothing in ECG Studio prevents this, and reverse engineering for debugging such modifications is
permitted.

Source code of Qt {qt_version}: https://download.qt.io/official_releases/qt/ (and https://code.qt.io/);
of PySide6/shiboken6 {qt_version}: https://download.qt.io/official_releases/QtForPython/ and
https://code.qt.io/pyside/pyside-setup.git. On request we provide the exact sources used for a
release for at least three years from its date.

psycopg and psycopg-binary (the PostgreSQL client) are LGPL-3.0 too, under the same terms: they are
the replaceable files ``_internal/psycopg/``, ``_internal/psycopg_binary/`` and
``_internal/psycopg_binary.libs/`` (the wheel route: the ``psycopg`` and ``psycopg-binary`` wheels);
their sources are at https://github.com/psycopg/psycopg.
"""


def write_notices(out: Path) -> None:
    """THIRD_PARTY_NOTICES: CPython, Qt's LGPL section with its texts, then every shipped distribution's licence."""
    closure = bundle_closure()
    listing = json.loads(subprocess.run(
        [str(BIN / "pip-licenses"), "--from=mixed", "--with-urls", "--with-license-file", "--with-notice-file",
         "--no-license-path", "--with-system", "--format=json", "--packages", *closure],
        capture_output=True, text=True, check=True).stdout)
    entries = [f"--- {d['Name']} {d['Version']} ---\nLicence: {d['License']}\nHome page: {d['URL']}\n\n"
               + "\n\n".join(t for t in (d.get("LicenseText"), d.get("NoticeText")) if t and t != "UNKNOWN")
               for d in sorted(listing, key=lambda d: d["Name"].lower())]
    qt_version = closure.get("pyside6-essentials", "6")
    parts = [
        "Third-party software in ECG Studio\n==================================\n\n"
        "Generated by packaging/inventory.py from the distributions installed in the build environment\n"
        f"({len(closure)} runtime distributions; build tools and what the bundle leaves out are not listed),\n"
        "plus the Python runtime and Qt. The sample ECG records carry their own licences next to them\n"
        "(resources/samples/ATTRIBUTION.md).\n",
        f"Python {sys.version.split()[0]} (CPython) — PSF License\n" + "=" * 40 + "\n\n" + _python_licence(),
        qt_section(qt_version),
        *(f"{name} licence text (as distributed by the FSF)\n" + "-" * 50 + "\n\n" + path.read_text(encoding="utf-8")
          for name, path in LICENCE_TEXTS.items()),
        "Python distributions (name, version, licence, home page, licence and notice files)\n"
        "==================================================================================",
        *entries,
    ]
    out.write_text("\n\n".join(parts), encoding="utf-8")


def write_sbom(out: Path) -> None:
    """CycloneDX JSON of the build venv (cyclonedx-py), pruned to what the bundle ships."""
    raw = subprocess.run([str(BIN / "cyclonedx-py"), "environment", "--pyproject", str(PYPROJECT),
                          "--output-reproducible", "--of", "JSON", sys.executable],
                         capture_output=True, text=True, check=True).stdout
    bom = json.loads(raw)
    closure = bundle_closure()
    kept = [c for c in bom.get("components", []) if canonicalize_name(c["name"]) in closure]
    missing = set(closure) - {canonicalize_name(c["name"]) for c in kept}
    if missing:
        raise RuntimeError(f"cyclonedx-py did not report {sorted(missing)}")
    refs = {c["bom-ref"] for c in kept} | {bom["metadata"]["component"]["bom-ref"]}
    bom["components"] = kept
    bom["dependencies"] = [{**d, "dependsOn": [r for r in d.get("dependsOn", []) if r in refs]}
                           for d in bom.get("dependencies", []) if d["ref"] in refs]
    out.write_text(json.dumps(bom, indent=2) + "\n", encoding="utf-8")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(files: list[Path]) -> None:
    """``SHA256SUMS`` in each artefact's folder (``sha256sum -c`` format), one line per artefact."""
    by_folder: dict[Path, dict[str, str]] = {}
    for path in files:
        by_folder.setdefault(path.parent, {})[path.name] = sha256(path)
    for folder, sums in by_folder.items():
        listing = folder / "SHA256SUMS"
        previous = {}
        if listing.is_file():  # other artefacts of the same release keep their lines
            for line in listing.read_text(encoding="utf-8").splitlines():
                digest, _, name = line.partition("  ")
                if (folder / name).is_file():
                    previous[name] = digest
        previous.update(sums)
        listing.write_text("".join(f"{d}  {n}\n" for n, d in sorted(previous.items())), encoding="utf-8")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def glibc_floor(folder: Path) -> str:
    """The newest glibc symbol version any ELF file under *folder* requires (``readelf -V``)."""
    needed = set(re.findall(r"Name: GLIBC_([0-9.]+)", _readelf("-V", _elf_files(folder))))
    if not needed:
        raise RuntimeError(f"no ELF file under {folder} names a glibc version")
    return max(needed, key=_version_key)


def _elf_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and p.open("rb").read(4) == b"\x7fELF"]


def _readelf(flag: str, files: list[Path]) -> str:
    return "".join(subprocess.run(["readelf", flag, "--wide", *map(str, files[i:i + 200])],
                                  capture_output=True, text=True).stdout for i in range(0, len(files), 200))


def _system_library_paths() -> dict[str, str]:
    """``{soname: path}`` of the 64-bit libraries the dynamic loader knows (``ldconfig -p``)."""
    listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for soname, flags, path in re.findall(r"^\s+(\S+) \(([^)]*)\) => (\S+)$", listing, re.M):
        if "x86-64" in flags or "64bit" in flags:
            found.setdefault(soname, path)
    return found


def debian_depends(bundle: Path) -> str:
    """``Depends:`` for the .deb: the packages owning every library a file in the bundle needs
    (DT_NEEDED) that the bundle does not carry itself, with libc6 at the bundle's glibc floor.

    apt brings in what those packages need in turn. A library PyInstaller collected only for a file the
    spec then excluded (GTK3, for the GTK theme plugin) is not needed, so not depended on."""
    elves = _elf_files(bundle)
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", _readelf("-d", elves)))
    carried = {p.name for p in bundle.rglob("*.so*")}
    system = _system_library_paths()
    unresolved = sorted(n for n in needed - carried if n not in system)
    if unresolved:
        print(f"warning: no system library for {unresolved}", file=sys.stderr)
    queries = {alias for name in needed - carried if name in system
               for alias in (system[name], str(Path(system[name]).resolve()))}
    queries |= {q.replace("/usr/lib/", "/lib/", 1) for q in queries} | {q.replace("/lib/", "/usr/lib/", 1) for q in queries}
    listing = subprocess.run(["dpkg-query", "-S", *sorted(queries)], capture_output=True, text=True).stdout if queries else ""
    packages = {owner.split(":")[0] for line in listing.splitlines() if ": " in line
                for owner in line.split(": ", 1)[0].split(", ")}
    packages.discard("libc6")
    packages.update(LOADED_AT_RUN_TIME)
    return ", ".join([f"libc6 (>= {glibc_floor(bundle)})", *sorted(packages)])


#: what `make audit` writes beside its JSON report: one line a release checklist can quote
AUDIT_STATUS = "pip-audit.status.txt"


def audit_summary(report: dict) -> tuple[str, int]:
    """The verdict on a pip-audit JSON report, in words, and the exit status.

    1 when a vulnerability is known; 3 when some pins could not be looked up (here: no network to a
    vulnerability service; pip-audit then reports each pin as skipped, which must never read as "no
    known vulnerabilities"); 0 only when every pin was checked and none is known to be vulnerable."""
    dependencies = report["dependencies"]
    skipped = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    checked = len(dependencies) - len(skipped)
    found = [f"{d['name']} {d['version']}: {', '.join(v['id'] for v in d['vulns'])}" for d in vulnerable]
    why = f" (pip-audit: {skipped[0]['skip_reason']})" if skipped else ""
    if vulnerable:
        verdict = (f"VULNERABLE: {len(found)} of the {checked} pins checked have known vulnerabilities"
                   + (f"; {len(skipped)} more NOT CHECKED{why}" if skipped else "") + "\n  " + "\n  ".join(found))
        return verdict, 1
    if not checked:
        return (f"NOT CHECKED (no network): none of the {len(dependencies)} pinned distributions could be looked up, "
                f"as happens when the vulnerability service cannot be reached{why}. This is no result, not a clean one: run `make "
                f"audit` on a connected machine (packaging/README.md, \"Vulnerability scan\")."), 3
    if skipped:
        return (f"PARTLY CHECKED: {checked} of {len(dependencies)} pins checked, no known vulnerability among them; "
                f"{len(skipped)} NOT CHECKED{why}: {', '.join(d['name'] for d in skipped)}"), 3
    return f"checked: all {checked} pinned distributions, no known vulnerabilities", 0


def audit(out: Path, service: str = "pypi") -> int:
    """pip-audit over the pinned runtime closure with ``service``'s vulnerability data (``pypi`` or
    ``osv``); prints the verdict and writes it to :data:`AUDIT_STATUS` beside ``out``, dated."""
    from datetime import datetime, timezone

    pins = out.with_suffix(".requirements.txt")
    write_requirements(pins)
    done = subprocess.run([str(BIN / "pip-audit"), "-r", str(pins), "--no-deps", "--disable-pip", "--progress-spinner",
                           "off", "--vulnerability-service", service, "--format", "json", "-o", str(out)],
                          capture_output=True, text=True)
    try:
        report = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # pip-audit stopped before writing a report (e.g. the service refused)
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        verdict, status = f"NOT CHECKED: pip-audit wrote no report (exit {done.returncode}): {detail}", 3
    else:
        verdict, status = audit_summary(report)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    line = f"pip-audit ({service} vulnerability data), {when}, pins {pins.name}: {verdict}"
    (out.parent / AUDIT_STATUS).write_text(line + "\n", encoding="utf-8")
    print(line)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/inventory.py", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("requirements", "notices", "sbom", "checksums", "glibc-floor", "debian-depends", "audit"))
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi",
                        help="audit: whose vulnerability data pip-audit asks (default: PyPI's)")
    args = parser.parse_args(argv)
    if args.what == "checksums":
        write_checksums(args.paths)
    elif args.what == "audit":
        return audit(args.paths[0], args.service)
    elif args.what == "glibc-floor":
        print(glibc_floor(args.paths[0]))
    elif args.what == "debian-depends":
        print(debian_depends(args.paths[0]))
    else:
        {"requirements": write_requirements, "notices": write_notices, "sbom": write_sbom}[args.what](args.paths[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
