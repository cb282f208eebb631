"""Plan, render and send one subscriber's digest: the glue between store, assembly,
rendering and a Sender. The delivery pipeline (outbox, pacing, retries) builds on these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digests.assemble import DigestPlan, Pool, build_pool, plan_digest
from digests.models import Subscriber
from digests.outgoing import Destination, OutgoingMessage, Sender
from digests.render import Presentation, Renderer
from digests.settings import DigestLimits
from digests.store import Store

# Which template set each platform's subscribers get.
RENDER_PLATFORM = {"telegram": "telegram", "discord": "discord", "console": "plain"}


@dataclass(frozen=True)
class DigestResult:
    plan: DigestPlan
    messages: tuple[OutgoingMessage, ...]
    sent: bool


async def load_pool(
    store: Store, categories: Sequence[str], *, now: datetime, limits: DigestLimits
) -> Pool:
    """Candidate stories of these categories at ``now``, scored and sorted once."""
    articles = await store.candidate_articles(
        published_since=now - max(limits.max_age, limits.first_lookback),
        categories=list(categories),
    )
    return build_pool(
        articles,
        await store.list_categories(),
        now=now,
        limits=limits,
        unclustered_from=await store.first_unclustered_id(),
    )


async def already_had(
    store: Store, subscriber_ids: Sequence[int], *, since_story: int = 0
) -> dict[int, set[int]]:
    """Stories each subscriber received, or has waiting in the outbox: never again.
    ``since_story``: only those from that story id on (older ones are not in the pool)."""
    had = await store.sent_story_ids_for(subscriber_ids, since_story=since_story)
    for subscriber_id, pending in (await store.pending_story_ids_for(subscriber_ids)).items():
        had.setdefault(subscriber_id, set()).update(pending)
    return had


def first_story(pool: Pool) -> int:
    """The lowest story id in the pool (0 when empty): a story sent before it is not a
    candidate any more, so nobody's received stories need reading below it."""
    return min((s.story_id for stories in pool.by_category.values() for s in stories), default=0)


async def plan_for(
    store: Store, subscriber: Subscriber, *, now: datetime, limits: DigestLimits
) -> DigestPlan:
    """The digest this subscriber would get at ``now`` (reads the store, decides purely)."""
    pool = await load_pool(store, subscriber.categories, now=now, limits=limits)
    had = (await already_had(store, [subscriber.id])).get(subscriber.id, set())
    return plan_digest(subscriber, pool, sent_story_ids=had, limits=limits)


def presentation_of(subscriber: Subscriber) -> Presentation:
    return Presentation(language=subscriber.language, timezone=subscriber.timezone)


async def send_digest_now(
    store: Store,
    renderer: Renderer,
    sender: Sender,
    subscriber: Subscriber,
    *,
    now: datetime,
    limits: DigestLimits,
    preview: bool = False,
    render_platform: str | None = None,
) -> DigestResult:
    """Plan, render and send a digest directly (no outbox): for previews and the demo.

    A preview neither marks stories as received nor moves the subscriber's cursor. An
    empty digest sends nothing unless ``limits.send_empty``. Stories count as received
    only after every part was accepted by the platform.
    """
    plan = await plan_for(store, subscriber, now=now, limits=limits)
    platform = render_platform or RENDER_PLATFORM.get(subscriber.platform, "plain")
    messages = tuple(renderer.render_digest(plan, platform, presentation_of(subscriber)))
    if plan.is_empty and not (limits.send_empty or preview):
        return DigestResult(plan, messages, sent=False)
    destination = Destination(subscriber.platform, subscriber.chat_id, subscriber.thread_id)
    for message in messages:
        await sender.send(destination, message)
    await store.record_delivery(
        subscriber.id,
        kind="preview" if preview else "digest",
        status="sent",
        now=now,
        story_ids=plan.story_ids,
        parts=len(messages),
    )
    if not preview:
        await store.advance_cursor(subscriber.id, article_id=plan.cursor, digest_at=now)
    return DigestResult(plan, messages, sent=True)
