#!/usr/bin/env python3
"""Fill a gettext catalogue's empty translations from a JSON object, or list them.

    scripts/po_fill.py --list wavetag/locale/zh_Hans/LC_MESSAGES/django.po > todo.json
    (write each msgstr into todo.json's values)
    scripts/po_fill.py wavetag/locale/zh_Hans/LC_MESSAGES/django.po todo.json
    scripts/messages.sh   # merges, re-wraps and compiles

Only empty (or fuzzy) entries are filled; a plural entry takes the one Chinese form. An
entry with a context (msgctxt) is keyed "context\u0004msgid", as gettext keys it.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def parse(path: Path) -> list[dict]:
    """Entries in file order: {'lines': [...], 'msgid', 'plural', 'msgstr': [...], 'fuzzy'}."""
    entries: list[dict] = []
    cur: dict = {"comments": [], "ctxt": None, "msgid": None, "plural": None, "msgstr": {}}
    cur["key"] = None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur["msgid"] is not None:
                entries.append(cur)
            cur = {"comments": [], "ctxt": None, "msgid": None, "plural": None, "msgstr": {}}
            cur["key"] = None
            continue
        if line.startswith("#"):
            cur["comments"].append(raw)
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            key = cur["key"]
            if key == "msgctxt":
                cur["ctxt"] += value
            elif key == "msgid":
                cur["msgid"] += value
            elif key == "msgid_plural":
                cur["plural"] += value
            else:
                cur["msgstr"][key] += value
            continue
        word, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if word == "msgctxt":
            cur["ctxt"], cur["key"] = value, "msgctxt"
        elif word == "msgid":
            cur["msgid"], cur["key"] = value, "msgid"
        elif word == "msgid_plural":
            cur["plural"], cur["key"] = value, "msgid_plural"
        elif word.startswith("msgstr"):
            index = int(word[7:-1]) if word.startswith("msgstr[") else 0
            cur["msgstr"][index] = value
            cur["key"] = index
    return entries


def key(entry: dict) -> str:
    """The entry's key in gettext's catalogue (and in the JSON tables): its context, if it
    has one, and its msgid, joined by EOT."""
    return entry["msgid"] if entry["ctxt"] is None else f"{entry['ctxt']}\x04{entry['msgid']}"


def untranslated(entry: dict) -> bool:
    fuzzy = any(c.startswith("#,") and "fuzzy" in c for c in entry["comments"])
    return entry["msgid"] != "" and (fuzzy or not all(entry["msgstr"].values()))


def write(path: Path, entries: list[dict]) -> None:
    out: list[str] = []
    for e in entries:
        out.extend(e["comments"])
        if e["ctxt"] is not None:
            out.append(f"msgctxt {_quote(e['ctxt'])}")
        out.append(f"msgid {_quote(e['msgid'])}")
        if e["plural"] is not None:
            out.append(f"msgid_plural {_quote(e['plural'])}")
            for i, s in sorted(e["msgstr"].items()):
                out.append(f"msgstr[{i}] {_quote(s)}")
        else:
            out.append(f"msgstr {_quote(e['msgstr'][0])}")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        todo = {key(e): "" for e in parse(Path(argv[1])) if untranslated(e)}
        json.dump(todo, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    po, table = Path(argv[0]), json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    entries = parse(po)
    filled = 0
    for e in entries:
        text = table.get(key(e))
        if text and untranslated(e):
            e["msgstr"] = {i: text for i in e["msgstr"]}
            # No longer fuzzy: the flag goes, and so do msgmerge's notes of the old msgid (#|).
            flags = (
                c.replace(", fuzzy", "") if c.startswith("#,") else c
                for c in e["comments"]
                if not c.startswith("#|")
            )
            e["comments"] = [c for c in flags if c.strip() not in ("#", "#,")]
            filled += 1
    write(po, entries)
    left = sum(1 for e in entries if untranslated(e))
    print(f"{po}: {filled} filled, {left} still empty", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
