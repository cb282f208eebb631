"""Telegram paid broadcasts (issue 13, part 2): with TELEGRAM_PAID_BROADCAST the delivery
worker's sender sends digests and breaking news with ``allow_paid_broadcast``, nothing else
does, and the fake Bot API holds both caps as Telegram does: 30 messages/s without the
flag (429 with retry_after beyond), 1,000/s with it, per chat and per group either way."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from types import SimpleNamespace
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.cli.entry import main
from bot.runner.senders import admin_notifier, build_senders
from bot.telegram.aiohttp_request import form_body
from bot.telegram.sender import TelegramSender
from digests.deliver import DeliveryWorker
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "123456:TEST-token-for-the-fake-server-only-paid"
HELLO = OutgoingMessage(text="<b>Hello</b>", parse_mode="HTML")


class Seconds:
    """The fake Bot API's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake(local_server) -> AsyncIterator[tuple[FakeTelegram, str, Seconds]]:  # type: ignore[no-untyped-def]
    clock = Seconds()
    telegram = FakeTelegram(Limits(), token=TOKEN, clock=clock)
    base = await local_server(telegram.app())
    yield telegram, f"{base}/bot", clock


async def test_only_a_paid_sender_asks_for_paid_broadcasts(fake) -> None:  # type: ignore[no-untyped-def]
    telegram, base, _ = fake
    paid = TelegramSender.build(TOKEN, base, paid_broadcast=True)
    free = TelegramSender.build(TOKEN, base)
    try:
        await paid.send(Destination("telegram", "1"), HELLO)
        await free.send(Destination("telegram", "2"), HELLO)
        await paid.unpaid().send(Destination("telegram", "3"), HELLO)
    finally:
        await paid.close()
        await free.close()
    assert [m["allow_paid_broadcast"] for m in telegram.messages] == [True, False, False]
    assert telegram.paid == 1 and free.unpaid() is free


def app_with(telegram_base: str, *, paid: bool) -> SimpleNamespace:
    """What ``build_senders`` reads of the application."""
    rate = 1000.0 if paid else 30.0
    delivery = DeliveryLimits(telegram_max_rate=rate, telegram_paid_broadcast=paid)
    return SimpleNamespace(
        platforms=SimpleNamespace(
            telegram=SimpleNamespace(bot_token=TOKEN, api_base_url=telegram_base),
            discord=SimpleNamespace(bot_token=None),
        ),
        settings=SimpleNamespace(delivery=delivery),
    )


@pytest.mark.parametrize("paid", [True, False])
async def test_outbox_sends_are_paid_only_when_configured_and_admin_notes_never(
    fake,  # type: ignore[no-untyped-def]
    store: Store,
    paid: bool,
) -> None:
    telegram, base, clock = fake
    senders, _ = build_senders(app_with(base, paid=paid), io.StringIO())  # type: ignore[arg-type]
    items = []
    for chat in ("10", "-20"):
        subscriber = await store.upsert_subscriber("telegram", chat, now=NOW)
        kind = "breaking" if chat == "10" else "digest"
        items.append(OutboxItem(subscriber.id, kind, "p", "telegram", [HELLO]))
    await store.enqueue(items, now=NOW)
    worker = DeliveryWorker(
        store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits(telegram_max_rate=30)
    )
    try:
        assert await worker.run_once() == 2
        clock.now += 60  # past the chats' own limits
        notify = admin_notifier("telegram:-500", senders)
        assert notify is not None
        await notify("digestbot: a note")
    finally:
        await senders["telegram"].close()  # type: ignore[attr-defined]
    flags = {m["chat_id"]: m["allow_paid_broadcast"] for m in telegram.messages}
    assert flags == {"10": paid, "-20": paid, "-500": False}


async def post(session: aiohttp.ClientSession, base: str, chat: str, *, paid: bool) -> int:
    form = {"chat_id": chat, "text": "news"}
    if paid:
        form["allow_paid_broadcast"] = "true"
    async with session.post(f"{base}{TOKEN}/sendMessage", data=form) as response:
        return response.status


