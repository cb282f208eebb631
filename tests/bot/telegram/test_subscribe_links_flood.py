"""Subscribe links through the production path: updates handed to the application's
update queue, as polling does, so that the flood admission (``bot.telegram.flood``)
holds a burst of taps and of presses on the link reply's buttons like any other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.telegram.flood import SLOW_DOWN, SLOW_PRESSES, ChatLanes
from digests.flood import Admission, FloodLimits
from digests.links import SignupCount
from digests.pacing import Pacer
from digests.store import Store
from tests.bot.telegram.test_flood import Harness, Monotonic, harness
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

READER = 1001


@pytest.fixture
async def laned(categorised_store: Store, local_server: Any) -> AsyncIterator[Harness]:
    lanes = ChatLanes(Admission(FloodLimits()), monotonic=Monotonic())
    async for h in harness(categorised_store, local_server, Pacer({}), lanes):
        yield h


async def test_50_taps_at_once_through_the_update_queue(
    laned: Harness, categorised_store: Store
) -> None:
    store = categorised_store
    lanes = laned.application.update_processor
    assert isinstance(lanes, ChatLanes)
    link = await store.add_link(["climate", "markets"], source="website", now=NOW)
    await laned.send(*(tu.command(f"/start {link.code}", chat_id=READER) for _ in range(50)))
    await laned.until(lambda: lanes.waiting(READER) == 0 and laned.texts(READER), timeout=10)
    texts = laned.texts(READER)
    assert sum("Subscribed to Climate, Markets." in text for text in texts) == 1
    assert SLOW_DOWN in texts and lanes.dropped > 0  # the excess was held at the door
    found = await store.find_subscriber("telegram", str(READER))
    assert found is not None and sorted(found.categories) == ["climate", "markets"]
    assert await store.signup_counts() == [SignupCount(link.code, "website", 1)]

    # 30 presses of "send today's digest now" at once: each answered, the excess refused,
    # and one digest sent (the button sends once a minute per chat).
    reply = next(m for m in laned.fake.sent_to(str(READER)) if "Subscribed to" in m["text"])
    presses = [
        tu.press("now", chat_id=READER, user_id=READER, message_id=reply["message_id"])
        for _ in range(30)
    ]
    await laned.send(*presses)
    ids = {p["callback_query"]["id"] for p in presses}
    await laned.until(lambda: ids <= laned.answered() and lanes.waiting(READER) == 0, 10)
    answers = [c.get("text") for m, c in laned.fake.calls if m == "answerCallbackQuery"]
    assert SLOW_PRESSES in answers
    assert answers.count("Sending today's digest…") == 1
