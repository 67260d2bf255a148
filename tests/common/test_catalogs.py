"""The Finnish and Swedish catalogs are complete, keep every placeholder, and are compiled.

A string left empty or fuzzy shows in English to a Finnish or Swedish reader (gettext falls back
to the msgid; Django drops fuzzy entries when compiling), and a lost or misspelt placeholder is
a KeyError at the moment the sentence is shown. The .po files are read by the small parser below
(polib is not a dependency), and the compiled .mo is compared with them entry by entry, so a
translation edited without `compilemessages` fails here rather than silently in production.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import boxoffice

LOCALE = Path(boxoffice.__file__).resolve().parent / "locale"
TRANSLATED = ("fi", "sv")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 when singular)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete "#~" ones left out), header included."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#,"):
            if started:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue  # references, comments, obsolete entries
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: a string continues nothing"
            _append(entry, target, ast.literal_eval(line))
            continue
        text = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid") and (entry.msgid or entry.msgstr):
            finish()
        if not started:
            entry.line, started = number, True
        if keyword == "msgctxt":
            entry.msgctxt, target = text, ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, target = text, ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = text, ("msgid_plural", 0)
        elif keyword == "msgstr":
            entry.msgstr[0], target = text, ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            index = int(match.group(1))
            entry.msgstr[index], target = text, ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    elif name == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif name == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        entry.msgid += text


def messages(language: str) -> list[Entry]:
    return [e for e in parse_po(LOCALE / language / "LC_MESSAGES" / "django.po") if e.msgid]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def where(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_and_none_is_fuzzy(language: str) -> None:
    entries = messages(language)
    assert len(entries) > 500  # the parser read the catalog, not an empty file
    forms = 2 if any(e.msgid_plural for e in entries) else 1
    problems = [
        where(e)
        for e in entries
        if "fuzzy" in e.flags
        or not e.msgstr
        or any(not text for text in e.msgstr.values())
        or (e.msgid_plural is not None and len(e.msgstr) < forms)
    ]
    assert problems == [], f"{language}: untranslated or fuzzy:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_msgid(language: str) -> None:
    problems = []
    for e in messages(language):
        if e.msgid_plural is None:
            if placeholders(e.msgstr.get(0, "")) != placeholders(e.msgid):
                problems.append(where(e))
            continue
        # A singular form may leave the count out ("Only your most recent order"), but may not
        # name a value the msgids do not give; the other forms say what the plural msgid says.
        given = placeholders(e.msgid) | placeholders(e.msgid_plural)
        for index, text in e.msgstr.items():
            found = placeholders(text)
            if not found <= given or (index > 0 and found != placeholders(e.msgid_plural)):
                problems.append(f"{where(e)} [{index}]")
    assert problems == [], f"{language}: placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_has_every_string_of_the_source(language: str) -> None:
    # The English catalog is the list of msgids makemessages found; each language has them all.
    source = {(e.msgctxt, e.msgid) for e in messages("en")}
    assert source - {(e.msgctxt, e.msgid) for e in messages(language)} == set()


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_matches_the_po_file(language: str) -> None:
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in messages(language):
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        for index, text in e.msgstr.items():
            got = compiled._catalog.get(key if e.msgid_plural is None else (key, index))  # type: ignore[attr-defined]
            if got != text:
                stale.append(f"{where(e)} [{index}]")
    assert stale == [], (
        f"{language}: django.mo is older than django.po (run compilemessages):\n" + "\n".join(stale)
    )


def test_the_parser_reads_flags_plurals_and_continued_strings(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: sv\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "a %(n)s"\nmsgstr "b "\n"%(n)s"\n\n'
        'msgid "one"\nmsgid_plural "many %(n)s"\nmsgstr[0] "en"\nmsgstr[1] ""\n\n'
        '#~ msgid "old"\n#~ msgstr "gammal"\n',
        encoding="utf-8",
    )
    header, fuzzy, plural = parse_po(po)
    assert (header.msgid, header.msgstr) == ("", {0: "Language: sv\n"})
    assert (fuzzy.flags, fuzzy.msgid, fuzzy.msgstr) == (
        {"fuzzy", "python-format"},
        "a %(n)s",
        {0: "b %(n)s"},
    )
    assert (plural.msgid_plural, plural.msgstr, plural.flags) == (
        "many %(n)s",
        {0: "en", 1: ""},
        set(),
    )
