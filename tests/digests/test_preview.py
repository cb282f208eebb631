"""``digests.preview.preview_digest``: the digest a reader with chosen categories, platform,
language and zone would get now, as the dispatcher would make it (stored model summaries
only when a model is configured), and one-line refusals for choices that are none."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from digests.errors import InputError
from digests.llm_settings import LlmSettings
from digests.models import Category, SummaryRecord
from digests.preview import preview_digest
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from tests.builders import add_article
from tests.conftest import NOW

VI_TITLE = "Lũ đóng cửa bến phà"


@pytest.fixture
async def newsroom(store: Store) -> Store:
    for slug in ("climate", "tech"):
        await store.upsert_category(Category(slug, slug.title()))
    await add_article(
        store, url="https://news.example/floods", title="Floods close the ferry", now=NOW
    )
    await add_article(
        store, url="https://news.example/chips", title="Chip plant opens", now=NOW, category="tech"
    )
    return store


async def preview(store: Store, settings: Settings | None = None, **choices: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"categories": ["climate"], "platform": "telegram"}
    values.update(choices)
    return await preview_digest(
        store,
        Renderer(),
        settings or Settings(),
        now=NOW,
        **values,  # type: ignore[arg-type]
    )


async def test_a_telegram_digest_in_vietnamese(newsroom: Store) -> None:
    shown = await preview(newsroom, language="vi", timezone="asia/saigon")
    assert shown.reader.language == "vi"
    assert shown.reader.timezone == "Asia/Ho_Chi_Minh"  # the alias followed, the case fixed
    (message,) = shown.messages
    assert "Bản tin" in message.text and "Floods close the ferry" in message.text
    assert "Chip plant opens" not in message.text
    assert message.parse_mode == "HTML"


async def test_a_discord_digest_has_its_embeds(newsroom: Store) -> None:
    shown = await preview(newsroom, platform="discord", categories=["tech", "climate", "tech"])
    assert shown.categories == ("tech", "climate")
    titles = [embed["title"] for message in shown.messages for embed in message.embeds]
    assert sorted(titles) == ["Climate", "Tech"]


async def test_the_bot_defaults_fill_what_is_not_chosen(newsroom: Store) -> None:
    settings = replace(Settings(), default_language="vi", default_timezone="Asia/Tokyo")
    shown = await preview(newsroom, settings)
    assert (shown.reader.language, shown.reader.timezone) == ("vi", "Asia/Tokyo")


async def test_an_older_article_is_in_only_when_since_reaches_it(newsroom: Store) -> None:
    await add_article(
        newsroom, url="https://news.example/old", title="Old news", now=NOW, age=timedelta(days=3)
    )
    assert "Old news" not in (await preview(newsroom)).messages[0].text
    since = NOW - timedelta(days=4)
    assert "Old news" in (await preview(newsroom, since=since)).messages[0].text


async def test_stored_summaries_show_only_with_a_model(newsroom: Store) -> None:
    articles = await newsroom.candidate_articles(
        published_since=NOW - timedelta(days=1), categories=["climate"]
    )
    (article,) = articles
    await newsroom.save_summary(
        SummaryRecord(
            story_id=article.story_id,
            language="vi",
            input_hash="h1",
            article_ids=(article.id,),
            status="ready",
            at=NOW,
            summary="Hai nguồn cho biết bến phà đóng cửa vì lũ lớn trong ba ngày liền.",
            title=VI_TITLE,
            translated=True,
            model="fake",
        )
    )
    without = await preview(newsroom, language="vi")
    assert VI_TITLE not in without.messages[0].text
    model = replace(Settings(), llm=LlmSettings(base_url="http://127.0.0.1:9/v1"))
    with_model = await preview(newsroom, model, language="vi")
    assert VI_TITLE in with_model.messages[0].text


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"categories": []}, "at least one category"),
        ({"categories": ["climat"]}, "unknown category: 'climat' (did you mean 'climate'?)"),
        ({"categories": ["x" * 5000]}, "unknown category"),
        ({"platform": "myspace"}, "unknown platform: 'myspace'"),
        ({"language": "fr"}, "unknown language: 'fr'"),
        ({"timezone": "Mars/Base"}, "unknown time zone: 'Mars/Base'"),
        ({"timezone": "\ud800" * 5000}, "unknown time zone"),
        ({"since": NOW + timedelta(seconds=1)}, "must be in the past"),
    ],
)
async def test_choices_that_are_none_are_refused_in_one_line(
    newsroom: Store, choices: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        await preview(newsroom, **choices)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 300
