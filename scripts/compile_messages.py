"""Compile every translation catalogue (.po) into the .mo that Django reads.

Run at set-up by scripts/serve and scripts/test (and in production, README). Babel does
the work, so no system gettext is needed on a fresh machine. A catalogue is compiled only
when its .po is newer than its .mo. Fuzzy entries are left out, as msgfmt does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def catalogues() -> list[Path]:
    return sorted(
        p
        for p in ROOT.glob("**/locale/*/LC_MESSAGES/*.po")
        if ".venv" not in p.parts and "data" not in p.relative_to(ROOT).parts[:1]
    )


def compile_all(force: bool = False) -> int:
    compiled = 0
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        compiled += 1
    return compiled


if __name__ == "__main__":
    count = compile_all(force="--force" in sys.argv)
    if count:
        print(f"compiled {count} translation catalogue(s)")
