"""Generated sections of Markdown pages (docs/RESULTS.md): each command rewrites only its own section.

A section is delimited by ``<!-- section:NAME (generated; replaced on rerun) -->`` and
``<!-- /section:NAME -->``; rerunning one table leaves the others as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

from training.atomic import atomic_write


def section_marks(name: str) -> tuple[str, str]:
    return f"<!-- section:{name} (generated; replaced on rerun) -->", f"<!-- /section:{name} -->"


def sections(text: str) -> str:
    """Every delimited section of ``text``, in order (kept when the main table is regenerated)."""
    return "".join(f"\n{m.group(0)}\n" for m in re.finditer(r"<!-- section:(\S+) .*?<!-- /section:\1 -->", text, re.S))


def write_section(out: str | Path, name: str, text: str) -> Path:
    """Put ``text`` between the ``name`` section's markers in ``out``: replaced if present, else appended."""
    out = Path(out)
    begin, end = section_marks(name)
    block = f"{begin}\n{text.strip()}\n{end}"
    old = out.read_text(encoding="utf-8") if out.is_file() else ""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else f"{old.rstrip()}\n\n{block}\n".lstrip()
    atomic_write({out: new.encode("utf-8")})
    return out


#: fewer seeds than this cannot show whether a difference between settings is more than seed noise
MIN_SEEDS = 3


def seeds_note(n_seeds: int) -> str:
    """The sentence a table comparing settings carries about its seeds."""
    if n_seeds < MIN_SEEDS:
        return (f"- **{n_seeds} seed{'s' if n_seeds > 1 else ''} only: without at least {MIN_SEEDS} there is no "
                "usable seed spread, and these rows show nothing about which setting is better.**")
    return (f"- {n_seeds} seeds: a difference smaller than the seed spread (and than the test intervals) is not "
            "evidence either way.")
