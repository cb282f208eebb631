"""What a subscriber (or a chat's admin) can do to their subscription, platform-free.

Each action validates its arguments, changes the store, and returns the reply to show,
in the subscriber's language. A bad argument changes nothing and says what was expected.
Bot adapters (Telegram, Discord) parse their platform's commands and call these, passing
the ``Spelling`` of their commands for the replies that tell the reader what to type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from digests.i18n import t
from digests.models import Category, Subscriber
from digests.overview import (
    Toggle,
    category_toggles,
    describe,
    frequency_text,
    no_subscriptions,
)
from digests.schedule_actions import (
    pause,
    resume,
    set_frequency,
    set_language,
    set_time,
    set_timezone,
)
from digests.spelling import Spelling
from digests.store import Store

# Re-exported: adapters read these from here.
__all__ = [
    "CHANGES",
    "Spelling",
    "Toggle",
    "category_toggles",
    "describe",
    "forget",
    "frequency_text",
    "no_subscriptions",
    "pause",
    "resume",
    "set_filter",
    "set_frequency",
    "set_language",
    "set_time",
    "set_timezone",
    "subscribe",
    "toggle",
    "unsubscribe",
]

MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50


async def toggle(
    store: Store, subscriber: Subscriber, slug: str, *, now: datetime, by: str | None = None
) -> str:
    """Flip one subscription (a picker button was pressed)."""
    known = {c.slug: c for c in await store.list_categories()}
    if slug not in known:
        return t(subscriber.language, "That category no longer exists.")
    if slug in subscriber.categories:
        subscriber = await store.stored(subscriber)
        await store.unsubscribe(subscriber.id, [slug])
        return t(subscriber.language, "Unsubscribed from %(name)s.", name=known[slug].name)
    subscriber = await store.stored(subscriber)
    await store.subscribe(subscriber.id, [slug], now=now)
    return t(subscriber.language, "Subscribed to %(name)s.", name=known[slug].name)


def _slugs(args: list[str]) -> list[str]:
    return [s.strip().lower() for a in args for s in a.split(",") if s.strip()]


async def subscribe(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    lang = subscriber.language
    categories = await store.list_categories()
    known = {c.slug: c for c in categories}
    wanted = _slugs(args)
    if not wanted:
        return t(
            lang,
            "Name one or more categories, e.g. %(command)s. Available: %(list)s",
            command=spelling.command("subscribe", categories[0].slug if categories else "news"),
            list=_list(categories),
        )
    unknown = [s for s in wanted if s not in known]
    if unknown:
        return t(
            lang,
            "Unknown category: %(names)s. Available: %(list)s",
            names=", ".join(unknown),
            list=_list(categories),
        )
    subscriber = await store.stored(subscriber)
    await store.subscribe(subscriber.id, wanted, now=now)
    return t(lang, "Subscribed to %(names)s.", names=", ".join(known[s].name for s in wanted))


async def unsubscribe(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    lang = subscriber.language
    wanted = _slugs(args)
    if not wanted:
        return t(
            lang,
            "Name the categories to leave, or: %(command)s",
            command=spelling.command("unsubscribe", "all"),
        )
    if wanted == ["all"]:
        # A chat never stored has nothing to leave, and leaving stores nothing.
        removed = await store.unsubscribe(subscriber.id, None) if subscriber.id else 0
        return t(lang, "Unsubscribed from everything (%(count)d categories).", count=removed)
    mine = set(subscriber.categories)
    missing = [s for s in wanted if s not in mine]
    if missing:
        return t(lang, "You are not subscribed to: %(names)s.", names=", ".join(missing))
    subscriber = await store.stored(subscriber)
    await store.unsubscribe(subscriber.id, wanted)
    return t(lang, "Unsubscribed from %(names)s.", names=", ".join(wanted))


async def set_filter(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    """``filter <category> word, other words`` keeps only matching stories;
    ``filter <category> off`` removes the filter."""
    lang = subscriber.language
    if not args:
        category = t(lang, "<category>")
        return t(
            lang,
            "Use %(keywords)s — or %(off)s",
            keywords=spelling.command("filter", category, t(lang, "keyword, another keyword")),
            off=spelling.command("filter", category, "off"),
        )
    slug = args[0].lower()
    if slug not in subscriber.categories:
        return t(lang, "You are not subscribed to: %(names)s.", names=slug)
    rest = " ".join(args[1:]).strip()
    if not rest or rest.lower() == "off":
        subscriber = await store.stored(subscriber)
        await store.set_keywords(subscriber.id, slug, [])
        return t(lang, "Filter removed: you get every story of %(name)s.", name=slug)
    keywords = [k.strip() for k in rest.split(",") if k.strip()]
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        return t(
            lang,
            "At most %(count)d keywords of up to %(length)d characters.",
            count=MAX_KEYWORDS,
            length=MAX_KEYWORD_LENGTH,
        )
    subscriber = await store.stored(subscriber)
    await store.set_keywords(subscriber.id, slug, keywords)
    return t(
        lang, "%(name)s: only stories mentioning %(words)s.", name=slug, words=", ".join(keywords)
    )


async def forget(store: Store, subscriber: Subscriber, *, by: str | None = None) -> str:
    report = await store.forget_subscriber(subscriber.id)
    return t(
        subscriber.language,
        "Done: everything stored about this chat was deleted "
        "(%(subscriptions)d subscriptions, %(deliveries)d delivery records).",
        subscriptions=report.subscriptions,
        deliveries=report.deliveries,
    )


def _list(categories: list[Category]) -> str:
    return ", ".join(c.slug for c in categories) or "—"


async def _language(
    store: Store,
    sub: Subscriber,
    args: list[str],
    now: datetime,
    spelling: Spelling,
    by: str | None,
) -> str:
    return (await set_language(store, sub, args, now=now, spelling=spelling, by=by))[0]


# What a change takes: (store, subscriber, arguments, now, the platform's spelling, who asks
# as the audit log names them). The subscriber may be an unstored draft (id 0).
Change = Callable[[Store, Subscriber, list[str], datetime, Spelling, str | None], Awaitable[str]]

# The actions that change a subscription, by command name, for adapters that dispatch on
# the name.
CHANGES: dict[str, Change] = {
    "subscribe": lambda st, sub, a, now, sp, by: subscribe(st, sub, a, now=now, spelling=sp, by=by),
    "unsubscribe": lambda st, sub, a, now, sp, by: unsubscribe(
        st, sub, a, now=now, spelling=sp, by=by
    ),
    "time": lambda st, sub, a, now, sp, by: set_time(st, sub, a, now=now, spelling=sp, by=by),
    "timezone": lambda st, sub, a, now, sp, by: set_timezone(
        st, sub, a, now=now, spelling=sp, by=by
    ),
    "frequency": lambda st, sub, a, now, sp, by: set_frequency(
        st, sub, a, now=now, spelling=sp, by=by
    ),
    "filter": lambda st, sub, a, now, sp, by: set_filter(st, sub, a, now=now, spelling=sp, by=by),
    "pause": lambda st, sub, a, now, sp, by: pause(st, sub, now=now, spelling=sp, by=by),
    "resume": lambda st, sub, a, now, sp, by: resume(st, sub, now=now, by=by),
    "language": _language,
}
