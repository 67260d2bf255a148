"""The Finnish catalog is complete, and the compiled .mo matches its .po."""

import ast
import gettext
from pathlib import Path

import boxoffice

LOCALE = Path(boxoffice.__file__).parent / "locale" / "fi" / "LC_MESSAGES"


def _po_entries(path: Path) -> list[dict[str, object]]:
    """A minimal .po reader: msgid, msgid_plural, msgstr(s) and flags per entry."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key = ""
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, key = {}, ""
        elif line.startswith("#,"):
            entry["flags"] = line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] = str(entry[key]) + ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return entries


def test_every_finnish_message_is_translated_and_not_fuzzy() -> None:
    entries = [e for e in _po_entries(LOCALE / "django.po") if e["msgid"]]
    assert len(entries) > 200
    untranslated = [
        e["msgid"] for e in entries if not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in str(e.get("flags", ""))]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalog_matches_the_source() -> None:
    with (LOCALE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in _po_entries(LOCALE / "django.po"):
        msgid = str(entry["msgid"])
        if not msgid or "msgid_plural" in entry or "msgctxt" in entry:
            continue
        got = compiled.gettext(msgid)
        assert got == entry["msgstr"], f"django.mo is stale for {msgid!r}: run `make messages`"
