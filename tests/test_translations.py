"""The Chinese catalogue is complete, compiled from the current .po, and used by default."""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def parse_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr (msgstr[0] for plurals) of a .po file; fuzzy entries are kept with a
    '#fuzzy ' prefix on the msgstr so the test can see them. A message with a context is keyed
    "context\x04msgid", as gettext stores it."""
    entries: dict[str, str] = {}
    msgid = msgstr = context = None
    fuzzy = False
    current = None

    def flush():
        if msgid:  # the header has an empty msgid
            key = f"{context}\x04{msgid}" if context else msgid
            entries[key] = ("#fuzzy " if fuzzy else "") + (msgstr or "")

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            flush()
            msgid = msgstr = context = None
            fuzzy = False
            current = None
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            context = ast.literal_eval(line[8:])
        elif line.startswith("msgid "):
            msgid, current = ast.literal_eval(line[6:]), "msgid"
        elif line.startswith("msgid_plural "):
            current = "plural"
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            msgstr, current = ast.literal_eval(line.split(" ", 1)[1]), "msgstr"
        elif line.startswith("msgstr["):
            current = "other"
        elif line.startswith('"'):
            if current == "msgid":
                msgid += ast.literal_eval(line)
            elif current == "msgstr":
                msgstr += ast.literal_eval(line)
    return entries


def test_every_message_is_translated():
    entries = parse_po(LOCALE / "django.po")
    assert len(entries) > 300
    missing = [m for m, s in entries.items() if not s or s.startswith("#fuzzy")]
    assert missing == []


def test_compiled_catalogue_matches_the_po_file():
    with open(LOCALE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    def compiled_text(key: str) -> str:
        if "\x04" in key:
            context, msgid = key.split("\x04", 1)
            return compiled.pgettext(context, msgid)
        return compiled.gettext(key)

    stale = [m for m, s in parse_po(LOCALE / "django.po").items() if compiled_text(m) != s]
    assert stale == [], "run `make messages` to recompile the catalogue"


@pytest.mark.django_db
def test_pages_are_chinese_by_default(client):
    page = client.get(reverse("portal:home")).content.decode()
    assert "产教融合重大平台载体和实训基地揭榜管理系统" in page
    english = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Industry-Education Integration Platforms: Open Call System" in english
