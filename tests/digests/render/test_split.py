"""The splitter on random digests: every message within the platform's limits and every
story exactly once, for Telegram, Discord and plain text."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.assemble import build_pool, plan_digest
from digests.models import Article
from digests.render import Presentation, Renderer
from digests.render.split import Block, Remembered, pack, parse_blocks, telegram_length
from digests.settings import DigestLimits
from tests.conftest import CATEGORIES, NOW, make_subscriber
from tests.telegram_html import InvalidTelegramHTML, check

RENDERER = Renderer()
LIMITS = DigestLimits(per_category=40, overall=120)
# The story markers' own characters are left out: an article's text drawn as "§2¤" would
# count as a second copy of story 2.
text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="§¤"),
    max_size=400,
)


@st.composite
def articles(draw: st.DrawFn) -> list[Article]:
    count = draw(st.integers(0, 60))
    result = []
    for story in range(1, count + 1):
        for source in range(draw(st.integers(1, 4))):
            path = "p" * draw(st.integers(0, 600))
            result.append(
                Article(
                    id=len(result) + 1,
                    feed_id=source,
                    url=f"https://n{source}.example/{story}/{path}",
                    title=f"§{story}¤ {draw(text)}",
                    summary=draw(text),
                    source=draw(st.sampled_from(["Wire", "Ngày Nay", "🛰 Orbit", "A&B <x>"])),
                    categories=(draw(st.sampled_from([c.slug for c in CATEGORIES])),),
                    published_at=NOW - timedelta(minutes=draw(st.integers(0, 600))),
                    fetched_at=NOW,
                    story_id=story,
                    word_count=draw(st.integers(0, 5000)),
                )
            )
    return result


def plan_for(batch: list[Article]):  # type: ignore[no-untyped-def]
    pool = build_pool(batch, CATEGORIES, now=NOW, limits=LIMITS)
    subscriber = make_subscriber(*(c.slug for c in CATEGORIES))
    return plan_digest(subscriber, pool, limits=LIMITS)


def assert_each_story_once(plan, messages, rendered_text) -> None:  # type: ignore[no-untyped-def]
    ids = [i for m in messages for i in m.story_ids]
    assert sorted(ids) == sorted(plan.story_ids)
    markers = Counter(re.findall(r"§(\d+)¤", rendered_text))
    for story_id in plan.story_ids:
        assert markers[str(story_id)] == 1, story_id


@settings(max_examples=25, deadline=None)
@given(batch=articles(), language=st.sampled_from(["en", "vi"]))
def test_telegram_messages_fit_and_parse(batch: list[Article], language: str) -> None:
    plan = plan_for(batch)
    messages = RENDERER.render_digest(plan, "telegram", Presentation(language))
    visible = []
    for message in messages:
        visible.append(check(message.text))
        assert telegram_length(message.text) <= 4096
    assert_each_story_once(plan, messages, " ".join(visible))


@settings(max_examples=25, deadline=None)
@given(batch=articles())
def test_discord_messages_fit_embed_limits(batch: list[Article]) -> None:
    plan = plan_for(batch)
    messages = RENDERER.render_digest(plan, "discord", Presentation())
    all_text = []
    for message in messages:
        assert len(message.text) <= 2000
        assert len(message.embeds) <= 10
        total = sum(len(e["title"]) + len(e["description"]) for e in message.embeds)
        assert total <= 6000
        for embed in message.embeds:
            assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
            all_text.append(embed["description"])
        assert "@everyone" not in message.text + str(message.embeds)
    assert_each_story_once(plan, messages, " ".join(all_text))


@settings(max_examples=20, deadline=None)
@given(batch=articles())
def test_plain_messages_fit(batch: list[Article]) -> None:
    plan = plan_for(batch)
    messages = RENDERER.render_digest(plan, "plain", Presentation())
    assert all(len(m.text) <= 4096 for m in messages)
    assert_each_story_once(plan, messages, " ".join(m.text for m in messages))


def test_pack_keeps_order_and_never_cuts_a_block() -> None:
    blocks = [Block("a" * 40, i) for i in range(10)]
    parts = pack(blocks, limit=100, measure=len)
    assert [b.story_id for part in parts for b in part] == list(range(10))
    assert all(sum(len(b.text) for b in part) + 2 * (len(part) - 1) <= 100 for part in parts)
    assert [len(p) for p in parts] == [2, 2, 2, 2, 2]


def test_pack_refuses_an_oversized_block_without_a_way_to_shrink_it() -> None:
    with pytest.raises(ValueError, match="exceeds the limit"):
        pack([Block("x" * 101, 1)], limit=100, measure=len)
    shrunk = pack(
        [Block("x" * 101, 1)],
        limit=100,
        measure=len,
        shrink=lambda b: Block(b.text[:50], b.story_id),
    )
    assert shrunk == [[Block("x" * 50, 1)]]


def test_parse_blocks_reads_markers_and_drops_empty_ones() -> None:
    rendered = "\x1e\x1fHeader\n\x1e7\x1fStory seven\n\x1e\x1f  \n\x1e8\x1fStory eight"
    assert parse_blocks(rendered) == [
        Block("Header", None),
        Block("Story seven", 7),
        Block("Story eight", 8),
    ]


def test_the_telegram_checker_rejects_what_telegram_rejects() -> None:
    for bad in (
        "<div>x</div>",
        "a < b",
        "<b>x",
        "<b><i>x</b></i>",
        "AT&T",
        '<a href="javascript:x">y</a>',
        '<b class="x">y</b>',
    ):
        with pytest.raises(InvalidTelegramHTML):
            check(bad)
    assert check('<b>A &amp; B</b> <a href="https://x.example/?a=1&amp;b=2">l</a>') == "A & B l"


def test_remembered_lengths_are_the_measured_ones_and_stay_few() -> None:
    calls: list[str] = []

    def measure(text: str) -> int:
        calls.append(text)
        return telegram_length(text)

    remembered = Remembered(measure, size=2)
    texts = ["<b>a &amp; b</b>", "x", "<b>a &amp; b</b>", "yy", "x"]
    assert [remembered(t) for t in texts] == [telegram_length(t) for t in texts]
    # "yy" found the memo full: it was emptied, so "x" was measured again.
    assert calls == ["<b>a &amp; b</b>", "x", "yy", "x"]
