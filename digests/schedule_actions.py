"""Actions that change when and how a chat gets its digest, platform-free: time, time
zone, frequency, language, pause and resume. Same contract as ``digests.actions`` (which
re-exports them): validate, write, return the reply in the chat's language.
"""

from __future__ import annotations

from datetime import datetime

from digests.echo import excerpt
from digests.i18n import SUPPORTED_LANGUAGES, t
from digests.models import Frequency, Subscriber
from digests.overview import frequency_text
from digests.replies import answers_gone, gone, quote
from digests.schedule import WEEKDAYS, parse_weekday
from digests.settings import validate_digest_time
from digests.spelling import Spelling
from digests.store import Store, SubscriberGone
from digests.zones import offset_zones, resolve_zone


@answers_gone
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
    await store.update_subscriber(
        subscriber.id, now=now, change=f"time {value}", by=by, digest_time=value
    )
    return t(
        lang, "Your digest will come at %(time)s (%(zone)s).", time=value, zone=subscriber.timezone
    )


@answers_gone
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
        return _unknown_zone(lang, text, suggestions, now)
    subscriber = await store.stored(subscriber)
    await store.update_subscriber(
        subscriber.id, now=now, change=f"time zone {zone}", by=by, timezone=zone
    )
    note = ""
    if zone.lower() != text.replace(" ", "_").lower():
        note = " " + t(lang, "(%(old)s is now called %(zone)s.)", old=excerpt(text), zone=zone)
    return (
        t(
            lang,
            "Time zone set to %(zone)s; your digest comes at %(time)s there.",
            zone=zone,
            time=subscriber.digest_time,
        )
        + note
    )


def _unknown_zone(lang: str, text: str, suggestions: list[str], now: datetime) -> str:
    """The answer to a time zone that is no zone name: the zones at an offset typed as
    one (``UTC+7``), with why ``Etc/GMT+7`` is not it; else close names, or an example."""
    offset = offset_zones(text, now)
    if offset is not None:
        reply = t(
            lang,
            "%(offset)s is an offset, not a time zone. Zones at %(offset)s today: %(names)s.",
            offset=offset.label,
            names=", ".join(offset.zones) or "—",
        )
        if offset.etc is not None and offset.etc != "Etc/GMT":
            reply += " " + t(
                lang,
                "(%(etc)s also means %(offset)s: the sign of Etc/GMT names is inverted.)",
                etc=offset.etc,
                offset=offset.label,
            )
        return reply
    quoted = quote(lang, [text])
    if suggestions:
        return t(
            lang,
            "Unknown time zone %(zone)s. Did you mean: %(names)s?",
            zone=quoted,
            names=", ".join(suggestions),
        )
    return t(
        lang,
        "Unknown time zone %(zone)s. Use a name like Europe/London or Asia/Ho_Chi_Minh.",
        zone=quoted,
    )


@answers_gone
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
    updated = Subscriber(**{**subscriber.__dict__, "frequency": frequency, "weekly_day": day})
    change = f"frequency {frequency.value}" + (f" {WEEKDAYS[day]}" if day is not None else "")
    await store.update_subscriber(
        subscriber.id, now=now, change=change, by=by, frequency=frequency.value, weekly_day=day
    )
    return t(lang, "You will get a digest %(frequency)s.", frequency=frequency_text(updated))


@answers_gone
async def pause(
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    spelling: Spelling,
    by: str | None = None,
) -> str:
    if not subscriber.id:  # a chat never stored: nothing to pause, and nothing stored
        return nothing_yet(subscriber.language, spelling, "pause")
    await store.update_subscriber(subscriber.id, now=now, change="paused", by=by, paused=True)
    return t(
        subscriber.language,
        "Paused. Use %(command)s to start again.",
        command=spelling.command("resume"),
    )


@answers_gone
async def resume(
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    by: str | None = None,
    spelling: Spelling | None = None,
) -> str:
    if not subscriber.id:  # a chat never stored has no digest to resume
        return nothing_yet(subscriber.language, spelling or Spelling(), "resume")
    await store.update_subscriber(
        subscriber.id,
        now=now,
        change="resumed",
        by=by,
        paused=False,
        active=True,
        inactive_reason=None,
    )
    return t(
        subscriber.language,
        "Resumed: your next digest comes at %(time)s (%(zone)s).",
        time=subscriber.digest_time,
        zone=subscriber.timezone,
    )


def nothing_yet(language: str, spelling: Spelling, what: str) -> str:
    """The answer to /pause or /resume (``what``) from a chat with no digest yet."""
    if what == "pause":
        text = "There is no digest to pause yet. Use %(command)s to pick some categories."
    else:
        text = "There is no digest to resume yet. Use %(command)s to pick some categories."
    return t(language, text, command=spelling.command("categories"))


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
    try:
        await store.update_subscriber(
            subscriber.id, now=now, change=f"language {code}", by=by, language=code
        )
    except SubscriberGone:
        return gone(subscriber.language), subscriber.language
    return t(code, "I will speak English with you."), code
