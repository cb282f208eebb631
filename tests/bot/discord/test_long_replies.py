"""Issue 19 item 4 on Discord: a reader's list too long for one message (20 keywords of 50
characters on four categories) comes whole, in private follow-ups, each within 2,000."""

from __future__ import annotations

from datetime import datetime

from digests.models import Category
from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import slash


async def test_a_list_with_long_filters_comes_whole_in_follow_ups(
    discord_bot: Bot, now: datetime
) -> None:
    store = discord_bot.store
    await store.upsert_category(Category("science", "Science"))
    reader = await store.upsert_subscriber("discord", "600", now=now, guild_id="500")
    slugs = ["ai-frontier", "climate", "markets", "science"]
    await store.subscribe(reader.id, slugs, now=now)
    words = {
        slug: [f"{slug}-{number:02d}-".ljust(50, "k") for number in range(20)] for slug in slugs
    }
    for slug in slugs:
        await store.set_keywords(reader.id, slug, words[slug])
    answer = await discord_bot.run(slash("news", "list"))
    first = answer["data"]["content"]
    followups = await discord_bot.fake.wait_for("followups", 1)
    while "Digest at" not in "".join(f["content"] for f in followups):
        followups = await discord_bot.fake.wait_for("followups", len(followups) + 1)
    pieces = [first, *(f["content"] for f in followups)]
    assert all(len(piece) <= 2000 for piece in pieces)
    assert all(f["flags"] & 64 for f in followups)
    shown = "\n".join(pieces)
    for slug in slugs:
        for word in words[slug]:
            assert word in shown
