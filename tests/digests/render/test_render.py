from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from digests.assemble import DigestPlan, build_pool, plan_digest
from digests.models import Article
from digests.render import Presentation, Renderer, TemplateError, render_many
from digests.render.split import telegram_length
from digests.settings import DigestLimits
from tests.conftest import CATEGORIES, NOW, ArticleFactory, make_subscriber
from tests.telegram_html import check

HOSTILE = '<b>Bold</b> & <script>alert("x")</script> @everyone <@&123> **md** [x](y)'


def digest_of(articles: list[Article], *categories: str) -> DigestPlan:
    limits = DigestLimits()
    pool = build_pool(articles, CATEGORIES, now=NOW, limits=limits)
    return plan_digest(make_subscriber(*(categories or ("ai-frontier",))), pool, limits=limits)


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def test_telegram_digest_is_valid_html_with_literal_markup(
    renderer: Renderer, make_article: ArticleFactory
) -> None:
    hostile = make_article(
        title=HOSTILE,
        summary="Fish & <chips>.",
        source="A&B <News>",
        url="https://x.example/a?b=1&c=2",
    )
    plan = digest_of([hostile, make_article(story_id=hostile.story_id, source="Other")])
    (message,) = renderer.render_digest(plan, "telegram", Presentation())
    assert message.parse_mode == "HTML" and message.story_ids == (hostile.story_id,)
    visible = check(message.text)
    assert HOSTILE in visible and "Fish & <chips>." in visible and "A&B <News>" in visible
    assert '<a href="https://x.example/a?b=1&amp;c=2">' in message.text
    assert "2 min read" in visible and "Other" in visible
    assert "AI FRONTIER" in visible


def test_discord_digest_never_pings_and_escapes_markdown(
    renderer: Renderer, make_article: ArticleFactory
) -> None:
    plan = digest_of([make_article(title=HOSTILE, summary="@here look", source="@everyone")])
    (message,) = renderer.render_digest(plan, "discord", Presentation())
    text = message.text + "".join(e["title"] + e["description"] for e in message.embeds)
    for ping in ("@everyone", "@here", "<@&123>"):
        assert ping not in text
    assert "\\*\\*md\\*\\*" in text and "\\[x\\]\\(y\\)" in text
    assert message.embeds[0]["title"] == "AI Frontier"


def test_vietnamese_reader_gets_vietnamese_strings_and_dates_in_their_zone(
    renderer: Renderer, make_article: ArticleFactory
) -> None:
    plan = digest_of([make_article()])
    late = DigestPlan(plan.subscriber_id, plan.sections, NOW.replace(hour=20), plan.cursor)
    (vi,) = renderer.render_digest(late, "telegram", Presentation("vi", "Asia/Ho_Chi_Minh"))
    (en,) = renderer.render_digest(late, "telegram", Presentation("en", "America/New_York"))
    assert "Bản tin của bạn" in vi.text and "phút đọc" in vi.text
    assert "28 tháng 11, 2026" in vi.text  # 20:00 UTC is already the 28th in Hanoi
    assert "November 27, 2026" in en.text and "min read" in en.text


def test_empty_digest_says_so(renderer: Renderer) -> None:
    plan = digest_of([])
    for platform in ("telegram", "plain", "discord"):
        (message,) = renderer.render_digest(plan, platform, Presentation())
        assert "Nothing new" in message.text and message.story_ids == ()


def test_plain_text_has_links_written_out(renderer: Renderer, make_article: ArticleFactory) -> None:
    article = make_article()
    (message,) = renderer.render_digest(digest_of([article]), "plain", Presentation())
    assert article.url in message.text and article.title in message.text
    assert message.parse_mode is None


def test_breaking_item_on_each_platform(renderer: Renderer, make_article: ArticleFactory) -> None:
    plan = digest_of([make_article(title=HOSTILE)])
    story = plan.sections[0].stories[0]
    tg = renderer.render_breaking(story, "telegram", Presentation("vi"), NOW)
    assert "Tin nóng" in check(tg.text) and tg.story_ids == (story.story_id,)
    dc = renderer.render_breaking(story, "discord", Presentation(), NOW)
    assert dc.embeds[0]["title"] == "Breaking news" and "@everyone" not in str(dc.embeds)
    assert "Breaking news" in renderer.render_breaking(story, "plain", Presentation(), NOW).text


