"""POST /api/articles with an optional ``language``: a tag is stored normalised, none is
detected, and a bad or hostile value is a 422 with a one-line JSON error, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from digests.store import Store
from tests.bot.api.conftest import ADMIN_AUTH


def record(n: int, **fields: object) -> dict[str, object]:
    return {
        "url": f"https://cms.example/{n}",
        "title": f"The river festival returns to the old town, edition {n}",
        "summary": "Boats, music and food stalls line both banks all weekend.",
        "category": "climate",
        "source": "Desk",
        "published_at": "2026-11-27T10:00:00Z",
        **fields,
    }


async def stored_language(store: Store, n: int) -> str | None:
    found = await store.find_article_by_url(f"https://cms.example/{n}")
    assert found is not None
    return found.language


async def test_a_declared_language_is_stored_and_a_missing_one_detected(
    admin: httpx.AsyncClient, store: Store
) -> None:
    body = [
        record(1, language="vi-VN"),
        record(2),
        record(3, language=None),
        record(
            4,
            title="Lễ hội sông nước trở lại phố cổ",
            summary="Thuyền, âm nhạc và các quầy ẩm thực dọc hai bờ sông suốt cuối tuần.",
        ),
    ]
    response = await admin.post("/api/articles", json=body, headers=ADMIN_AUTH)
    assert response.status_code == 201, response.text
    assert [await stored_language(store, n) for n in (1, 2, 3, 4)] == ["vi", "en", "en", "vi"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("x-klingon", "article 0: language: 'x-klingon' is not a language tag"),
        ("9" * 5000, "article 0: language is too long (5000 characters; at most 35)"),
        ("en\u202e", "article 0: language contains a control or bidi character (U+202E)"),
        ("en\x00", "article 0: language contains a control or bidi character (U+0000)"),
        (7, "article 0: language must be a string, got int"),
        (["en"], "article 0: language must be a string, got list"),
    ],
)
async def test_a_bad_language_is_a_422_naming_the_record(
    admin: httpx.AsyncClient, store: Store, language: object, message: str
) -> None:
    response = await admin.post(
        "/api/articles", json=[record(1, language=language)], headers=ADMIN_AUTH
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error.startswith(message) and "\n" not in error
    assert (await store.counts())["articles"] == 0


@pytest.mark.parametrize(
    "raw",
    [
        # A lone surrogate, escaped as JSON allows.
        '{"url": "https://cms.example/1", "title": "T", "category": "climate", '
        '"source": "Desk", "published_at": "2026-11-27T10:00:00Z", "language": "\\ud800"}',
        # A 5,000-digit number where the tag goes.
        '{"url": "https://cms.example/1", "title": "T", "category": "climate", '
        '"source": "Desk", "published_at": "2026-11-27T10:00:00Z", "language": ' + "1" * 5000 + "}",
        # A language nested 100,000 deep.
        '{"url": "https://cms.example/1", "language": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
async def test_hostile_language_values_are_a_4xx_with_one_line(
    admin: httpx.AsyncClient, store: Store, raw: str
) -> None:
    response = await admin.post(
        "/api/articles",
        content=raw.encode("utf-8"),
        headers={**ADMIN_AUTH, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.text
    error = json.loads(response.text)["error"]
    assert isinstance(error, str) and "\n" not in error and len(error) < 300
    assert (await store.counts())["articles"] == 0


async def test_an_edit_with_a_new_language_updates_it(
    admin: httpx.AsyncClient, store: Store
) -> None:
    await admin.post("/api/articles", json=record(1, language="en"), headers=ADMIN_AUTH)
    edited = record(1, title="Festival postponed by the storm", language="vi")
    response = await admin.post("/api/articles", json=edited, headers=ADMIN_AUTH)
    assert response.status_code == 200, response.text
    assert await stored_language(store, 1) == "vi"
