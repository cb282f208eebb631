"""A real DigestClient logged in to the fake Discord REST API, driven by interaction
payloads as the gateway would deliver them (``Bot.run``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord.client import DigestClient, point_at
from bot.discord.context import DiscordContext
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fake-token-for-the-local-server-only-x"
BOT_ADMIN = 7


@dataclass
class Bot:
    client: DigestClient
    fake: FakeDiscord
    store: Store
    ctx: DiscordContext

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver an interaction as the gateway does; return the bot's answer to it. An
        answer that came after a deferral (``bot.discord.timely``: a loaded machine) is
        returned as if it had come directly: the edit of the deferred response."""
        before = len(self.fake.responses)
        self.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        answers = await self.fake.wait_for("responses", before + 1)
        (answer,) = [a for a in answers[before:] if a["interaction"] == payload["id"]]
        if answer["type"] in (5, 6):
            return await self.after_deferral(payload, answer)
        return answer

    async def after_deferral(
        self, payload: dict[str, Any], deferral: dict[str, Any]
    ) -> dict[str, Any]:
        """The edit of a deferred response as a direct answer (type 4 or 7); the deferral
        itself when the answer was a follow-up instead (a digest preview)."""
        token = payload["token"]
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            edits = [e for e in self.fake.edits if e["token"] == token]
            if edits:
                flags = (deferral.get("data") or {}).get("flags", 0)
                kind = 4 if deferral["type"] == 5 else 7
                data = {k: v for k, v in edits[0].items() if k != "token"}
                return {**deferral, "type": kind, "data": {"flags": flags, **data}}
            if any(f["token"] == token for f in self.fake.followups):
                return deferral
            await asyncio.sleep(0.01)
        raise AssertionError(f"no answer after the deferral of {payload['id']}")

    async def text(self, payload: dict[str, Any]) -> str:
        """The content of the bot's answer, checking it was private."""
        answer = await self.run(payload)
        assert answer["type"] in (4, 7), answer
        if answer["type"] == 4:
            assert answer["data"]["flags"] & 64, "replies are ephemeral"
        return str(answer["data"].get("content", ""))


def buttons(answer: dict[str, object]) -> list[tuple[str, str]]:
    """(custom id, label) of each button under an answer."""
    data = answer["data"]
    assert isinstance(data, dict)
    return [
        (c["custom_id"], c["label"])
        for row in data.get("components", [])
        for c in row["components"]
    ]


@pytest.fixture
async def discord_bot(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> AsyncIterator[Bot]:
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    fake = FakeDiscord(token=TOKEN)
    base = await local_server(fake.app())
    point_at(f"{base}/api/v10", base.replace("http", "ws") + "/gateway")
    ctx = DiscordContext(
        categorised_store,
        Renderer(),
        Settings(),
        FakeClock(NOW),
        admin_ids=frozenset({BOT_ADMIN}),
        progress_every_s=0.05,
    )
    client = DigestClient(ctx)
    await client.login(TOKEN)
    try:
        yield Bot(client, fake, categorised_store, ctx)
        # Discord refuses an answer over its limits, a second answer and a late one: the
        # bot never sends one (a test that means to sets ``fake.refused_expected``).
        refused = [(r["kind"], r["code"]) for r in fake.refused]
        assert not refused or getattr(fake, "refused_expected", False), refused
    finally:
        await client.close()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original
