"""The lead story's picture and the newsroom's link tags in every renderer (issue 18):
Telegram previews the lead story's page on the first message only, Discord's first embed
(and a breaking embed) shows the stored picture, plain text names it; DIGEST_PICTURES=off
turns both off; LINK_TAGS go on links to LINK_TAG_HOSTS, never on the picture or the
stored story."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digests.assemble import DigestPlan, build_pool, make_story, plan_digest
from digests.models import Article
from digests.reach_settings import Reach
from digests.render import Presentation, Renderer
from digests.render.templates import bundled_templates_dir
from digests.settings import DigestLimits
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber

PICTURE = "https://img.news.example/lead.jpg"
TAGS = Reach(
    link_tags=(("utm_source", "digestbot"), ("utm_medium", "{platform}")),
    link_tag_hosts=frozenset({"news.example"}),
)
OFF = replace(Reach(), pictures=False)
READER = Presentation()


def digest_of(articles: list[Article]) -> DigestPlan:
    limits = DigestLimits(per_category=40, overall=40)
    pool = build_pool(articles, CATEGORIES, now=NOW, limits=limits)
    return plan_digest(make_subscriber("ai-frontier"), pool, limits=limits)


def long_digest(make_article: ArticleFactory, picture: str | None = PICTURE) -> DigestPlan:
    """Twenty stories (several messages on every platform), the newest first with a
    picture, at www.news.example; the others at news.example.com (not tagged)."""
    lead = make_article(url="https://www.news.example/lead", title="Lead story", image_url=picture)
    others = [
        make_article(
            title=f"Story {n} " + "word " * 60,
            summary="A long summary. " * 20,
            published_at=NOW - timedelta(hours=2 + n),
            image_url=f"https://img.example/{n}.jpg",
        )
        for n in range(20)
    ]
    return digest_of([lead, *others])


def test_telegram_previews_the_lead_story_on_the_first_message_only(
    make_article: ArticleFactory,
) -> None:
    messages = Renderer().render_digest(long_digest(make_article), "telegram", READER)
    assert len(messages) >= 2
    assert messages[0].preview_url == "https://www.news.example/lead"
    assert "Lead story" in messages[0].text
    assert all(m.preview_url is None and m.disable_preview for m in messages[1:])


def test_telegram_previews_the_lead_even_without_a_stored_picture(
    make_article: ArticleFactory,
) -> None:
    """Telegram draws the preview from the page (its og:image), whatever the feed named."""
    plan = long_digest(make_article, picture=None)
    (first, *_) = Renderer().render_digest(plan, "telegram", READER)
    assert first.preview_url == "https://www.news.example/lead"


def test_discord_first_embed_shows_the_lead_picture(make_article: ArticleFactory) -> None:
    messages = Renderer().render_digest(long_digest(make_article), "discord", READER)
    embeds = [e for m in messages for e in m.embeds]
    assert embeds[0]["image"] == {"url": PICTURE}
    assert "Lead story" in embeds[0]["description"]
    assert all("image" not in e for e in embeds[1:])
    assert all(m.preview_url is None for m in messages)


def test_discord_shows_the_first_sources_picture_when_the_lead_has_none(
    make_article: ArticleFactory,
) -> None:
    lead = make_article(story_id=1, priority=1, url="https://www.news.example/lead")
    other = make_article(story_id=1, source="Other", image_url="https://img.example/o.jpg")
    (message,) = Renderer().render_digest(digest_of([lead, other]), "discord", READER)
    assert message.embeds[0]["image"] == {"url": "https://img.example/o.jpg"}
    (bare,) = Renderer().render_digest(digest_of([make_article()]), "discord", READER)
    assert "image" not in bare.embeds[0]


def test_plain_text_names_the_lead_picture_once(make_article: ArticleFactory) -> None:
    messages = Renderer().render_digest(long_digest(make_article), "plain", READER)
    text = "\n".join(m.text for m in messages)
    assert text.count("Picture: ") == 1
    assert f"Picture: {PICTURE}" in messages[0].text
    assert "img.example/0.jpg" not in text


@pytest.mark.parametrize("platform", ["telegram", "discord", "plain"])
def test_pictures_off_shows_none(make_article: ArticleFactory, platform: str) -> None:
    renderer = Renderer(reach=OFF)
    messages = renderer.render_digest(long_digest(make_article), platform, READER)
    story = make_story([make_article(image_url=PICTURE)], NOW)
    messages.append(renderer.render_breaking(story, platform, READER, NOW))
    assert all(m.preview_url is None for m in messages)
    assert PICTURE not in repr(messages) and "Picture" not in repr(messages)


def test_an_empty_digest_previews_nothing() -> None:
    for platform in ("telegram", "discord", "plain"):
        (message,) = Renderer().render_digest(DigestPlan(1, (), NOW, 0), platform, READER)
        assert message.preview_url is None and not any("image" in e for e in message.embeds)


def test_breaking_items_show_their_storys_picture(make_article: ArticleFactory) -> None:
    story = make_story([make_article(url="https://www.news.example/b", image_url=PICTURE)], NOW)
    renderer = Renderer(reach=TAGS)
    telegram = renderer.render_breaking(story, "telegram", READER, NOW)
    assert telegram.preview_url == (
        "https://www.news.example/b?utm_source=digestbot&utm_medium=telegram"
    )
    discord = renderer.render_breaking(story, "discord", READER, NOW)
    assert discord.embeds[0]["image"] == {"url": PICTURE}
    assert "utm_medium=discord" in discord.embeds[0]["description"]
    plain = renderer.render_breaking(story, "plain", READER, NOW)
    assert f"Picture: {PICTURE}" in plain.text and "utm_medium=plain" in plain.text


@pytest.mark.parametrize("platform", ["telegram", "discord", "plain"])
def test_link_tags_go_on_tagged_hosts_only_and_never_on_the_picture(
    make_article: ArticleFactory, platform: str
) -> None:
    plan = long_digest(make_article)
    messages = Renderer(reach=TAGS).render_digest(plan, platform, READER)
    rendered = repr(messages)
    joiner = "&amp;" if platform == "telegram" else "&"
    tagged = f"https://www.news.example/lead?utm_source=digestbot{joiner}utm_medium={platform}"
    assert tagged in rendered
    assert "news.example.com/2?" not in rendered  # a host that is not the newsroom's
    assert "lead.jpg?" not in rendered and "utm_" not in PICTURE
    # The plan's stories, and so the stored URLs, stay as they were.
    assert all("utm_" not in a.url for s in plan.sections for st in s.stories for a in st.articles)


def test_a_hostile_stored_picture_appears_nowhere(make_article: ArticleFactory) -> None:
    """A row stored before ingest checked pictures (or by another entry point)."""
    for bad in ("javascript:alert(1)", "https://img.example/" + "a" * 3000, "data:image/png,x"):
        article = make_article(url="https://www.news.example/x", image_url=bad)
        plan = digest_of([article])
        story = make_story([article], NOW)
        for platform in ("telegram", "discord", "plain"):
            messages = [
                *Renderer().render_digest(plan, platform, READER),
                Renderer().render_breaking(story, platform, READER, NOW),
            ]
            assert bad[:30] not in repr(messages) and "Picture" not in repr(messages)


def test_a_lead_address_telegram_cannot_preview_gets_no_preview(
    make_article: ArticleFactory,
) -> None:
    """A stored address of 2,049 characters (the store takes 4,096), or one that link
    tags lengthen past 2,048, or one with a malformed host: the message goes without a
    preview rather than be refused for it."""
    long_url = "https://www.news.example/" + "a" * (2049 - len("https://www.news.example/"))
    almost = long_url[:2040]  # fits alone; LINK_TAGS make it too long
    for url, reach in (
        (long_url, Reach()),
        (almost, TAGS),
        ('https://"><b>.news.example/x', Reach()),
    ):
        article = make_article(url=url, image_url=PICTURE)
        story = make_story([article], NOW)
        renderer = Renderer(reach=reach)
        messages = [
            *renderer.render_digest(digest_of([article]), "telegram", READER),
            renderer.render_breaking(story, "telegram", READER, NOW),
        ]
        assert all(m.preview_url is None and m.disable_preview for m in messages)
    (first,) = Renderer().render_digest(digest_of([make_article(url=almost)]), "telegram", READER)
    assert first.preview_url == almost


def test_the_preview_goes_on_the_message_that_shows_the_lead_story(
    make_article: ArticleFactory, tmp_path: Path
) -> None:
    """An operator's digest template whose header fills the first message alone."""
    folder = tmp_path / "telegram"
    folder.mkdir()
    header = "<b>Header</b>\n" + "word " * 800
    builtin = (bundled_templates_dir() / "telegram" / "digest.html.j2").read_text(encoding="utf-8")
    (folder / "digest.html.j2").write_text(
        builtin.replace("<i>{{ date }}</i>", "<i>{{ date }}</i>\n" + header), encoding="utf-8"
    )
    messages = Renderer(tmp_path).render_digest(long_digest(make_article), "telegram", READER)
    assert messages[0].story_ids == () and messages[0].preview_url is None
    assert "Lead story" in messages[1].text
    assert messages[1].preview_url == "https://www.news.example/lead"
    assert [m.preview_url for m in messages].count(None) == len(messages) - 1
