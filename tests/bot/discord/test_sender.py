"""The Discord sender through discord.py against the local fake REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord.http import Route

from bot.discord.sender import DiscordSender
from digests.delivery_errors import DestinationGone, MessageRejected, TransientError
from digests.outgoing import Destination, OutgoingMessage
from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fake-token-for-the-local-server-only-x"
EMBED = OutgoingMessage(
    text="**📰 Your news digest** — @everyone",
    embeds=({"title": "Climate", "description": "[A story](https://x.example/)", "color": 1},),
)


@pytest.fixture
async def discord_api(local_server) -> AsyncIterator[tuple[FakeDiscord, DiscordSender]]:  # type: ignore[no-untyped-def]
    original = Route.BASE
    fake = FakeDiscord(token=TOKEN)
    base = await local_server(fake.app())
    sender = await DiscordSender.start(TOKEN, f"{base}/api/v10")
    try:
        yield fake, sender
    finally:
        await sender.close()
        Route.BASE = original


async def test_embeds_are_sent_without_mentions(discord_api) -> None:  # type: ignore[no-untyped-def]
    fake, sender = discord_api
    message_id = await sender.send(Destination("discord", "111"), EMBED)
    (sent,) = fake.messages
    assert message_id == "9000001" and sent["channel"] == "111"
    assert sent["allowed_mentions"] == {"parse": []}
    assert sent["embeds"][0]["title"] == "Climate"
    await sender.send(Destination("discord", "111", thread_id="222"), EMBED)
    assert fake.messages[1]["channel"] == "222"  # threads and forum posts are channels


@pytest.mark.parametrize(
    ("setup", "error", "text"),
    [
        (lambda f: f.forbidden.update({"111": 50013}), DestinationGone, "missing permissions"),
        (lambda f: f.forbidden.update({"111": 50001}), DestinationGone, "missing access"),
        (lambda f: f.deleted.add("111"), DestinationGone, "unknown channel"),
    ],
)
async def test_lost_channels_are_destination_gone(discord_api, setup, error, text) -> None:  # type: ignore[no-untyped-def]
    fake, sender = discord_api
    setup(fake)
    with pytest.raises(error, match=text):
        await sender.send(Destination("discord", "111"), EMBED)


async def test_an_invalid_message_is_rejected(discord_api) -> None:  # type: ignore[no-untyped-def]
    _, sender = discord_api
    with pytest.raises(MessageRejected, match="content over 2000"):
        await sender.send(Destination("discord", "111"), OutgoingMessage(text="x" * 2001))


async def test_bad_token_and_unreachable_server() -> None:
    original = Route.BASE
    try:
        with pytest.raises((DestinationGone, MessageRejected, TransientError)):
            await DiscordSender.start("nope", "http://127.0.0.1:9/api/v10")
    finally:
        Route.BASE = original


async def test_digests_reach_discord_channels_and_lost_channels_go_inactive(
    discord_api,
    store,  # type: ignore[no-untyped-def]
) -> None:
    from datetime import timedelta

    from digests.deliver import DeliveryWorker
    from digests.dispatch import dispatch_due
    from digests.models import Category
    from digests.pacing import Pacer, discord_policy
    from digests.render import RenderCache, Renderer
    from digests.settings import DeliveryLimits, Settings
    from digests.timeutil import FakeClock
    from tests.builders import add_article, due_reader
    from tests.conftest import NOW

    fake, sender = discord_api
    fake.forbidden["666"] = 50013
    await store.upsert_category(Category("climate", "Climate"))
    await add_article(
        store, url="https://desk.example/heat", title="Heat pumps and @everyone", now=NOW
    )
    for channel in ("555", "666"):
        await due_reader(
            store, "discord", channel, ["climate"], now=NOW, late=timedelta(0), guild_id="g1"
        )
    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    assert report.enqueued == 2
    worker = DeliveryWorker(
        store,
        {"discord": sender},
        Pacer({"discord": discord_policy()}),
        FakeClock(NOW),
        DeliveryLimits(forbidden_limit=1),
    )
    await worker.run_once()
    (message,) = fake.messages
    assert message["channel"] == "555" and message["allowed_mentions"] == {"parse": []}
    description = message["embeds"][0]["description"]
    assert "[Desk](https://desk.example/heat)" in description and "@everyone" not in description
    lost = await store.find_subscriber("discord", "666")
    assert (
        lost is not None
        and not lost.active
        and "missing permissions" in (lost.inactive_reason or "")
    )


def test_only_the_chosen_role_is_ever_mentioned() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from bot.discord.sender import CONTENT_LIMIT, with_ping

    content, mentions = with_ping("@everyone look", None)
    assert content == "@everyone look" and mentions.to_dict() == {"parse": []}

    @given(st.text(max_size=2100), st.integers(min_value=1, max_value=2**63 - 1))
    def check(text: str, role: int) -> None:
        content, mentions = with_ping(text, str(role))
        assert content.startswith(f"<@&{role}>") and len(content) <= CONTENT_LIMIT
        if len(text) < 1900:
            assert content.endswith(text)  # nothing of a text that fits is lost
        assert mentions.to_dict() == {"parse": [], "roles": [role]}

    check()


@pytest.mark.parametrize(("status", "error"), [(404, DestinationGone), (503, TransientError)])
async def test_an_echoed_token_never_reaches_the_delivery_error(  # type: ignore[no-untyped-def]
    discord_api, status: int, error: type[Exception]
) -> None:
    """An error page echoes ``Authorization: Bot <token>``: the error's text, which the
    outbox keeps and admins are told, has it redacted."""
    fake, sender = discord_api
    fake.refuse = status
    with pytest.raises(error) as caught:
        await sender.send(Destination("discord", "111"), EMBED)
    assert fake.echoed == 1
    assert TOKEN not in str(caught.value) and "[REDACTED]" in str(caught.value)