def test_welcome_and_help_texts(renderer: Renderer) -> None:
    assert "/timezone" in check(renderer.render_text("telegram", "help", Presentation()))
    assert "Chào mừng" in renderer.render_text("discord", "welcome", Presentation("vi"))
    assert "digestbot" in renderer.render_text("plain", "help", Presentation())


def test_operator_can_override_one_template(tmp_path: Path, make_article: ArticleFactory) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "digest.txt.j2").write_text(
        "{{ block() }}OUR PAPER{% for s in sections %}{% for story in s.stories %}"
        "{{ block(story.story_id) }}>> {{ story.lead.title }}{% endfor %}{% endfor %}"
    )
    article = make_article()
    renderer = Renderer(tmp_path)
    (message,) = renderer.render_digest(digest_of([article]), "plain", Presentation())
    assert message.text == f"OUR PAPER\n\n>> {article.title}"
    # Templates that were not overridden still come from the defaults.
    assert "Welcome" in renderer.render_text("plain", "welcome", Presentation())


def test_a_broken_override_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "digest.txt.j2").write_text("{{ no_such_variable }}")
    with pytest.raises(TemplateError, match=r"plain/digest\.txt\.j2"):
        Renderer(tmp_path).render_digest(digest_of([]), "plain", Presentation())


def test_render_many_shares_identical_digests(
    renderer: Renderer, make_article: ArticleFactory
) -> None:
    plan = digest_of([make_article()])
    other = digest_of([make_article(categories=("climate",))], "climate")
    readers = [
        Presentation(),
        Presentation(),
        Presentation(),
        Presentation("vi"),
        Presentation("en", "Asia/Tokyo"),
        Presentation("en", "Pacific/Kiritimati"),
    ]
    plans = [plan, plan, other, plan, plan, plan]
    results = render_many(renderer, list(zip(plans, readers, strict=True)), "telegram")
    assert results[0] is results[1]
    assert results[0] is not results[2] and results[0] is not results[3]
    assert results[4] is results[0]  # noon UTC is 21:00 in Tokyo: the same day, shared
    assert results[5] is not results[0]  # but already the 28th at UTC+14
    assert "November 28" in results[5][0].text


def test_long_titles_count_in_utf16_units() -> None:
    assert telegram_length("<b>🚀</b>&amp;") == 3


def test_wheel_ships_templates_and_translations(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    root = Path(__file__).parents[3]
    (wheel,) = WheelBuilder(str(root)).build(directory=str(tmp_path), versions=["standard"])
    names = zipfile.ZipFile(wheel).namelist()
    for name in (
        "digests/_templates/telegram/digest.html.j2",
        "digests/_templates/discord/story.md.j2",
        "digests/_templates/plain/digest.txt.j2",
        "digests/locale/vi/LC_MESSAGES/digestbot.po",
        "bot/demo_data/feeds.toml",
    ):
        assert name in names, name
    assert not any(n.startswith("tests/") for n in names)


def test_story_with_many_long_links_still_fits_discord(
    renderer: Renderer, make_article: ArticleFactory
) -> None:
    long_url = "https://x.example/" + "a" * 1900
    articles = [
        make_article(story_id=7, source=f"Source {i}", url=f"{long_url}{i}") for i in range(8)
    ]
    (message,) = renderer.render_digest(digest_of(articles), "discord", Presentation())
    (embed,) = message.embeds
    assert len(embed["description"]) <= 4096
    assert "Source 4" in embed["description"] and "+3 more" in embed["description"]
    assert message.story_ids == (7,)


def test_time_window_in_plan_is_untouched_by_rendering(make_article: ArticleFactory) -> None:
    plan = digest_of([make_article(published_at=NOW - timedelta(hours=2))])
    Renderer().render_digest(plan, "telegram", Presentation())
    assert plan.generated_at == NOW
