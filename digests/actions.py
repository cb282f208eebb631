"""What a subscriber (or a chat's admin) can do to their subscription, platform-free.

Each action validates its arguments, changes the store, and returns the reply to show,
in the subscriber's language. A bad argument changes nothing and says what was expected.
Bot adapters (Telegram, Discord) parse their platform's commands and call these, passing
the ``Spelling`` of their commands for the replies that tell the reader what to type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from digests.i18n import SUPPORTED_LANGUAGES, t
from digests.models import Category, Frequency, Subscriber
from digests.schedule import WEEKDAYS, parse_weekday
from digests.settings import validate_digest_time
from digests.store import Store
from digests.zones import resolve_zone

MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50


@dataclass(frozen=True)
class Spelling:
    """How a platform's readers type a command, for replies that name one (as Red-DiscordBot
    fills ``command=f"{ctx.prefix}unban"`` into its texts). Commands are named here by
    their core name (``time``, ``mysubs``); the adapter says how to write them.

    ``prefix`` goes before the name (``/`` on Telegram, ``/news `` on Discord); ``names``
    renames a command where the platform calls it differently; ``options`` gives the option
    names of a command whose arguments are typed as ``name:value`` (Discord's slash-command
    options) rather than as words after the command."""

    prefix: str = "/"
    names: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def command(self, name: str, *args: str) -> str:
        """``command("time", "07:30")`` → ``/time 07:30``, or ``/news time time:07:30``."""
        words = [self.prefix + self.names.get(name, name)]
        options = self.options.get(name)
        if options is None:
            words += args
        else:
            words += [f"{option}:{value}" for option, value in zip(options, args, strict=False)]
        return " ".join(words)


@dataclass(frozen=True)
class Toggle:
    """One button of the category picker."""

    slug: str
    name: str
    subscribed: bool


async def category_toggles(store: Store, subscriber: Subscriber | None) -> list[Toggle]:
    """Every category, marked subscribed or not (nothing is, for a chat not yet stored)."""
    mine = set(subscriber.categories) if subscriber is not None else set()
    return [Toggle(c.slug, c.name, c.slug in mine) for c in await store.list_categories()]


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


async def describe(store: Store, subscriber: Subscriber, *, spelling: Spelling) -> str:
    """The subscriber's subscriptions and schedule (``mysubs``)."""
    lang = subscriber.language
    names = {c.slug: c.name for c in await store.list_categories()}
    lines = []
    for sub in subscriber.subscriptions:
        line = f"• {names.get(sub.category, sub.category)}"
        if sub.keywords:
            line += " — " + t(lang, "only: %(words)s", words=", ".join(sub.keywords))
        lines.append(line)
    head = (
        (t(lang, "Your categories:") + "\n" + "\n".join(lines))
        if lines
        else no_subscriptions(lang, spelling)
    )
    schedule = t(
        lang,
        "Digest at %(time)s (%(zone)s), %(frequency)s.",
        time=subscriber.digest_time,
        zone=subscriber.timezone,
        frequency=frequency_text(subscriber),
    )
    state = ""
    if subscriber.paused:
        state = "\n" + t(
            lang,
            "Paused: use %(command)s to receive digests again.",
            command=spelling.command("resume"),
        )
    elif not subscriber.active:
        state = "\n" + t(lang, "Inactive: %(reason)s", reason=subscriber.inactive_reason or "")
    return f"{head}\n\n{schedule}{state}"


def no_subscriptions(language: str, spelling: Spelling) -> str:
    """What a chat with no subscriptions is told, wherever it asks."""
    return t(
        language,
        "You have no subscriptions yet. Use %(command)s to pick some.",
        command=spelling.command("categories"),
    )


def frequency_text(subscriber: Subscriber) -> str:
    lang = subscriber.language
    if subscriber.frequency is Frequency.WEEKDAYS:
        return t(lang, "on weekdays")
    if subscriber.frequency is Frequency.WEEKLY:
        day = WEEKDAYS[subscriber.weekly_day or 0]
        return t(lang, "every %(day)s", day=t(lang, day.capitalize()))
    return t(lang, "every day")


