"""The admin HTTP API: authorisation, validation, articles, breaking pushes, metrics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.api import Api
from digests.models import Category
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

TOKEN = "api-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def article(**overrides: object) -> dict[str, object]:
    return {
        "url": "https://cms.example/a",
        "title": "Heat pumps overtake boilers",
        "category": "climate",
        "source": "Desk",
        "published_at": "2026-11-27T10:00:00Z",
        **overrides,
    }


@pytest.fixture
async def api(store: Store, local_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    await store.upsert_category(Category("climate", "Climate"))
    for chat in ("1", "2"):
        sub = await store.upsert_subscriber("telegram", chat, now=NOW)
        await store.subscribe(sub.id, ["climate"], now=NOW)
    wakes: list[int] = []
    app = Api(
        store,
        Renderer(),
        Settings(api_token=TOKEN),
        FakeClock(NOW),
        on_push=lambda: wakes.append(1),
    )
    base = await local_server(app.app())
    async with httpx.AsyncClient(base_url=base) as client:
        client.wakes = wakes  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/articles"),
        ("POST", "/api/breaking"),
        ("GET", "/api/breaking/1"),
        ("GET", "/api/stats"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ],
)
async def test_every_api_route_needs_the_token(
    api: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await api.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong bearer token"}


async def test_refused_requests_are_audited(api: httpx.AsyncClient, store: Store) -> None:
    await api.get("/api/stats", headers={"Authorization": "Bearer not-the-token-at-all"})
    (entry,) = await store.audit_log()
    assert (entry.platform, entry.action, entry.outcome) == ("api", "GET /api/stats", "refused")
    assert "not-the-token" not in (entry.detail or "") + entry.actor


async def test_public_routes(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    document = (await api.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.") and "/api/breaking" in document["paths"]
    metrics = (await api.get("/metrics")).text
    assert 'digestbot_subscribers{state="active"} 2.0' in metrics


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not JSON"),
        (json.dumps([]).encode(), 422, "non-empty list"),
        (json.dumps(article(url=None)).encode(), 422, "missing field: url"),
        (json.dumps(article(title=5)).encode(), 422, "title must be a string"),
        (
            json.dumps([article(), article(category="sports")]).encode(),
            422,
            "article 1: unknown category",
        ),
        (b"x" * (1024 * 1024 + 10), 413, "larger than"),
    ],
)
async def test_article_validation(
    api: httpx.AsyncClient, body: bytes, status: int, message: str
) -> None:
    response = await api.post("/api/articles", content=body, headers=AUTH)
    assert response.status_code == status
    assert message in response.json()["error"]
    stats = (await api.get("/api/stats", headers=AUTH)).json()
    assert stats["counts"]["articles"] == 0  # nothing stored from a rejected request


async def test_articles_are_idempotent_by_url(api: httpx.AsyncClient) -> None:
    first = await api.post(
        "/api/articles",
        json=[article(), article(url="https://cms.example/b", title="Glaciers retreat")],
        headers=AUTH,
    )
    assert first.status_code == 201
    assert first.json() == {
        "created": ["https://cms.example/a", "https://cms.example/b"],
        "existing": [],
    }
    again = await api.post(
        "/api/articles", json=article(url="https://cms.example/a?utm_x=1"), headers=AUTH
    )
    assert again.status_code == 200
    assert again.json() == {"created": [], "existing": ["https://cms.example/a"]}


async def test_breaking_preview_push_conflict_and_status(api: httpx.AsyncClient) -> None:
    body = {
        "category": "climate",
        "url": "https://n.example/flood",
        "title": "Floods close the ferry",
        "summary": "Until Monday.",
    }
    preview = await api.post("/api/breaking", json=body, headers=AUTH)
    assert preview.status_code == 200
    shown = preview.json()
    assert shown["status"] == "preview" and shown["subscribers"] == 2
    assert "Floods close the ferry" in shown["preview"]["telegram"]["text"]
    assert shown["preview"]["discord"]["embeds"][0]["title"] == "Breaking news"
    assert api.wakes == []  # type: ignore[attr-defined]

    pushed = await api.post("/api/breaking", json={**body, "confirm": True}, headers=AUTH)
    assert pushed.status_code == 202
    report = pushed.json()
    assert (report["status"], report["total"], report["pending"]) == ("sending", 2, 2)
    assert api.wakes == [1]  # type: ignore[attr-defined]
    busy = await api.post(
        "/api/breaking",
        json={
            "category": "climate",
            "url": "https://n.example/other",
            "title": "Other",
            "confirm": True,
        },
        headers=AUTH,
    )
    assert busy.status_code == 409 and "still going out" in busy.json()["error"]
    status = await api.get(f"/api/breaking/{report['id']}", headers=AUTH)
    assert status.json()["pending"] == 2
    assert (await api.get("/api/breaking/999", headers=AUTH)).status_code == 404
    assert (await api.get("/api/breaking/abc", headers=AUTH)).status_code == 404
    huge = await api.get(f"/api/breaking/{2**90}", headers=AUTH)  # found by schemathesis
    assert huge.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 422, "category is required"),
        ({"category": "climate", "article_id": "7"}, 422, "article_id must be an integer"),
        ({"category": "climate", "article_id": 2**70}, 422, "article_id must be an integer"),
        ({"category": "climate", "confirm": "yes", "article_id": 1}, 422, "confirm"),
        ({"category": "climate", "url": 5}, 422, "url must be a string"),
        ({"category": "sports", "article_id": 1}, 404, "unknown category"),
        ({"category": "climate", "article_id": 4242}, 422, "no article 4242"),
        ({"category": "climate"}, 422, "name an article"),
        ([1, 2], 422, "expected a JSON object"),
    ],
)
async def test_breaking_validation(
    api: httpx.AsyncClient, body: object, status: int, message: str
) -> None:
    response = await api.post("/api/breaking", json=body, headers=AUTH)
    assert response.status_code == status
    assert message in response.json()["error"]