async def test_the_fake_refuses_a_31st_message_in_a_second_without_the_flag(fake) -> None:  # type: ignore[no-untyped-def]
    telegram, base, clock = fake
    async with aiohttp.ClientSession() as session:
        answers = [await post(session, base, str(chat), paid=False) for chat in range(31)]
        assert answers == [200] * 30 + [429]
        form = {"chat_id": "99", "text": "x"}
        async with session.post(f"{base}{TOKEN}/sendMessage", data=form) as refused:
            body = await refused.json()
        assert body["parameters"]["retry_after"] >= 1
        # A paid broadcast is not held by the free cap; a second later the free ones go on.
        assert await post(session, base, "100", paid=True) == 200
        clock.now += 1.0
        assert await post(session, base, "101", paid=False) == 200
    assert telegram.too_many == 2


async def test_the_fake_takes_paid_broadcasts_at_1000_a_second_and_no_more(fake) -> None:  # type: ignore[no-untyped-def]
    telegram, base, clock = fake
    async with aiohttp.ClientSession() as session:
        for chat in range(1000):  # paced 1 ms apart, as the Pacer spaces them at the cap
            assert await post(session, base, str(chat), paid=True) == 200, chat
            clock.now += 0.000_999
        assert await post(session, base, "1000", paid=True) == 429  # a 1,001st in the second
        clock.now += 0.01
        assert await post(session, base, "1001", paid=True) == 200
        # Per chat and per group as before, paid or not.
        assert [await post(session, base, "7", paid=True) for _ in range(3)] == [200, 200, 429]
    assert telegram.paid == 1003 and telegram.too_many == 2


def test_direct_sends_keep_to_30_a_second_while_broadcasts_go_at_1000() -> None:
    pacer = Pacer({"telegram": telegram_policy(1000)})
    now = 0.0
    for chat in range(29):  # as the rate limiter sends a reply: its own wait, then booked
        now += pacer.own_wait("telegram", f"r{chat}", now)
        assert pacer.reserve("telegram", f"r{chat}", now) == pytest.approx(0, abs=1e-9)
    assert now == pytest.approx(28 / 28.5)  # the free cap (with its 0.95 margin)
    # The replies booked the global bucket only at their own instants: broadcasts go on at
    # the paid pace, and are not held to the free cap.
    waits = [pacer.reserve("telegram", str(chat), now, broadcast=True) for chat in range(900)]
    assert waits[0] < 0.01 and max(waits) < 1.0
    # Right after a reply, the next reply waits for the free cap; a broadcast does not.
    assert pacer.own_wait("telegram", "new", now) > 0
    assert pacer.own_wait("telegram", "new", now, broadcast=True) == 0


def test_at_30_a_second_or_less_there_is_no_separate_free_cap() -> None:
    assert [limit.key for limit in telegram_policy(30)("5")] == ["global", "chat:5"]
    assert "free" in [limit.key for limit in telegram_policy(30.5)("5")]


def test_telegram_max_rate_above_30_without_paid_broadcasts_is_one_line_and_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_MAX_RATE", "100")
    monkeypatch.delenv("TELEGRAM_PAID_BROADCAST", raising=False)
    assert main(["run"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("digestbot: error: TELEGRAM_MAX_RATE above 30 needs ")
    assert "TELEGRAM_PAID_BROADCAST=true" in captured.err


@pytest.mark.parametrize(
    "parameters",
    [
        {"chat_id": "-100", "text": '<b>📰 Hé</b> a+b=c&d ~x_y.z-! \n"q" 50%'},
        {"x y": "1/2?#", "empty": ""},
    ],
)
def test_the_form_body_is_what_urlencode_makes(parameters: dict[str, str]) -> None:
    assert form_body(parameters).decode() == urlencode(parameters)
