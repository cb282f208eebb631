"""Read-only views of a chat's settings, platform-free: what ``mysubs`` shows, the
category picker's buttons, how a schedule reads.

Split from ``digests.actions`` (which re-exports these names) to keep that module, which
changes the store, short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from digests.echo import excerpt
from digests.i18n import t
from digests.keywords import MAX_KEYWORD_LENGTH, MAX_KEYWORDS
from digests.models import CHANGE_CHARS, Frequency, Subscriber
from digests.replies import quote
from digests.schedule import WEEKDAYS
from digests.spelling import Spelling
from digests.store import Store


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


async def describe(
    store: Store,
    subscriber: Subscriber,
    *,
    spelling: Spelling,
    actor_shown: Callable[[str], str] | None = None,
) -> str:
    """The subscriber's subscriptions and schedule (``mysubs``); ``actor_shown`` names
    who made the last change as the platform shows a member (see ``last_change_text``)."""
    lang = subscriber.language
    names = {c.slug: c.name for c in await store.list_categories()}
    lines = []
    for sub in subscriber.subscriptions:
        line = f"• {names.get(sub.category, sub.category)}"
        if sub.keywords:
            # At most the keywords a filter may have now (one stored before the limit held
            # for line breaks may carry hundreds), each quoted short.
            words = quote(lang, sub.keywords, limit=MAX_KEYWORD_LENGTH, count=MAX_KEYWORDS)
            line += " — " + t(lang, "only: %(words)s", words=words)
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
    return f"{head}\n\n{schedule}{state}{last_change_text(subscriber, actor_shown)}"


def last_change_text(
    subscriber: Subscriber, actor_shown: Callable[[str], str] | None = None
) -> str:
    """ "Last change: … by … at …" on a line of its own, or "" when none was recorded, so
    a group's moderators can find out who changed its digest. ``actor_shown`` turns who
    did it, as the audit log names them ("discord:43"), into how the platform shows them
    (Discord: a mention, ``<@43>``); without it the audit log's name is shown, excerpted."""
    if not subscriber.last_change or subscriber.changed_at is None:
        return ""
    lang = subscriber.language
    when = subscriber.changed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    what = excerpt(subscriber.last_change, CHANGE_CHARS)
    if subscriber.changed_by:
        text = t(
            lang,
            "Last change: %(what)s by %(who)s at %(when)s",
            what=what,
            who=actor_shown(subscriber.changed_by)
            if actor_shown
            else excerpt(subscriber.changed_by),
            when=when,
        )
    else:
        text = t(lang, "Last change: %(what)s at %(when)s", what=what, when=when)
    return "\n" + text


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
