"""The Telegram sender through python-telegram-bot against the local fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.telegram.sender import TelegramSender
from digests.deliver import DeliveryWorker
from digests.delivery_errors import (
    ChatMigrated,
    DestinationGone,
    MessageRejected,
    RateLimited,
    TransientError,
)
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "123456:TEST-token-for-the-fake-server-only-xyz"


@pytest.fixture
async def telegram(local_server) -> AsyncIterator[tuple[FakeTelegram, TelegramSender]]:  # type: ignore[no-untyped-def]
    fake = FakeTelegram(Limits(global_per_second=200), token=TOKEN)
    base = await local_server(fake.app())
    sender = TelegramSender.build(TOKEN, f"{base}/bot")
    yield fake, sender
    await sender.close()


HTML = OutgoingMessage(text="<b>Hello</b> &amp; welcome", parse_mode="HTML")


async def test_message_is_sent_as_html_without_link_previews(telegram) -> None:  # type: ignore[no-untyped-def]
    fake, sender = telegram
    message_id = await sender.send(Destination("telegram", "42", "7"), HTML)
    (sent,) = fake.messages
    assert message_id == str(sent["message_id"])
    assert sent["chat_id"] == "42" and sent["parse_mode"] == "HTML"
    assert sent["message_thread_id"] == "7"
    assert sent["link_preview_options"] == {"is_disabled": True}


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda f: f.blocked.add("42"), DestinationGone),
        (lambda f: f.missing.add("42"), DestinationGone),
        (lambda f: f.migrated.update({"42": "-100777"}), ChatMigrated),
        (lambda f: f.fail_next.append(500), TransientError),
        (lambda f: f.fail_next.append(502), TransientError),
    ],
)
async def test_platform_errors_become_delivery_errors(telegram, setup, error) -> None:  # type: ignore[no-untyped-def]
    fake, sender = telegram
    setup(fake)
    with pytest.raises(error):
        await sender.send(Destination("telegram", "42"), HTML)


async def test_bad_html_and_overlong_text_are_rejected(telegram) -> None:  # type: ignore[no-untyped-def]
    _, sender = telegram
    with pytest.raises(MessageRejected, match="parse entities"):
        await sender.send(
            Destination("telegram", "1"), OutgoingMessage(text="<div>x</div>", parse_mode="HTML")
        )
    with pytest.raises(MessageRejected, match="too long"):
        await sender.send(Destination("telegram", "2"), OutgoingMessage(text="x" * 4097))


async def test_flood_limit_gives_retry_after(telegram) -> None:  # type: ignore[no-untyped-def]
    _, sender = telegram
    for _ in range(3):
        await sender.send(Destination("telegram", "9"), HTML)
    with pytest.raises(RateLimited) as caught:
        await sender.send(Destination("telegram", "9"), HTML)
    assert caught.value.retry_after == 3


async def test_worker_delivers_through_telegram_within_the_limits(
    telegram,
    store: Store,  # type: ignore[no-untyped-def]
) -> None:
    fake, sender = telegram
    fake.blocked.add("13")
    fake.migrated["-5"] = "-1005"
    items = []
    for chat in [str(i) for i in range(40)] + ["-5"]:
        sub = await store.upsert_subscriber("telegram", chat, now=NOW)
        parts = [
            OutgoingMessage(text=f"<b>digest</b> part {p}", parse_mode="HTML")
            for p in range(2 if chat == "7" else 1)
        ]
        items.append(OutboxItem(sub.id, "digest", "2026-11-27", "telegram", parts))
    await store.enqueue(items, now=NOW)
    clock = FakeClock(NOW)
    worker = DeliveryWorker(
        store,
        {"telegram": sender},
        Pacer({"telegram": telegram_policy(150)}),
        clock,
        DeliveryLimits(forbidden_limit=1),
    )
    await worker.run_once()
    assert fake.too_many == 0
    assert len(fake.messages) == 41  # 39 private chats, one of them twice, and the group
    assert fake.per_chat["7"] == 2 and fake.per_chat["-1005"] == 1 and "13" not in fake.per_chat
    counts = await store.outbox_counts()
    assert counts["telegram"] == {"sent": 40, "cancelled": 1}
    blocked = await store.find_subscriber("telegram", "13")
    assert blocked is not None and not blocked.active
    assert await store.find_subscriber("telegram", "-1005") is not None
    clock.advance(timedelta(days=1))
    assert await worker.run_once() == 0


@pytest.mark.parametrize("status", [400, 403, 404, 502])
async def test_an_echoed_token_never_reaches_the_delivery_error(telegram, status: int) -> None:  # type: ignore[no-untyped-def]
    """A proxy's error page echoes the request path (token included): the error's text,
    which the outbox keeps and admins are told, has it redacted."""
    fake, sender = telegram
    fake.refuse = status
    with pytest.raises((DestinationGone, MessageRejected, TransientError)) as caught:
        await sender.send(Destination("telegram", "42"), HTML)
    assert fake.echoed == 1
    assert TOKEN not in str(caught.value) and "[REDACTED]" in str(caught.value)
