"""The gettext catalogs: complete in both languages, every key a page uses exists, and a
broken catalog is refused rather than served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.web.i18n import LANGUAGES, CatalogError, catalog, catalog_files, read_catalog

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_KEY = re.compile(r"""_\(\s*['"]([a-z0-9_.-]+)['"]\s*\)""")


def test_both_languages_have_the_same_texts_in_the_same_files():
    """Every text exists in German and in English, in the area file of the same name."""
    german, english = (catalog(language) for language in LANGUAGES)
    assert german and set(german) == set(english)
    assert [path.name for path in catalog_files("de")] == [
        path.name for path in catalog_files("en")
    ]


def test_every_key_a_template_uses_is_in_the_catalog():
    """A key a template asks for but the catalog lacks would show up as the bare key."""
    used = {
        key
        for template in (ROOT / "templates").rglob("*.html")
        for key in TEMPLATE_KEY.findall(template.read_text(encoding="utf-8"))
    }
    assert used, "the templates use no texts at all?"
    for language in LANGUAGES:
        assert used - set(catalog(language)) == set(), language


def _po(path: Path, entries: dict[str, str]) -> Path:
    body = "".join(f'msgid "{key}"\nmsgstr "{text}"\n\n' for key, text in entries.items())
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n' + body)
    return path


def test_area_files_merge_into_one_catalog(tmp_path):
    first = _po(tmp_path / "a.po", {"a.one": "Eins"})
    second = _po(tmp_path / "b.po", {"b.two": "Zwei"})
    assert read_catalog("de", [first, second]) == {"a.one": "Eins", "b.two": "Zwei"}


def test_a_key_defined_in_two_files_is_refused(tmp_path):
    first = _po(tmp_path / "a.po", {"same.key": "Eins"})
    second = _po(tmp_path / "b.po", {"same.key": "Zwei"})
    with pytest.raises(CatalogError, match=r"b\.po: 'same\.key' is also defined in a\.po"):
        read_catalog("de", [first, second])


def test_an_empty_text_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="has no text"):
        read_catalog("en", [_po(tmp_path / "a.po", {"some.key": ""})])
