"""The digest a reader with chosen categories, platform, language and time zone would get
now: what ``digestbot preview`` prints and the console's preview page draws.

It is the dispatcher's digest for a reader who has had nothing yet: ``plan_for`` over the
store at ``now``, the model summaries ready for the reader's language when a model is
configured (never a call to the model: only what is stored), then the renderer's messages
for the platform. The store is only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digests.compose import plan_for
from digests.errors import InputError
from digests.i18n import SUPPORTED_LANGUAGES
from digests.models import Subscriber, Subscription
from digests.outgoing import OutgoingMessage
from digests.render import Presentation, Renderer
from digests.settings import DigestLimits, Settings
from digests.store import Store
from digests.suggest import unknown_categories
from digests.summaries.gloss import gloss_plan
from digests.timeutil import short
from digests.zones import resolve_zone

PLATFORMS = ("telegram", "discord", "plain")
# The longest IANA zone name has 32 characters.
MAX_ZONE = 64


@dataclass(frozen=True)
class Preview:
    """The messages, and the reader they were made for (the zone as resolved: an alias
    or a differently cased name becomes the current IANA name)."""

    messages: list[OutgoingMessage]
    categories: tuple[str, ...]
    platform: str
    reader: Presentation


def reader_of(settings: Settings, language: str | None, timezone: str | None) -> Presentation:
    """The reader's language and zone, the bot's defaults where not given; InputError for
    a language the templates do not speak or a zone that is not one (the rule of a
    reader's /timezone: case-insensitive, old aliases followed)."""
    language = language or settings.default_language
    if language not in SUPPORTED_LANGUAGES:
        raise InputError(
            f"unknown language: {short(language)} (use {' or '.join(SUPPORTED_LANGUAGES)})"
        )
    asked = timezone or settings.default_timezone
    # No zone name is this long; the fuzzy match for suggestions need not read it.
    zone = resolve_zone(asked)[0] if len(asked) <= MAX_ZONE else None
    if zone is None:
        raise InputError(f"unknown time zone: {short(asked)} (use an IANA name)")
    return Presentation(language, zone)


def limits_since(limits: DigestLimits, since: datetime | None, now: datetime) -> DigestLimits:
    """The digest's limits looking back to ``since`` (a first digest looks back that far,
    and articles that old are not too old); unchanged without one."""
    if since is None:
        return limits
    if since >= now:
        raise InputError("--since must be in the past")
    return replace(limits, first_lookback=now - since, max_age=max(limits.max_age, now - since))


async def require_known(store: Store, slugs: Sequence[str]) -> None:
    """InputError for no slugs, or for a slug that is no live category (with suggestions)."""
    if not slugs:
        raise InputError("--categories needs at least one category slug")
    known = [c.slug for c in await store.list_categories()]
    problem = unknown_categories(slugs, known)
    if problem:
        raise InputError(problem)


async def preview_digest(
    store: Store,
    renderer: Renderer,
    settings: Settings,
    *,
    categories: Sequence[str],
    platform: str,
    now: datetime,
    language: str | None = None,
    timezone: str | None = None,
    since: datetime | None = None,
) -> Preview:
    """The digest a reader of ``categories`` on ``platform`` would get at ``now``.

    Raises InputError (one line) for an unknown category, platform, language or zone, or a
    ``since`` not in the past."""
    if platform not in PLATFORMS:
        raise InputError(f"unknown platform: {short(platform)} (use {', '.join(PLATFORMS)})")
    slugs = tuple(dict.fromkeys(categories))
    await require_known(store, slugs)
    limits = limits_since(settings.digest, since, now)
    reader = reader_of(settings, language, timezone)
    subscriber = Subscriber(
        id=0,
        platform="console",
        chat_id="preview",
        language=reader.language,
        timezone=reader.timezone,
        subscriptions=tuple(Subscription(s) for s in slugs),
    )
    plan = await plan_for(store, subscriber, now=now, limits=limits)
    if settings.llm.enabled:
        # The dispatcher's rule: the model summaries ready for the reader's language, so
        # the preview shows what that reader's digest would.
        glosses = await store.glosses(plan.story_ids, [reader.language])
        plan = gloss_plan(plan, reader.language, glosses)
    messages = renderer.render_digest(plan, platform, reader)
    return Preview(messages, slugs, platform, reader)
