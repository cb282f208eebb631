"""The console's preview page: a GET form (categories, platform, language, zone) and the
digest drawn as Telegram or Discord shows it; hostile articles stay text, hostile choices
answer 422 with one line."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest

from bot.web import shown
from digests.ingest.importer import import_records
from digests.models import Category
from digests.preview import preview_digest
from digests.render import Renderer
from digests.settings import Settings
from tests.builders import add_article
from tests.conftest import NOW

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
TITLE = "Floods close the ferry"


@pytest.fixture
async def newsroom(editor: httpx.AsyncClient) -> httpx.AsyncClient:
    store = editor.store  # type: ignore[attr-defined]
    await add_article(store, url="https://news.example/floods", title=TITLE, now=NOW)
    await add_article(
        store, url="https://news.example/chips", title="Chip plant opens", now=NOW, category="tech"
    )
    return editor


async def get(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    query = urlencode(fields, doseq=True)
    return await client.get(f"/console/preview?{query}")


async def test_the_form_alone_at_first(newsroom: httpx.AsyncClient) -> None:
    answer = await newsroom.get("/console/preview")
    assert answer.status_code == 200
    html = answer.text
    assert "<title>Preview · digestbot</title>" in html
    assert '<form method="get" action="/console/preview"' in html
    assert "<legend>Categories</legend>" in html
    for field, label in (("platform", "Platform"), ("digest-language", "Language")):
        assert f'<label for="{field}">{label}</label>' in html
    assert '<label for="timezone">Time zone</label>' in html
    assert 'id="timezone" name="timezone" value="UTC"' in html  # the bot's default
    assert '<label for="category-1">Climate</label>' in html
    assert '<option value="vi">Tiếng Việt</option>' in html
    assert '<button type="submit">Preview</button>' in html
    assert "preview-telegram" not in html and 'class="problem"' not in html


async def test_a_vietnamese_telegram_digest(newsroom: httpx.AsyncClient) -> None:
    answer = await get(
        newsroom, category="climate", platform="telegram", language="vi", timezone="Asia/Saigon"
    )
    assert answer.status_code == 200
    html = answer.text
    drawn = html.split('id="preview-telegram"', 1)[1]
    assert "<strong>📰 Bản tin của bạn</strong>" in drawn
    assert f"<strong>{TITLE}</strong></a>" in drawn
    assert '<a href="https://news.example/floods" rel="noopener noreferrer"' in drawn
    assert "Chip plant opens" not in html
    assert "Asia/Ho_Chi_Minh" in html  # the zone as resolved
    assert 'value="climate" checked' in html and '<option value="vi" selected>' in html


async def test_a_discord_digest_is_drawn_with_its_embeds(newsroom: httpx.AsyncClient) -> None:
    answer = await get(newsroom, category=["climate", "tech"], platform="discord", language="en")
    assert answer.status_code == 200
    drawn = answer.text.split('id="preview-discord"', 1)[1]
    assert '<div class="dc-content" dir="auto"><strong>📰 Your news digest</strong>' in drawn
    assert drawn.count('class="dc-embed"') == 2
    assert '<rect width="1" height="1" fill="#' in drawn  # the colour bar
    assert f'target="_blank">{TITLE}</a></strong>' in drawn


async def test_the_page_draws_exactly_the_core_preview(newsroom: httpx.AsyncClient) -> None:
    made = await preview_digest(
        newsroom.store,  # type: ignore[attr-defined]
        Renderer(),
        Settings(),
        categories=["climate"],
        platform="telegram",
        now=NOW,
        language="en",
    )
    answer = await get(newsroom, category="climate", platform="telegram", language="en")
    for message in shown.telegram(made.messages):
        assert str(message.html) in answer.text


async def test_a_hostile_article_is_text_on_both_platforms(newsroom: httpx.AsyncClient) -> None:
    store = newsroom.store  # type: ignore[attr-defined]
    # A feed's title with escaped markup is stored as that text: it is what must stay text.
    escaped = HOSTILE.replace("<", "&lt;").replace(">", "&gt;")
    await import_records(
        store,
        [
            (
                1,
                {
                    "url": 'https://news.example/x"onmouseover="alert(3)',
                    "title": escaped,
                    "summary": "[x](javascript:alert(1)) **not bold** &lt;b&gt;",
                    "category": "tech",
                    "source": "Desk",
                    "published_at": (NOW - timedelta(hours=1)).isoformat(),
                },
            )
        ],
        now=NOW,
        story_window=timedelta(hours=48),
    )
    # A category's name comes from feeds.toml, unchecked for bidi or length.
    await store.upsert_category(Category("tech", "Tech \u202eevil " + "Ư" * 5000))
    for platform in ("telegram", "discord"):
        answer = await get(newsroom, category="tech", platform=platform, language="en")
        assert answer.status_code == 200
        html = answer.text
        assert "<script>alert" not in html and "<img" not in html, platform
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, platform
        assert 'onmouseover="' not in html and "U+202E" in html, platform
        assert "javascript:" not in html.replace("[x](javascript:alert(1))", ""), platform


REFUSED: list[tuple[dict[str, object], str]] = [
    ({"category": "sports", "platform": "telegram"}, "There is no category “sports”."),
    ({"category": "x" * 3000, "platform": "telegram"}, "There is no category “xxx"),
    ({"category": "\x1b[2J\u202e", "platform": "telegram"}, "“U+001B[2JU+202E”"),
    ({"platform": "telegram"}, "Choose at least one category."),
    ({"category": [f"c{n}" for n in range(250)], "platform": "telegram"}, "Too many"),
    ({"category": "climate", "platform": "myspace"}, "Choose a platform"),
    ({"category": "climate", "platform": ["telegram", "discord"]}, "sent more than once"),
    ({"category": "climate", "language": "fr"}, "Choose a language"),
    ({"category": "climate", "timezone": "Mars/Base"}, "“Mars/Base” is not a time zone."),
    ({"category": "climate", "timezone": "Z" * 5000}, "is not a time zone"),
    ({"category": "climate", "timezone": "Asia/Ho_Chi_Mihn"}, "Did you mean Asia/Ho_Chi_Minh"),
    ({"category": "climate", "timezone": "%ED%A0%80"}, "is not a time zone"),
]


async def test_a_choice_that_is_none_answers_422_with_one_line(
    newsroom: httpx.AsyncClient,
) -> None:
    # One signed-in client for every case (a sign-in costs an argon2 hash).
    for fields, line in REFUSED:
        answer = await get(newsroom, **fields)
        assert answer.status_code == 422, fields
        assert '<p class="problem" role="alert">' in answer.text
        problem = answer.text.split('<p class="problem" role="alert">', 1)[1].split("</p>")[0]
        assert line in problem and len(problem) < 200, (fields, problem)
        assert "preview-telegram" not in answer.text
        assert "<form" in answer.text  # the form again, to put it right


async def test_lone_surrogates_and_broken_bytes_in_the_address(
    newsroom: httpx.AsyncClient,
) -> None:
    answer = await newsroom.get(
        "/console/preview?category=%ED%A0%80&platform=telegram&timezone=%FF%00"
    )
    assert answer.status_code == 422
    assert "There is no category “\ufffd" in answer.text


async def test_five_thousand_categories_are_refused_not_a_crash(
    newsroom: httpx.AsyncClient,
) -> None:
    # The address is longer than aiohttp reads (8 KiB): it refuses it before the page.
    answer = await get(newsroom, category=["c"] * 5000, platform="telegram")
    assert 400 <= answer.status_code < 500


async def test_a_visitor_is_sent_to_sign_in(web: httpx.AsyncClient) -> None:
    answer = await web.get("/console/preview?category=climate")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/login?next=/console/preview")


async def test_the_page_needs_no_inline_script_or_style(newsroom: httpx.AsyncClient) -> None:
    answer = await get(newsroom, category="climate", platform="discord")
    html = answer.text
    assert "<script>" not in html and " style=" not in html and " on" + "click" not in html
    assert '<link rel="stylesheet" href="/console/static/preview.css">' in html
    css = await newsroom.get("/console/static/preview.css")
    assert css.status_code == 200 and ".tg-bubble" in css.text


async def test_an_editor_who_reads_vietnamese_gets_the_page_in_vietnamese(
    newsroom: httpx.AsyncClient,
) -> None:
    store = newsroom.store  # type: ignore[attr-defined]
    user = await store.console_user("ed")
    assert user is not None
    await store.set_console_language(user.id, "vi", now=NOW)
    answer = await get(newsroom, category="climate", platform="telegram", language="en")
    html = answer.text
    assert "<title>Xem trước · digestbot</title>" in html
    assert "<legend>Chuyên mục</legend>" in html and "Những gì độc giả thấy" in html
    assert "Số tin nhắn: 1" in html and "Xem trước liên kết" in html
    assert "Your news digest" in html  # the digest itself stays in the reader's language
    refused = await get(newsroom, category="sports", platform="telegram")
    assert "Không có chuyên mục “sports”." in refused.text
