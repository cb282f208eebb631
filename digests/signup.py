"""A subscribe link's tap, platform-free: what a payload names (``resolve``) and the
chat's subscription to it with its sign-up (``join``); ``tap`` does both, and is what
every entry point calls (Telegram's ``/start <payload>`` today; Discord or the admin API
could pass a payload the same way). Adapters only parse and draw the reply.

A tap adds what the link names and removes nothing. Whatever the payload, a tap that is
refused (``Refusal``) has changed nothing and stored nothing, not even the chat.

**What counts as a sign-up.** A sign-up is a chat's first subscription through a link:
the tap that finds the chat with no subscription at all (none to a live category, none
kept dormant for a retired one) records which link (the code, or the slug) and source
brought it in. The check and the subscriptions are one store transaction
(``Store.subscribe_through_link``), so of many taps at once only the first counts. A chat
has at most one sign-up row: a reader who left every category and comes back through
another link keeps the first link's row; a reader who subscribed with ``/categories``
before tapping a link is no sign-up. ``/forget`` deletes the row with the chat, and the
chat may then sign up again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from digests.i18n import t
from digests.links import live_categories, payload_kind
from digests.models import Subscriber
from digests.overview import frequency_text
from digests.replies import gone, quote
from digests.spelling import Spelling
from digests.store import NotFound, Store, SubscriberGone

# Names listed at most in a reply (a code may name many categories).
MAX_NAMED = 10


class Refusal(Enum):
    """Why a tap changed nothing."""

    INVALID = "invalid"  # no payload Telegram would send: too long, other characters
    UNKNOWN = "unknown"  # no such category (or code)
    RETIRED = "retired"  # a retired code, or one whose categories are all retired
    GONE = "gone"  # the chat was forgotten while the tap was on its way


@dataclass(frozen=True)
class Target:
    """What a payload names: the link as counted (the code, or the slug), the live
    categories it subscribes to, and its source ('' for a slug)."""

    link: str
    categories: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Joined:
    """A tap that subscribed: the chat as stored afterwards, and what the tap added."""

    subscriber: Subscriber
    target: Target
    added: tuple[str, ...]
    signed_up: bool


async def resolve(store: Store, payload: str) -> Target | Refusal:
    """The categories a payload names. A code's categories that were retired since are
    left out (all of them: the link is no longer in use). A payload is matched in any
    case: a slug typed with capitals, or a code-shaped word that is no code, is tried as
    a slug."""
    kind = payload_kind(payload)
    if kind == "invalid":
        return Refusal.INVALID
    live = {c.slug for c in await store.list_categories()}
    if kind == "code":
        link = await store.get_link(payload)
        if link is not None:
            categories = live_categories(link, live)
            if link.retired_at is not None or not categories:
                return Refusal.RETIRED
            return Target(link.code, categories, link.source)
    slug = payload.lower()
    return Target(slug, (slug,), "") if slug in live else Refusal.UNKNOWN


async def join(
    store: Store, subscriber: Subscriber, target: Target, *, now: datetime, by: str | None
) -> Joined | Refusal:
    """Subscribe the chat (a draft is stored now) to the target's categories; its
    sign-up is recorded when this is its first subscription (see the module's doc)."""
    stored = await store.stored(subscriber)
    try:
        done = await store.subscribe_through_link(
            stored.id,
            target.categories,
            link=target.link,
            source=target.source,
            now=now,
            by=by,
        )
    except SubscriberGone:
        return Refusal.GONE
    except NotFound:  # a category retired since ``resolve``
        return Refusal.UNKNOWN if target.categories == (target.link,) else Refusal.RETIRED
    try:
        after = await store.get_subscriber(stored.id)
    except NotFound:  # forgotten right after the tap
        return Refusal.GONE
    return Joined(after, target, done.added, done.signed_up)


async def tap(
    store: Store, subscriber: Subscriber, payload: str, *, now: datetime, by: str | None
) -> Joined | Refusal:
    """A tap of ``payload`` by this chat: resolved, then joined; nothing is stored for a
    payload that is refused."""
    target = await resolve(store, payload)
    if isinstance(target, Refusal):
        return target
    return await join(store, subscriber, target, now=now, by=by)


def refusal_text(language: str, refusal: Refusal, spelling: Spelling) -> str:
    """What a refused tap is told (the payload itself is never echoed)."""
    command = spelling.command("categories")
    if refusal is Refusal.GONE:
        return gone(language)
    if refusal is Refusal.RETIRED:
        return t(
            language,
            "This link is no longer in use. Use %(command)s to pick your categories, "
            "or ask whoever shared it for a new link.",
            command=command,
        )
    if refusal is Refusal.UNKNOWN:
        return t(
            language,
            "This link names a category I don't have (any more). "
            "Use %(command)s to pick from the categories there are.",
            command=command,
        )
    return t(
        language,
        "This link does not work: it may have been cut short or changed. "
        "Use %(command)s to pick your categories.",
        command=command,
    )


def joined_text(joined: Joined, names: Mapping[str, str], spelling: Spelling) -> str:
    """What a tap that subscribed is told: what it added (or that nothing was missing),
    and when the digest comes."""
    subscriber = joined.subscriber
    lang = subscriber.language

    def named(slugs: tuple[str, ...]) -> str:
        return quote(lang, [names.get(s, s) for s in slugs], count=MAX_NAMED)

    if joined.added:
        head = t(lang, "Subscribed to %(names)s.", names=named(joined.added))
    else:
        head = t(
            lang, "You were already subscribed to %(names)s.", names=named(joined.target.categories)
        )
    schedule = t(
        lang,
        "Your digest comes at %(time)s (%(zone)s), %(frequency)s.",
        time=subscriber.digest_time,
        zone=subscriber.timezone,
        frequency=frequency_text(subscriber),
    )
    text = f"{head}\n{schedule}"
    if subscriber.paused:
        text += "\n" + t(
            lang,
            "Paused: use %(command)s to receive digests again.",
            command=spelling.command("resume"),
        )
    return text
