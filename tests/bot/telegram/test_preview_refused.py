"""A group that forbids link previews (its members may not embed links) refuses a
digest's first message for its preview (issue 18). That refusal is about the message,
not the chat: it is resent without the preview (its markup kept) and delivered, and the group
keeps its subscription, however often it happens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import error as tg

from bot.telegram.sender import TelegramSender, classify
from digests.deliver import DeliveryWorker
from digests.delivery_errors import DestinationGone, MessageRejected
from digests.outgoing import OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

TOKEN = "123456:TEST-token-for-the-local-server-only"
GROUP = "-1001"
REFUSALS = (
    (403, "Forbidden: CHAT_SEND_WEBPAGE_FORBIDDEN"),
    (400, "Bad Request: not enough rights to send web page previews to the chat"),
    (400, "Bad Request: CHAT_SEND_WEBPAGE_FORBIDDEN"),
)


@pytest.mark.parametrize(("status", "description"), REFUSALS)
def test_a_refused_preview_is_a_rejected_message_not_a_gone_chat(
    status: int, description: str
) -> None:
    exc = tg.Forbidden(description) if status == 403 else tg.BadRequest(description)
    assert type(classify(exc)) is MessageRejected


@pytest.mark.parametrize(
    "exc",
    [
        tg.Forbidden("Forbidden: bot was blocked by the user"),
        tg.BadRequest("Bad Request: not enough rights to send text messages to the chat"),
        tg.BadRequest("Bad Request: chat not found"),
    ],
)
def test_other_refusals_still_mean_the_chat_is_gone(exc: tg.TelegramError) -> None:
    assert type(classify(exc)) is DestinationGone


def group_refusing_previews(status: int, description: str) -> tuple[web.Application, list]:
    """A Bot API that refuses any message asking for a link preview in GROUP."""
    accepted: list[dict[str, Any]] = []

    async def send_message(request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(await request.post())
        if not params:
            params = await request.json()
        preview = params.get("link_preview_options") or "{}"
        options = json.loads(preview) if isinstance(preview, str) else preview
        if options.get("url"):
            body = {"ok": False, "error_code": status, "description": description}
            return web.json_response(body, status=status)
        accepted.append(params)
        result = {
            "message_id": len(accepted),
            "date": int(time.time()),
            "chat": {"id": int(GROUP), "type": "supergroup", "title": "G"},
            "text": "x",
        }
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", send_message)
    return app, accepted


@pytest.mark.parametrize(("status", "description"), REFUSALS)
async def test_the_digest_still_reaches_a_group_that_forbids_previews(
    local_server: Callable[[web.Application], Any],
    store: Store,
    status: int,
    description: str,
) -> None:
    app, accepted = group_refusing_previews(status, description)
    base = await local_server(app)
    sender = TelegramSender.build(TOKEN, f"{base}/bot")
    sub = await store.upsert_subscriber("telegram", GROUP, now=NOW)
    first = OutgoingMessage(
        text="<b>Your news digest</b>\n<a href='https://www.news.example/lead'>Lead</a>",
        parse_mode="HTML",
        story_ids=(1,),
        preview_url="https://www.news.example/lead",
    )
    second = OutgoingMessage(text="<b>Second</b>", parse_mode="HTML", story_ids=(2,))
    clock = FakeClock(NOW)
    elapsed = [0.0]

    async def sleep(seconds: float) -> None:  # a group's pace, without waiting for it
        elapsed[0] += seconds

    worker = DeliveryWorker(
        store,
        {"telegram": sender},
        Pacer({"telegram": telegram_policy(100)}),
        clock,
        DeliveryLimits(forbidden_limit=1),  # one refusal as "gone" would deactivate it
        monotonic=lambda: elapsed[0],
        sleep=sleep,
    )
    try:
        for day in ("2026-11-27", "2026-11-28"):
            await store.enqueue(
                [OutboxItem(sub.id, "digest", day, "telegram", [first, second], (1, 2))],
                now=clock.now(),
            )
            await worker.run_once()
    finally:
        await sender.close()
    # Resent as it was, markup and all, only without the preview.
    firsts = [m for m in accepted if m["text"] == first.text]
    assert len(firsts) == 2 and all(m["parse_mode"] == "HTML" for m in firsts)
    assert all(json.loads(m["link_preview_options"])["is_disabled"] for m in accepted)
    group = await store.find_subscriber("telegram", GROUP)
    assert group is not None and group.active
    assert (await store.outbox_counts())["telegram"] == {"sent": 2}
