"""Every string a person reads is translated: the Chinese catalogue is complete, current and has
no fuzzy entries."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "dandang" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def parse_po(path: Path) -> list[dict[str, object]]:
    """A small reader for the .po format: entries with msgid, msgid_plural, msgstr(s) and flags."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = None

    def flush() -> None:
        if "msgid" in current:
            entries.append(dict(current))
        current.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            key = None
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:].strip()
            continue
        if line.startswith("#~"):
            current["obsolete"] = True
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
        if m:
            if m.group(1) in ("msgid", "msgctxt") and "msgid" in current and key not in ("msgctxt",):
                flush()
            key = m.group(1)
            current[key] = m.group(2)
        elif line.startswith('"') and key:
            current[key] = str(current[key]) + line[1:-1]
    flush()
    return [e for e in entries if e.get("msgid") != "" and not e.get("obsolete")]


def test_chinese_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    problems = []
    for e in parse_po(PO):
        strs = [v for k, v in e.items() if k.startswith("msgstr")]
        if "fuzzy" in str(e.get("flags", "")):
            problems.append(f"fuzzy: {e['msgid']!r}")
        elif not strs or any(s == "" for s in strs):
            problems.append(f"untranslated: {e['msgid']!r}")
    assert not problems, "\n".join(problems[:50])


def test_chinese_catalogue_is_current(tmp_path: Path) -> None:
    """Extract the messages from a copy of the code; every one must be in the catalogue."""
    work = tmp_path / "src"
    shutil.copytree(ROOT / "dandang", work / "dandang", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copytree(ROOT / "config", work / "config", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    po = work / "dandang" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po.unlink()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=work,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DANDANG_VAR_DIR": str(tmp_path)},
    )
    extracted = {(e.get("msgctxt"), e["msgid"]) for e in parse_po(po)}
    catalogue = {(e.get("msgctxt"), e["msgid"]) for e in parse_po(PO)}
    missing = sorted(str(m[1]) for m in extracted - catalogue)
    assert not missing, "strings missing from the Chinese catalogue (run makemessages and translate):\n" + "\n".join(
        missing[:50]
    )
