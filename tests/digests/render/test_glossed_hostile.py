"""A model's title and summary are untrusted: on the way from the store to a reader
(gloss_pool, then the templates) markup is escaped, mentions defused, and control, bidi
and lone surrogate characters removed, on every platform, in digests and breaking news."""

from __future__ import annotations

import pytest

from digests.assemble import Pool, Story, build_pool, plan_digest
from digests.models import Gloss
from digests.outgoing import OutgoingMessage
from digests.render import Presentation, Renderer
from digests.render.markup import ZERO_WIDTH_SPACE
from digests.settings import DigestLimits
from digests.summaries.gloss import gloss_pool
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber
from tests.telegram_html import check

LIMITS = DigestLimits()
HOSTILE_TITLE = 'Tin </a><b>giả</b> <script>alert("x")</script> @everyone'
HOSTILE_SUMMARY = (
    "Xem [x](http://evil) ngay @here <@&123> **đậm** \u202egnol\u202c "
    "\u2066cô lập\u2069 nul\x00 esc\x1b surrogate\ud800 hết."
)
UNSAFE = ("\u202e", "\u202c", "\u2066", "\u2069", "\x00", "\x1b", "\ud800")
VIETNAMESE = Presentation("vi")


@pytest.fixture
def story(make_article: ArticleFactory) -> Story:
    lead = make_article(title="Plain English title", url="https://lab.example/a", language="en")
    gloss = Gloss(lead.story_id, "vi", HOSTILE_SUMMARY, title=HOSTILE_TITLE, translated=True)
    pool = gloss_pool(
        build_pool([lead], CATEGORIES, now=NOW, limits=LIMITS),
        "vi",
        {(lead.story_id, "vi"): gloss},
    )
    (glossed,) = pool.by_category["ai-frontier"]
    return glossed


def text_of(message: OutgoingMessage) -> str:
    return message.text + "".join(e["title"] + e["description"] for e in message.embeds)


def renderings(story: Story, platform: str) -> list[OutgoingMessage]:
    pool = Pool(NOW, {"ai-frontier": (story,)}, {c.slug: c for c in CATEGORIES}, 99)
    plan = plan_digest(make_subscriber("ai-frontier"), pool, limits=LIMITS)
    renderer = Renderer()
    return [
        *renderer.render_digest(plan, platform, VIETNAMESE),
        renderer.render_breaking(story, platform, VIETNAMESE, NOW),
    ]


def assert_clean(text: str) -> None:
    for char in UNSAFE:
        assert char not in text, repr(char)
    text.encode("utf-8")  # a lone surrogate would raise here, as it would when sending


@pytest.mark.parametrize("kind", ["digest", "breaking"])
def test_telegram_shows_the_model_text_literally(story: Story, kind: str) -> None:
    message = renderings(story, "telegram")[0 if kind == "digest" else 1]
    shown = check(message.text)  # only Telegram's tags, properly nested
    assert "</a><b>giả</b>" in shown and '<script>alert("x")</script>' in shown
    assert "<script>" not in message.text and "&lt;/a&gt;" in message.text
    assert '<a href="https://lab.example/a">' in message.text
    assert "gnol" in shown and "cô lập" in shown and "hết." in shown
    assert_clean(message.text)


@pytest.mark.parametrize("kind", ["digest", "breaking"])
def test_discord_never_pings_or_links_from_model_text(story: Story, kind: str) -> None:
    message = renderings(story, "discord")[0 if kind == "digest" else 1]
    text = text_of(message)
    for ping in ("@everyone", "@here", "<@&123>"):
        assert ping not in text
    assert "@" + ZERO_WIDTH_SPACE + "everyone" in text
    assert "](http://evil)" not in text and "\\[x\\]\\(http://evil\\)" in text
    assert "\\*\\*đậm\\*\\*" in text and "\\<script\\>" in text
    assert_clean(text)


@pytest.mark.parametrize("kind", ["digest", "breaking"])
def test_plain_text_carries_no_invisible_characters(story: Story, kind: str) -> None:
    message = renderings(story, "plain")[0 if kind == "digest" else 1]
    assert HOSTILE_TITLE in message.text and "[x](http://evil)" in message.text
    assert_clean(message.text)
