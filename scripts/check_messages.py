"""Fail when a translation catalogue is out of date, incomplete or broken.

CI runs this (.ci/run). It runs ``scripts/messages`` (makemessages) in a scratch copy of
the work tree and compares: every msgid the source has must be in the committed
catalogue, and the catalogue must hold nothing the source no longer has. Every entry of
every committed catalogue must be translated (each plural form), none fuzzy, and each
catalogue must compile with ``msgfmt --check``. Fix with ``scripts/messages``, then
translate.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("it", "pl", "es", "de")


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name]


def keys(po: Path) -> dict[tuple[str | None, str], object]:
    with po.open("rb") as source:
        catalog = read_po(source)
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0]): message
        for message in catalog
        if message.id
    }


def problems_in(po: Path) -> list[str]:
    found = []
    for (context, msgid), message in keys(po).items():
        label = f"{po.relative_to(ROOT)}: {msgid!r}" + (
            f" (context {context!r})" if context else ""
        )
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"{label}: fuzzy")
        elif not all(strings):
            found.append(f"{label}: untranslated")
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    if result.returncode != 0:
        found.append(f"{po.relative_to(ROOT)}: msgfmt --check failed:\n{result.stderr.strip()}")
    return found


def main() -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        for name in tracked_files():
            source = ROOT / name
            if source.is_file():
                target = scratch / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        (scratch / ".venv").symlink_to(ROOT / ".venv")
        subprocess.run(
            ["bash", "scripts/messages"], cwd=scratch, check=True, stdout=subprocess.DEVNULL
        )
        fresh_catalogues = sorted(scratch.glob("**/locale/*/LC_MESSAGES/django.po"))
        fresh_names = {p.relative_to(scratch) for p in fresh_catalogues}
        for fresh in fresh_catalogues:
            name = fresh.relative_to(scratch)
            committed = ROOT / name
            if not committed.exists():
                problems.append(f"{name}: missing (run scripts/messages, then translate)")
                continue
            wanted, have = keys(fresh), keys(committed)
            for _context, msgid in sorted(set(wanted) - set(have), key=str):
                problems.append(f"{name}: lacks {msgid!r} (run scripts/messages)")
            for _context, msgid in sorted(set(have) - set(wanted), key=str):
                problems.append(f"{name}: {msgid!r} is no longer in the source")
        for committed in sorted(ROOT.glob("**/locale/*/LC_MESSAGES/django.po")):
            if ".venv" in committed.parts:
                continue
            name = committed.relative_to(ROOT)
            if name not in fresh_names:
                problems.append(f"{name}: the source has no strings for it any more")
            problems.extend(problems_in(committed))
        languages = {p.parent.parent.name for p in fresh_catalogues}
        for missing in sorted(set(LANGUAGES) - languages):
            problems.append(f"no catalogue for {missing}")
    for problem in problems:
        print(problem)
    count = sum(
        len(keys(p))
        for p in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
        if ".venv" not in p.parts
    )
    print(f"translation catalogues: {count} entries checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
