"""Breaking pushes: who gets them, never twice, left out of the next digest, cancellable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests import breaking
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.pacing import Pacer
from digests.render import RenderCache, Renderer
from digests.settings import DeliveryLimits, Settings
from digests.store import NotFound, PushBusy, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW, RecordingSender


async def setup(store: Store) -> tuple[int, int, int]:
    tg = await store.upsert_subscriber("telegram", "1", now=NOW, language="vi")
    dc = await store.upsert_subscriber("discord", "2", now=NOW)
    other = await store.upsert_subscriber("telegram", "3", now=NOW)
    await store.subscribe(tg.id, ["climate"], now=NOW)
    await store.subscribe(dc.id, ["climate"], now=NOW)
    await store.subscribe(other.id, ["markets"], now=NOW)
    return tg.id, dc.id, other.id


async def test_inline_article_push_reaches_every_platform_once(categorised_store: Store) -> None:
    store = categorised_store
    tg, dc, other = await setup(store)
    article = await breaking.resolve_article(
        store,
        category="climate",
        now=NOW,
        url="https://news.example/flood?utm_source=x",
        title="Floods close the Mekong ferry",
        summary="Services stop until Monday.",
    )
    assert article.url == "https://news.example/flood" and article.source == "Breaking news"
    renderer = Renderer()
    story = await breaking.story_of(store, article, NOW)
    shown = breaking.preview(renderer, story, platform="telegram", language="vi", now=NOW)
    assert "Tin nóng" in shown.text and "Floods close the Mekong ferry" in shown.text
    report = await breaking.start_push(
        store, renderer, category="climate", article=article, requested_by="cli", now=NOW
    )
    assert (report.total, report.pending, report.status) == (2, 2, "sending")
    rows = await store._fetchall(
        "SELECT subscriber_id, priority, platform FROM outbox ORDER BY subscriber_id"
    )
    assert [tuple(r) for r in rows] == [(tg, 10, "telegram"), (dc, 10, "discord")]

    senders = {"telegram": RecordingSender("telegram"), "discord": RecordingSender("discord")}
    worker = DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits())
    await worker.run_once()
    assert len(senders["telegram"].sent) == 1 and senders["discord"].sent[0][1].embeds
    done = await breaking.status(store, report.push_id, now=NOW)
    assert (done.delivered, done.pending, done.status) == (2, 0, "done")

    again = await breaking.start_push(
        store, renderer, category="climate", article=article, requested_by="cli", now=NOW
    )
    assert again.total == 0 and again.status == "done"  # nobody gets it twice

    # The story is left out of the next digest.
    await store.update_subscriber(tg, now=NOW, next_digest_at=NOW)
    result = await dispatch_due(store, RenderCache(renderer), Settings(), now=NOW)
    assert result.empty == 1 and result.enqueued == 0
    assert other not in {r[0] for r in rows}


async def test_push_by_id_or_url_and_errors(categorised_store: Store) -> None:
    store = categorised_store
    await setup(store)
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/a", title="A story"
    )
    assert (
        await breaking.resolve_article(store, category="climate", now=NOW, article_id=article.id)
    ).url == article.url
    assert (
        await breaking.resolve_article(
            store, category="markets", now=NOW, url="https://n.example/a"
        )
    ).id == article.id
    with pytest.raises(breaking.BreakingError, match="no article 999"):
        await breaking.resolve_article(store, category="climate", now=NOW, article_id=999)
    with pytest.raises(breaking.BreakingError, match="give a title"):
        await breaking.resolve_article(
            store, category="climate", now=NOW, url="https://n.example/unknown"
        )
    with pytest.raises(breaking.BreakingError, match="not an http"):
        await breaking.resolve_article(store, category="climate", now=NOW, url="ftp://x/")
    with pytest.raises(NotFound, match="unknown category"):
        await breaking.resolve_article(store, category="sports", now=NOW, article_id=1)


async def test_one_push_per_category_at_a_time_and_cancellation(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await setup(store)
    renderer = Renderer()
    first = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/1", title="First event"
    )
    second = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/2", title="Another matter"
    )
    report = await breaking.start_push(
        store, renderer, category="climate", article=first, requested_by="cli", now=NOW
    )
    with pytest.raises(PushBusy, match="still going out"):
        await breaking.start_push(
            store, renderer, category="climate", article=second, requested_by="cli", now=NOW
        )
    cancelled = await breaking.cancel(store, report.push_id, now=NOW + timedelta(seconds=5))
    assert (cancelled.status, cancelled.blocked, cancelled.pending) == ("cancelled", 2, 0)
    assert "2 blocked or cancelled" in cancelled.line()
    later = await breaking.start_push(
        store, renderer, category="climate", article=second, requested_by="cli", now=NOW
    )
    assert later.total == 2
    with pytest.raises(NotFound):
        await breaking.status(store, 12345, now=NOW)


async def test_breaking_goes_out_before_queued_digests(categorised_store: Store) -> None:
    from digests.outgoing import OutgoingMessage
    from digests.store import OutboxItem

    store = categorised_store
    await setup(store)
    for i in range(20):
        sub = await store.upsert_subscriber("telegram", f"d{i}", now=NOW)
        await store.enqueue(
            [OutboxItem(sub.id, "digest", "p", "telegram", [OutgoingMessage(text=f"digest {i}")])],
            now=NOW,
        )
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/x", title="Urgent"
    )
    await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
    )
    sender = RecordingSender("telegram")
    worker = DeliveryWorker(
        store, {"telegram": sender}, Pacer({}), FakeClock(NOW), DeliveryLimits(concurrency=1)
    )
    await worker.run_once(limit=1)
    assert sender.sent[0][0].chat_id == "1" and "Urgent" in sender.sent[0][1].text


async def test_audit_log(store: Store) -> None:
    await store.audit(
        actor="telegram:42",
        platform="telegram",
        action="breaking",
        target="climate",
        outcome="refused",
        detail="not an admin",
        now=NOW,
    )
    await store.audit(
        actor="cli", platform="cli", action="breaking", target="climate", outcome="ok", now=NOW
    )
    entries = await store.audit_log()
    assert [(e.actor, e.outcome) for e in entries] == [("cli", "ok"), ("telegram:42", "refused")]


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("999", "no article 999"),
        ("²", "URL"),  # a digit to str.isdigit, not to int()
        ("1" * 30, "URL"),  # beyond SQLite's integers: not taken as an id
        ("https://news.example/new", "give a title"),
    ],
)
async def test_a_chat_proposal_with_a_bad_reference_says_why(
    categorised_store: Store, reference: str, problem: str
) -> None:
    with pytest.raises(breaking.BreakingError, match=problem):
        await breaking.propose(
            categorised_store,
            Renderer(),
            category="climate",
            reference=reference,
            title=None,
            platform="discord",
            language="en",
            now=NOW,
            story_window=timedelta(hours=48),
        )


async def test_a_chat_proposal_counts_the_audience_and_previews(categorised_store: Store) -> None:
    await setup(categorised_store)
    proposal = await breaking.propose(
        categorised_store,
        Renderer(),
        category="climate",
        reference=" https://news.example/heat ",
        title="Heatwave warning",
        platform="telegram",
        language="vi",
        now=NOW,
        story_window=timedelta(hours=48),
    )
    assert proposal.audience == 2 and proposal.article.title == "Heatwave warning"
    assert "Heatwave warning" in proposal.shown.text


async def test_following_a_push_shows_each_change_until_it_is_done(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await setup(store)
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://news.example/a", title="A"
    )
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="t", now=NOW
    )
    entries = await store.claim(now=NOW, limit=10, platforms=["telegram", "discord"])
    shown: list[str] = []
    ticks = 0

    async def show(update: breaking.Report) -> None:
        shown.append(update.line())
        if len(shown) == 1:
            raise RuntimeError("the chat is down")  # logged; following goes on

    deliveries = {3: entries[0], 5: entries[1]}  # at these ticks, one entry is delivered

    async def sleep(seconds: float) -> None:
        nonlocal ticks
        ticks += 1
        if ticks in deliveries:
            await store.complete(deliveries.pop(ticks), now=NOW, last_part=(0, "m"))

    last = await breaking.follow(
        store, report.push_id, show, clock=FakeClock(NOW), every_s=2, for_s=60, sleep=sleep
    )
    assert last is not None and last.status == "done"
    assert [line.split("subscribers: ", 1)[1] for line in shown] == [
        "0 delivered, 0 blocked or cancelled, 0 failed, 2 pending",
        "1 delivered, 0 blocked or cancelled, 0 failed, 1 pending",
        "2 delivered, 0 blocked or cancelled, 0 failed, 0 pending",
    ]
    assert ticks == 5  # unchanged reports were not shown again; it stopped when done

    ticks = 0
    other = await breaking.resolve_article(
        store, category="markets", now=NOW, url="https://news.example/b", title="B"
    )
    pending = await breaking.start_push(
        store, Renderer(), category="markets", article=other, requested_by="t", now=NOW
    )
    stalled = await breaking.follow(
        store, pending.push_id, show, clock=FakeClock(NOW), every_s=2, for_s=10, sleep=sleep
    )
    assert stalled is not None and ticks == 5  # gave up after for_s


class RefusingSender:
    """A Sender whose destinations are all gone (blocked, kicked)."""

    async def send(self, destination: object, message: object) -> str:
        from digests.delivery_errors import DestinationGone

        raise DestinationGone("bot was blocked by the user")


async def test_the_worker_finishes_a_push_that_nobody_polls(categorised_store: Store) -> None:
    """Issue 10.5: a push went out, nobody asked for its status, and every later push of the
    category was refused as "still going out"."""
    store = categorised_store
    await setup(store)
    renderer = Renderer()
    first, second = [
        await breaking.resolve_article(
            store, category="climate", now=NOW, url=f"https://n.example/{n}", title=f"Event {n}"
        )
        for n in ("one", "two")
    ]
    report = await breaking.start_push(
        store, renderer, category="climate", article=first, requested_by="api", now=NOW
    )
    senders = {"telegram": RecordingSender("telegram"), "discord": RecordingSender("discord")}
    worker = DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits())
    await worker.run_once()
    push = await store.get_push(report.push_id)  # read directly: breaking.status would finish it
    assert push is not None and (push.status, push.finished_at) == ("done", NOW)
    later = await breaking.start_push(
        store, renderer, category="climate", article=second, requested_by="cli", now=NOW
    )
    assert later.total == 2


async def test_a_push_whose_last_entries_die_or_are_cancelled_is_finished(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await setup(store)
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/x", title="Urgent"
    )
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="api", now=NOW
    )
    # Telegram's entry is refused once with a limit of one: its subscriber is deactivated and
    # the entry cancelled; Discord's entry is dead-lettered by hand, as after its last attempt.
    worker = DeliveryWorker(
        store,
        {"telegram": RefusingSender()},  # type: ignore[dict-item]
        Pacer({}),
        FakeClock(NOW),
        DeliveryLimits(forbidden_limit=1),
    )
    await worker.run_once()
    push = await store.get_push(report.push_id)
    assert push is not None and push.status == "sending" and push.pending == 1
    (entry,) = await store.claim(now=NOW, limit=5, platforms=["discord"])
    await store.give_up(entry.id, now=NOW, error="gave up after 5 attempts")
    push = await store.get_push(report.push_id)
    assert push is not None and push.status == "done"
    assert push.counts == {"cancelled": 1, "dead": 1}


async def test_a_push_left_sending_with_nothing_pending_blocks_no_other(
    categorised_store: Store,
) -> None:
    """A database from before the fix holds pushes still 'sending' whose entries all went."""
    store = categorised_store
    await setup(store)
    article = await breaking.resolve_article(
        store, category="climate", now=NOW, url="https://n.example/old", title="Old news"
    )
    async with store._transaction() as db:
        await db.execute(
            "INSERT INTO pushes (category, story_id, article_id, requested_by, created_at) "
            "VALUES ('climate', ?, ?, 'api', '2026-11-01T00:00:00+00:00')",
            (article.story_id, article.id),
        )
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
    )
    assert (report.total, report.status) == (2, "sending")
    with pytest.raises(PushBusy):  # a push that still has entries to send does block
        await breaking.start_push(
            store, Renderer(), category="climate", article=article, requested_by="cli", now=NOW
        )
