"""The pages' texts in German and English, and which of the two a request gets.

Texts live in gettext catalogs, ``app/locale/<language>/LC_MESSAGES/<area>.po``, read with
Babel. Each area of the product (joining, the room, the console, ...) keeps its own file;
every ``.po`` file of a language is merged into that language's catalog when it is first
needed, so no compile step stands between editing a text and serving it. Message ids are
dotted keys (``room.post``) rather than English sentences: the same keys reach the scripts,
which look texts up by key. German is the default: the first users are German
organisations. The language is chosen by ``?lang=de|en`` (remembered in a cookie), else the
cookie, else ``Accept-Language``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")
DEFAULT_LANGUAGE: Language = "de"
LANGUAGE_COOKIE = "lernraum_lang"
LANGUAGE_COOKIE_MAX_AGE_S = 365 * 24 * 3600
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


class CatalogError(ValueError):
    """A catalog file is broken: a key defined twice, or a text left empty."""


def catalog_files(language: Language) -> list[Path]:
    """The ``.po`` files of ``language``, in a stable order."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


def read_catalog(language: Language, paths: list[Path]) -> dict[str, str]:
    """The texts of ``paths`` merged into one mapping; a key may be defined only once."""
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in paths:
        with path.open("rb") as handle:
            messages = read_po(handle, locale=language)
        for message in messages:
            key = message.id
            if not key:
                continue
            if not isinstance(key, str) or not isinstance(message.string, str):
                raise CatalogError(f"{path.name}: {key!r} has plural forms, which are not used")
            if not message.string:
                raise CatalogError(f"{path.name}: {key!r} has no text")
            if key in merged:
                raise CatalogError(f"{path.name}: {key!r} is also defined in {origin[key]}")
            merged[key] = message.string
            origin[key] = path.name
    return merged


@cache
def catalog(language: Language) -> Mapping[str, str]:
    """Every text of ``language``, merged from all its area files."""
    return read_catalog(language, catalog_files(language))


def translate(language: Language, key: str) -> str:
    """The text for ``key`` in ``language``; the key itself when it is missing (visible)."""
    return catalog(language).get(key, key)


def texts_with_prefix(language: Language, *prefixes: str) -> dict[str, str]:
    """The catalog entries whose keys start with one of ``prefixes`` (for the scripts)."""
    return {
        key: value
        for key, value in catalog(language).items()
        if any(key.startswith(prefix) for prefix in prefixes)
    }


def _from_accept_language(header: str) -> Language | None:
    best: tuple[float, Language] | None = None
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, primary)
    return best[1] if best else None


def chosen_language(request: Request) -> tuple[Language, bool]:
    """The request's language, and whether it was asked for explicitly (``?lang=``)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie, False
    header = request.headers.get("accept-language", "")
    return _from_accept_language(header) or DEFAULT_LANGUAGE, False


def template_context(request: Request) -> dict[str, object]:
    """A Jinja2 context processor: ``lang``, ``other_lang`` and ``_`` for every page."""
    language, _asked = chosen_language(request)
    other: Language = "en" if language == "de" else "de"
    gettext: Callable[[str], str] = lambda key: translate(language, key)  # noqa: E731
    return {"lang": language, "other_lang": other, "_": gettext}


def remember_language(request: Request, response: Response) -> None:
    """Keep a language asked for with ``?lang=`` in a cookie, for the pages that follow."""
    language, asked = chosen_language(request)
    if asked:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_MAX_AGE_S,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def json_block(value: object) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    # safe: every character that could end the element or start markup is escaped above
    return Markup(escaped)
