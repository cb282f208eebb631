"""What a subscriber (or a chat's admin) can do to their subscription, platform-free.

Each action validates its arguments, changes the store, and returns the reply to show,
in the subscriber's language. A bad argument changes nothing and says what was expected.
Bot adapters (Telegram, Discord) parse their platform's commands and call these, passing
the ``Spelling`` of their commands for the replies that tell the reader what to type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from digests.echo import excerpt, excerpts
from digests.i18n import t
from digests.keywords import MAX_KEYWORD_LENGTH, MAX_KEYWORDS, split_keywords
from digests.models import BLOCKED_REASONS, Category, Subscriber
from digests.overview import (
    Toggle,
    category_toggles,
    describe,
    frequency_text,
    no_subscriptions,
)
from digests.replies import answers_gone, gone, quote
from digests.schedule_actions import (
    pause,
    resume,
    set_frequency,
    set_language,
    set_time,
    set_timezone,
)
from digests.spelling import Spelling
from digests.store import NotFound, Store, SubscriberGone

# Re-exported: adapters read these from here.
__all__ = [
    "CHANGES",
    "MAX_KEYWORDS",
    "MAX_KEYWORD_LENGTH",
    "Spelling",
    "Toggle",
    "category_toggles",
    "choose",
    "describe",
    "forget",
    "frequency_text",
    "no_subscriptions",
    "pause",
    "reactivate",
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


@answers_gone
async def choose(
    store: Store,
    subscriber: Subscriber,
    slug: str,
    subscribed: bool,
    *,
    now: datetime,
    by: str | None = None,
) -> str:
    """Make one subscription what a picker button says (the button carries the state it
    asks for, so a double tap subscribes once). One transaction in the store: it holds
    across processes, and a chat deleted meanwhile is answered, not stored again."""
    lang = subscriber.language
    known = {c.slug: c for c in await store.list_categories()}
    if slug not in known:
        return t(lang, "That category no longer exists.")
    name = excerpt(known[slug].name)
    if not subscribed and not subscriber.id:
        # A chat never stored subscribes to nothing; leaving stores nothing.
        return t(lang, "Unsubscribed from %(name)s.", name=name)
    subscriber = await store.stored(subscriber)
    try:
        await store.set_subscription(subscriber.id, slug, subscribed, now=now, by=by)
    except SubscriberGone:
        raise
    except NotFound:  # retired between the read above and the write
        return t(lang, "That category no longer exists.")
    if subscribed:
        return t(lang, "Subscribed to %(name)s.", name=name)
    return t(lang, "Unsubscribed from %(name)s.", name=name)


@answers_gone
async def toggle(
    store: Store, subscriber: Subscriber, slug: str, *, now: datetime, by: str | None = None
) -> str:
    """Flip one subscription (a picker button of the old kind, which carries no state):
    flipped as stored at the moment of the write, not as the adapter read it."""
    lang = subscriber.language
    known = {c.slug: c for c in await store.list_categories()}
    if slug not in known:
        return t(lang, "That category no longer exists.")
    subscriber = await store.stored(subscriber)
    try:
        now_subscribed = await store.toggle_subscription(subscriber.id, slug, now=now, by=by)
    except SubscriberGone:
        raise
    except NotFound:
        return t(lang, "That category no longer exists.")
    name = excerpt(known[slug].name)
    if now_subscribed:
        return t(lang, "Subscribed to %(name)s.", name=name)
    return t(lang, "Unsubscribed from %(name)s.", name=name)


def _slugs(args: list[str]) -> list[str]:
    """The category names typed, lower-cased, each once."""
    return list(dict.fromkeys(s.strip().lower() for a in args for s in a.split(",") if s.strip()))


@answers_gone
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
            names=quote(lang, unknown),
            list=_list(categories),
        )
    subscriber = await store.stored(subscriber)
    try:
        await store.subscribe(subscriber.id, wanted, now=now, by=by)
    except SubscriberGone:
        raise
    except NotFound:  # retired between the read above and the write
        return t(lang, "That category no longer exists.")
    names = [known[s].name for s in wanted]
    return t(lang, "Subscribed to %(names)s.", names=quote(lang, names, count=MAX_LISTED))


@answers_gone
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
        # A chat never stored has nothing to leave, and leaving stores nothing. The count
        # is of what the reader sees: dormant subscriptions of retired categories stay.
        removed = (
            await store.unsubscribe(subscriber.id, None, now=now, by=by) if subscriber.id else 0
        )
        return t(lang, "Unsubscribed from everything (%(count)d categories).", count=removed)
    mine = set(subscriber.categories)
    missing = [s for s in wanted if s not in mine]
    if missing:
        return t(lang, "You are not subscribed to: %(names)s.", names=quote(lang, missing))
    subscriber = await store.stored(subscriber)
    await store.unsubscribe(subscriber.id, wanted, now=now, by=by)
    return t(lang, "Unsubscribed from %(names)s.", names=quote(lang, wanted, count=MAX_LISTED))


@answers_gone
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
        return t(lang, "You are not subscribed to: %(names)s.", names=quote(lang, [slug]))
    rest = " ".join(args[1:]).strip()
    if not rest or rest.lower() == "off":
        subscriber = await store.stored(subscriber)
        await store.set_keywords(subscriber.id, slug, [], now=now, by=by)
        return t(lang, "Filter removed: you get every story of %(name)s.", name=slug)
    # Commas and line breaks both separate keywords: a line break inside one would
    # otherwise make several of it once stored (they are stored one a line).
    keywords = split_keywords(rest)
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        return t(
            lang,
            "At most %(count)d keywords of up to %(length)d characters.",
            count=MAX_KEYWORDS,
            length=MAX_KEYWORD_LENGTH,
        )
    subscriber = await store.stored(subscriber)
    stored = await store.set_keywords(subscriber.id, slug, keywords, now=now, by=by)
    words = quote(lang, stored, limit=MAX_KEYWORD_LENGTH, count=MAX_KEYWORDS)
    return t(lang, "%(name)s: only stories mentioning %(words)s.", name=slug, words=words)


async def forget(
    store: Store, subscriber: Subscriber, *, now: datetime, by: str | None = None
) -> str:
    """Delete everything stored about the chat. A group or channel forgotten leaves an
    audit row naming ``by``; a chat already gone is answered, not an error."""
    if not subscriber.id:
        return gone(subscriber.language)
    try:
        report = await store.forget_subscriber(subscriber.id, by=by, now=now)
    except NotFound:  # deleted meanwhile (another admin's forget, a double tap)
        return gone(subscriber.language)
    return t(
        subscriber.language,
        "Done: everything stored about this chat was deleted "
        "(%(subscriptions)d subscriptions, %(deliveries)d delivery records).",
        subscriptions=report.subscriptions,
        deliveries=report.deliveries,
    )


async def reactivate(store: Store, subscriber: Subscriber, *, now: datetime) -> str | None:
    """A reader whose chat was made inactive because delivery was refused (they blocked
    the bot) writes to it again: deliver again, and return the reply telling them; None
    when the chat was not stopped that way (nothing changes, nothing to say)."""
    if not subscriber.id or subscriber.active:
        return None
    if not (subscriber.inactive_reason or "").startswith(BLOCKED_REASONS):
        return None
    if not await store.reactivate(subscriber.id, now=now):
        return None  # another update from the same reader did it first
    return t(subscriber.language, "Welcome back: your digests resume.")


# How many names a confirmation lists (categories subscribed, left) before "…".
MAX_LISTED = 10


def _list(categories: list[Category]) -> str:
    """The live categories' slugs for "Available: …", at most MAX_LISTED * 2 of them."""
    return excerpts([c.slug for c in categories], count=MAX_LISTED * 2) or "—"


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
    "resume": lambda st, sub, a, now, sp, by: resume(st, sub, now=now, spelling=sp, by=by),
    "language": _language,
}