async def set_time(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    lang = subscriber.language
    try:
        value = validate_digest_time(" ".join(args))
    except ValueError:
        return t(
            lang,
            "Give a time of day as HH:MM, e.g. %(command)s",
            command=spelling.command("time", "07:30"),
        )
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(subscriber.id, now=now, digest_time=value)
    return t(
        lang, "Your digest will come at %(time)s (%(zone)s).", time=value, zone=subscriber.timezone
    )


async def set_timezone(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    lang = subscriber.language
    text = " ".join(args).strip()
    if not text:
        return t(
            lang,
            "Give an IANA time zone, e.g. %(command)s",
            command=spelling.command("timezone", "Asia/Ho_Chi_Minh"),
        )
    zone, suggestions = resolve_zone(text)
    if zone is None:
        if suggestions:
            return t(
                lang,
                "Unknown time zone %(zone)s. Did you mean: %(names)s?",
                zone=text,
                names=", ".join(suggestions),
            )
        return t(
            lang,
            "Unknown time zone %(zone)s. Use a name like Europe/London or Asia/Ho_Chi_Minh.",
            zone=text,
        )
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(subscriber.id, now=now, timezone=zone)
    note = ""
    if zone.lower() != text.replace(" ", "_").lower():
        note = " " + t(lang, "(%(old)s is now called %(zone)s.)", old=text, zone=zone)
    return (
        t(
            lang,
            "Time zone set to %(zone)s; your digest comes at %(time)s there.",
            zone=zone,
            time=subscriber.digest_time,
        )
        + note
    )


async def set_frequency(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    lang = subscriber.language
    words = [a.lower() for a in args]
    usage = t(
        lang,
        "Use %(daily)s, %(weekdays)s or %(weekly)s",
        daily=spelling.command("frequency", "daily"),
        weekdays=spelling.command("frequency", "weekdays"),
        weekly=spelling.command("frequency", "weekly", "monday"),
    )
    if not words or words[0] not in ("daily", "weekdays", "weekly"):
        return usage
    frequency = Frequency(words[0])
    day = None
    if frequency is Frequency.WEEKLY:
        if len(words) < 2:
            return usage
        try:
            day = parse_weekday(words[1])
        except ValueError:
            return usage
    elif len(words) > 1:
        return usage
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(subscriber.id, now=now, frequency=frequency.value, weekly_day=day)
    updated = Subscriber(**{**subscriber.__dict__, "frequency": frequency, "weekly_day": day})
    return t(lang, "You will get a digest %(frequency)s.", frequency=frequency_text(updated))


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


async def pause(
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(subscriber.id, now=now, paused=True)
    return t(
        subscriber.language,
        "Paused. Use %(command)s to start again.",
        command=spelling.command("resume"),
    )


async def resume(
    store: Store, subscriber: Subscriber, *, now: datetime, by: str | None = None
) -> str:
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(
        subscriber.id, now=now, paused=False, active=True, inactive_reason=None
    )
    return t(
        subscriber.language,
        "Resumed: your next digest comes at %(time)s (%(zone)s).",
        time=subscriber.digest_time,
        zone=subscriber.timezone,
    )


async def set_language(
    store: Store,
    subscriber: Subscriber,
    args: list[str],
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> tuple[str, str]:
    """Returns (reply, language the reply is in)."""
    code = args[0].lower() if args else ""
    if code not in SUPPORTED_LANGUAGES:
        usage = t(
            subscriber.language,
            "Use %(english)s or %(vietnamese)s",
            english=spelling.command("language", "en"),
            vietnamese=spelling.command("language", "vi"),
        )
        return usage, subscriber.language
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(subscriber.id, now=now, language=code)
    return t(code, "I will speak English with you."), code


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
