"""Every interface string has a Spanish translation, and the compiled catalogue is the one Django serves."""

import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _entries() -> list[tuple[str, str, str]]:
    entries = []
    for block in PO.read_text().split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block, re.MULTILINE)
        if found:
            msgid = "".join(re.findall(r'"(.*)"', found.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', found.group(2)))
            entries.append((msgid, msgstr, block))
    return entries


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = [entry for entry in _entries() if entry[0]]
    assert len(entries) > 150
    assert [msgid for msgid, msgstr, _block in entries if not msgstr] == []
    assert [msgid for msgid, _msgstr, block in entries if "#, fuzzy" in block] == []


def test_the_compiled_catalogue_serves_the_translations():
    with translation.override("es"):
        for msgid, msgstr, _block in _entries()[1:]:
            if "%" not in msgid and "{" not in msgid:
                assert translation.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"'), msgid
