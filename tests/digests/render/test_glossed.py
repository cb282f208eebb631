"""A story with a model summary (a Gloss), rendered: a Vietnamese reader of an English
story sees the Vietnamese title and summary, a "translated" note in Vietnamese and the
original links, on every platform; the model's text is escaped like an article's."""

from __future__ import annotations

import pytest

from digests.assemble import DigestPlan, Pool, build_pool, plan_digest
from digests.models import Article, Gloss
from digests.outgoing import OutgoingMessage
from digests.render import Presentation, Renderer
from digests.render.markup import discord_plain
from digests.settings import DigestLimits
from digests.summaries.gloss import gloss_pool
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber
from tests.telegram_html import check

LIMITS = DigestLimits()
VI_TITLE = "Mô hình mới vượt qua các bài kiểm tra"
VI_SUMMARY = "Hai nguồn cho biết mô hình mới vượt qua mọi bài kiểm tra chuẩn."
VIETNAMESE = Presentation("vi", "Asia/Ho_Chi_Minh")
PLATFORMS = ("telegram", "discord", "plain")


@pytest.fixture
def english(make_article: ArticleFactory) -> list[Article]:
    lead = make_article(
        title="New model passes the tests",
        summary="The lab's new model passes every benchmark, it said.",
        url="https://lab.example/model?a=1&b=2",
        source="Lab Times",
        language="en",
    )
    other = make_article(
        story_id=lead.story_id, url="https://wire.example/m", source="Wire", language="en"
    )
    return [lead, other]


def glossed_plan(articles: list[Article], gloss: Gloss, language: str) -> DigestPlan:
    pool: Pool = build_pool(articles, CATEGORIES, now=NOW, limits=LIMITS)
    pool = gloss_pool(pool, language, {(gloss.story_id, gloss.language): gloss})
    return plan_digest(make_subscriber("ai-frontier"), pool, limits=LIMITS)


def visible(message: OutgoingMessage, platform: str) -> str:
    """What a reader reads: Telegram's HTML checked and unescaped, Discord's embeds as
    plain text, plain text as it is."""
    if platform == "telegram":
        return check(message.text)
    if platform == "discord":
        return discord_plain(message.text + "\n".join(e["description"] for e in message.embeds))
    return message.text


def every_text(message: OutgoingMessage) -> str:
    embeds = "".join(e["title"] + e["description"] for e in message.embeds)
    return message.text + embeds


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_vietnamese_reader_gets_the_translation_with_the_original_links(
    english: list[Article], platform: str
) -> None:
    story_id = english[0].story_id
    gloss = Gloss(story_id, "vi", VI_SUMMARY, title=VI_TITLE, translated=True)
    (message,) = Renderer().render_digest(glossed_plan(english, gloss, "vi"), platform, VIETNAMESE)
    shown = visible(message, platform)
    assert VI_TITLE in shown and VI_SUMMARY in shown
    assert "đã dịch" in shown
    assert "New model passes" not in shown and "every benchmark" not in shown
    raw = every_text(message)
    for link in ("https://lab.example/model?a=1", "https://wire.example/m"):
        assert link in raw.replace("&amp;", "&")
    assert "Lab Times" in shown and "Wire" in shown
    assert message.story_ids == (story_id,)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_breaking_news_shows_the_translation_too(english: list[Article], platform: str) -> None:
    gloss = Gloss(english[0].story_id, "vi", VI_SUMMARY, title=VI_TITLE, translated=True)
    story = glossed_plan(english, gloss, "vi").sections[0].stories[0]
    message = Renderer().render_breaking(story, platform, VIETNAMESE, NOW)
    shown = visible(message, platform)
    assert VI_TITLE in shown and VI_SUMMARY in shown and "đã dịch" in shown
    assert "https://wire.example/m" in every_text(message)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_same_language_summary_has_no_translated_note(
    english: list[Article], platform: str
) -> None:
    combined = "Both outlets report that the lab's new model passes every benchmark."
    gloss = Gloss(english[0].story_id, "en", combined)
    (message,) = Renderer().render_digest(
        glossed_plan(english, gloss, "en"), platform, Presentation()
    )
    shown = visible(message, platform)
    assert combined in shown and "New model passes the tests" in shown  # the lead's title
    assert "translated" not in shown


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_english_reader_of_the_same_story_sees_its_sources(
    english: list[Article], platform: str
) -> None:
    gloss = Gloss(english[0].story_id, "vi", VI_SUMMARY, title=VI_TITLE, translated=True)
    plan = glossed_plan(english, gloss, "en")  # only a Vietnamese gloss is ready
    (message,) = Renderer().render_digest(plan, platform, Presentation())
    shown = visible(message, platform)
    assert "New model passes the tests" in shown and VI_TITLE not in shown
    assert "translated" not in shown


def test_a_long_model_summary_is_shown_whole(english: list[Article]) -> None:
    # 1–2 sentences up to 300 characters: an article's own summary is cut at 200.
    summary = "Câu thứ nhất khá dài về mô hình. " + "Câu thứ hai " + "rất " * 55 + "dài."
    assert 200 < len(summary) <= 300
    gloss = Gloss(english[0].story_id, "vi", summary, title=VI_TITLE, translated=True)
    for platform in PLATFORMS:
        (message,) = Renderer().render_digest(
            glossed_plan(english, gloss, "vi"), platform, VIETNAMESE
        )
        assert summary in visible(message, platform), platform
