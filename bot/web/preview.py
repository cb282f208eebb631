"""The console's preview page: a digest as a reader will see it, for chosen categories,
platform and language (Telegram's HTML shown as Telegram shows it, Discord's embeds drawn as
Discord draws them).

The form is a GET, so a preview's address can be shared with a colleague. The digest is
``digests.preview.preview_digest`` (what ``digestbot preview`` prints); the messages are
drawn by ``bot.web.shown``. Choices that are no choice (an unknown category, platform,
language or zone, a field sent twice, far too many categories) answer 422 with one line,
and the form keeps what was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web
from multidict import MultiDictProxy

from bot.web import i18n, shown
from bot.web.context import console
from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route
from bot.web.shown_text import clean
from digests.errors import InputError
from digests.i18n import SUPPORTED_LANGUAGES
from digests.models import Category
from digests.preview import Preview, preview_digest
from digests.zones import resolve_zone

PLATFORMS = {"telegram": "Telegram", "discord": "Discord"}
# No IANA zone name is longer (the longest is 32); a longer field is no zone.
MAX_ZONE = 64
# Far more than any newsroom has; beyond it a request is refused before any lookup.
MAX_CATEGORIES = 200


@dataclass
class Choice:
    """What the form holds (as typed, cleaned for showing), and whether it was sent."""

    categories: list[str] = field(default_factory=list)
    platform: str = "telegram"
    language: str = "en"
    timezone: str = ""
    sent: bool = False


def _one(query: MultiDictProxy[str], name: str, default: str) -> str:
    values = query.getall(name, [])
    if len(values) > 1:
        raise InputError(_("The field “%(name)s” was sent more than once.", name=name))
    return clean(values[0]) if values else default


def read_choice(query: MultiDictProxy[str], default_language: str, default_zone: str) -> Choice:
    """The form's fields as typed; InputError for a field sent twice (pure)."""
    categories = query.getall("category", [])
    return Choice(
        categories=list(dict.fromkeys(clean(c[:100]) for c in categories[: MAX_CATEGORIES + 1])),
        platform=_one(query, "platform", "telegram")[:40],
        language=_one(query, "language", default_language)[:40],
        timezone=_one(query, "timezone", default_zone)[: MAX_ZONE + 1],
        sent=any(name in query for name in ("category", "platform", "language", "timezone")),
    )


def problem_of(choice: Choice, known: Sequence[str]) -> str | None:
    """Why these choices make no preview, in one line; None when they do (pure)."""
    if choice.platform not in PLATFORMS:
        return _("Choose a platform: Telegram or Discord.")
    if choice.language not in SUPPORTED_LANGUAGES:
        return _("Choose a language the digests are written in.")
    if not choice.categories:
        return _("Choose at least one category.")
    if len(choice.categories) > min(MAX_CATEGORIES, len(known)):
        return _("Too many categories: there are only %(n)s.", n=len(known))
    unknown = [slug for slug in choice.categories if slug not in known]
    if unknown:
        return _("There is no category “%(slug)s”.", slug=quoted(unknown[0]))
    return zone_problem(choice.timezone)


def zone_problem(text: str) -> str | None:
    """Why ``text`` is no time zone, with up to three close names; None when it is one."""
    zone, close = resolve_zone(text) if len(text) <= MAX_ZONE else (None, [])
    if zone is not None:
        return None
    if close:
        return _(
            "“%(zone)s” is not a time zone. Did you mean %(names)s?",
            zone=quoted(text),
            names=", ".join(close),
        )
    return _(
        "“%(zone)s” is not a time zone. Use a name such as Asia/Ho_Chi_Minh.", zone=quoted(text)
    )


def quoted(text: str, limit: int = 60) -> str:
    """A piece of the input for a message: short, and with invisible characters named."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(
        f"U+{ord(c):04X}" if not c.isprintable() or 0x202A <= ord(c) <= 0x206F else c for c in cut
    )


async def _preview(request: web.Request, choice: Choice) -> Preview:
    deps = console(request).deps
    return await preview_digest(
        deps.store,
        deps.renderer,
        deps.settings,
        categories=choice.categories,
        platform=choice.platform,
        now=deps.clock.now(),
        language=choice.language,
        timezone=choice.timezone,
    )


async def show(request: web.Request) -> web.StreamResponse:
    deps = console(request).deps
    categories = await deps.store.list_categories()
    settings = deps.settings
    problem: str | None = None
    result: Preview | None = None
    try:
        choice = read_choice(request.query, settings.default_language, settings.default_timezone)
    except InputError as exc:
        choice, problem = Choice(timezone=settings.default_timezone, sent=True), str(exc)
    if choice.sent and problem is None:
        problem = problem_of(choice, [c.slug for c in categories])
        if problem is None:
            try:
                result = await _preview(request, choice)
            except InputError as exc:  # the core's own check, should ours have missed one
                problem = str(exc)
    return _page(request, categories, choice, result, problem)


def _page(
    request: web.Request,
    categories: list[Category],
    choice: Choice,
    result: Preview | None,
    problem: str | None,
) -> web.Response:
    messages = result.messages if result is not None else []
    platform = result.platform if result is not None else ""
    return page(
        request,
        "preview.html.j2",
        status=422 if problem else 200,
        title=_("Preview"),
        categories=categories,
        choice=choice,
        platforms=PLATFORMS,
        languages=[(code, i18n.LANGUAGE_NAMES.get(code, code)) for code in SUPPORTED_LANGUAGES],
        language_names=i18n.LANGUAGE_NAMES,
        problem=problem,
        result=result,
        telegram_messages=shown.telegram(messages) if platform == "telegram" else [],
        discord_messages=shown.discord(messages) if platform == "discord" else [],
    )


ROUTES = [Route("GET", "/preview", show, role="editor")]
