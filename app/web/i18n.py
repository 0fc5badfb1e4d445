"""The pages' texts in German and English, and which of the two a request gets.

Babel is not installed in this environment, so the catalog is a plain dictionary per
language rather than gettext ``.po`` files; templates call ``_("key")`` all the same, so a
later move to Babel and Jinja2's i18n extension changes this module and not the templates.
German is the default: the first users are German organisations. The language is chosen by
``?lang=de|en`` (remembered in a cookie), else the cookie, else ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from starlette.requests import Request

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")
DEFAULT_LANGUAGE: Language = "de"
LANGUAGE_COOKIE = "lernraum_lang"
LANGUAGE_COOKIE_MAX_AGE_S = 365 * 24 * 3600

CATALOG: dict[Language, dict[str, str]] = {
    "de": {
        "language.switch": "Sprache",
        "language.other": "English",
        "join.title": "Workshop beitreten",
        "join.code": "Beitrittscode",
        "join.code_hint": "Zehn Zeichen, z. B. 7KQ2M-XD4PA",
        "join.look_up": "Weiter",
        "join.name": "Ihr Name",
        "join.agreement": "Arbeitsvereinbarung",
        "join.accept": "Ich habe die Arbeitsvereinbarung gelesen und halte mich daran.",
        "join.submit": "Beitreten",
        "join.attribute.organisation": "Organisation (freiwillig)",
        "join.attribute.department": "Abteilung (freiwillig)",
        "join.attribute.generation": "Generation (freiwillig)",
        "join.status.locked": "Der Beitritt ist gerade gesperrt.",
        "join.status.ended": "Dieser Workshop ist beendet.",
        "join.working": "Einen Moment …",
        "error.unknown_join_code": "Diesen Code oder Link kennen wir nicht.",
        "error.joining_locked": "Der Beitritt ist gerade gesperrt.",
        "error.workshop_ended": "Dieser Workshop ist beendet.",
        "error.participant_removed": "Sie wurden aus diesem Workshop entfernt.",
        "error.agreement_required": "Bitte bestätigen Sie die Arbeitsvereinbarung.",
        "error.invalid_argument": "Bitte geben Sie einen Namen mit höchstens 60 Zeichen ein.",
        "error.throttled": "Zu viele Versuche. Bitte warten Sie kurz.",
        "error.network": "Keine Verbindung zum Server.",
        "error.generic": "Das hat nicht geklappt.",
        "error.not_authenticated": "Ihre Anmeldung ist ungültig. Bitte treten Sie neu bei.",
        "error.forbidden": "Kein Zugang zu diesem Workshop.",
        "error.no_such_workshop": "Diesen Workshop gibt es nicht.",
        "error.action_not_allowed": "Das ist in diesem Schritt nicht vorgesehen.",
        "error.rate_limited": "Zu schnell. Bitte kurz warten.",
        "room.title": "Workshop-Raum",
        "room.no_token": "Sie sind diesem Workshop noch nicht beigetreten.",
        "room.join_link": "Zum Beitritt",
        "room.state.connecting": "Verbinde …",
        "room.state.online": "Verbunden",
        "room.state.offline": "Verbindung unterbrochen – neuer Versuch …",
        "room.state.closed": "Getrennt",
        "room.lobby": "Der Workshop hat noch nicht begonnen.",
        "room.paused": "Pause",
        "room.ended": "Der Workshop ist beendet. Danke!",
        "room.step": "Schritt",
        "room.time_left": "Verbleibende Zeit",
        "room.overtime": "Zeit ist um",
        "room.next": "Danach",
        "room.group": "Ihre Gruppe",
        "room.plenary": "Plenum",
        "room.role": "Ihre Rolle",
        "room.board": "Board",
        "room.no_items": "Noch keine Notizen.",
        "room.note": "Notiz",
        "room.post": "Notiz anheften",
        "room.done": "Ich bin fertig",
        "room.undone": "Doch nicht fertig",
        "room.hand": "Hand heben",
        "room.hand_down": "Hand senken",
        "room.done_count": "fertig",
        "room.dot": "Punkt geben",
        "room.dots_left": "Punkte übrig",
        "room.you": "Sie",
    },
    "en": {
        "language.switch": "Language",
        "language.other": "Deutsch",
        "join.title": "Join a workshop",
        "join.code": "Join code",
        "join.code_hint": "Ten characters, e.g. 7KQ2M-XD4PA",
        "join.look_up": "Continue",
        "join.name": "Your name",
        "join.agreement": "Working agreement",
        "join.accept": "I have read the working agreement and will keep to it.",
        "join.submit": "Join",
        "join.attribute.organisation": "Organisation (optional)",
        "join.attribute.department": "Department (optional)",
        "join.attribute.generation": "Generation (optional)",
        "join.status.locked": "Joining is locked right now.",
        "join.status.ended": "This workshop has ended.",
        "join.working": "One moment …",
        "error.unknown_join_code": "We do not know this code or link.",
        "error.joining_locked": "Joining is locked right now.",
        "error.workshop_ended": "This workshop has ended.",
        "error.participant_removed": "You were removed from this workshop.",
        "error.agreement_required": "Please accept the working agreement.",
        "error.invalid_argument": "Please enter a name of at most 60 characters.",
        "error.throttled": "Too many attempts. Please wait a moment.",
        "error.network": "No connection to the server.",
        "error.generic": "That did not work.",
        "error.not_authenticated": "Your sign-in is not valid. Please join again.",
        "error.forbidden": "No access to this workshop.",
        "error.no_such_workshop": "This workshop does not exist.",
        "error.action_not_allowed": "That is not part of this step.",
        "error.rate_limited": "Too fast. Please wait a moment.",
        "room.title": "Workshop room",
        "room.no_token": "You have not joined this workshop yet.",
        "room.join_link": "Join",
        "room.state.connecting": "Connecting …",
        "room.state.online": "Connected",
        "room.state.offline": "Connection lost – trying again …",
        "room.state.closed": "Disconnected",
        "room.lobby": "The workshop has not started yet.",
        "room.paused": "Paused",
        "room.ended": "The workshop has ended. Thank you!",
        "room.step": "Step",
        "room.time_left": "Time left",
        "room.overtime": "Time is up",
        "room.next": "Next",
        "room.group": "Your group",
        "room.plenary": "Plenary",
        "room.role": "Your role",
        "room.board": "Board",
        "room.no_items": "No notes yet.",
        "room.note": "Note",
        "room.post": "Post note",
        "room.done": "I'm done",
        "room.undone": "Not done after all",
        "room.hand": "Raise hand",
        "room.hand_down": "Lower hand",
        "room.done_count": "done",
        "room.dot": "Give a dot",
        "room.dots_left": "dots left",
        "room.you": "you",
    },
}


def translate(language: Language, key: str) -> str:
    """The text for ``key`` in ``language``; the key itself when it is missing (visible)."""
    return CATALOG[language].get(key, key)


def texts_with_prefix(language: Language, *prefixes: str) -> dict[str, str]:
    """The catalog entries whose keys start with one of ``prefixes`` (for the scripts)."""
    return {
        key: value
        for key, value in CATALOG[language].items()
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
