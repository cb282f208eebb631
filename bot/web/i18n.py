"""The console's own words in English and Vietnamese, chosen per account. Its catalog
(``bot/web/locale/vi/LC_MESSAGES/*.po``, one file per part of the console) is separate
from the readers' one and is compiled in memory with Babel on first use, with
``digests.i18n.compiled``."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel.support import NullTranslations, Translations

from digests.i18n import compiled

DOMAIN = "console"
LANGUAGES = ("en", "vi")
LANGUAGE_NAMES = {"en": "English", "vi": "Tiếng Việt"}

# The language of the page being made; templates and handlers read it through ``_``.
current_language: ContextVar[str] = ContextVar("console_language", default="en")


@cache
def translations(language: str) -> NullTranslations:
    """Every ``*.po`` file of the language's folder, merged (one file per part of the
    console, so each part's words are kept beside each other)."""
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    folder = resources.files("bot.web").joinpath(f"locale/{language}/LC_MESSAGES")
    merged = Translations(domain=DOMAIN)
    for po in sorted((f for f in folder.iterdir() if f.name.endswith(".po")), key=str):
        part = compiled(po, language, DOMAIN)
        merged.merge(part)
        merged.plural = part.plural  # merge() keeps the empty catalog's English rule
    return merged


def gettext(message: str, **params: object) -> str:
    """``message`` in the current page's language, its ``%(name)s`` filled in."""
    text = translations(current_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext
