"""The admin HTTP API: authorisation, validation, articles, breaking pushes, metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.api import Api, RefusalLog
from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.render import Renderer
from digests.settings import Settings
from digests.store import OutboxItem, Store
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
    clock = FakeClock(NOW)
    app = Api(
        store,
        Renderer(),
        Settings(api_token=TOKEN),
        clock,
        on_push=lambda: wakes.append(1),
    )
    base = await local_server(app.app())
    async with httpx.AsyncClient(base_url=base) as client:
        client.wakes = wakes  # type: ignore[attr-defined]
        client.clock = clock  # type: ignore[attr-defined]
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


# --- issue 10: hostile input, a lost database, refused attempts, metrics, pushes -------------

DEEP = b"[" * 50_000 + b"]" * 50_000


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/articles", json.dumps(article(published_at="9999-12-31T23:59:59-14:00")), 422),
        ("/api/articles", json.dumps(article(title="\ud800")), 400),  # a lone surrogate
        ("/api/articles", DEEP, 400),
        ("/api/articles", b'{"url": "https://x.example/", "n": ' + b"7" * 5000 + b"}", 400),
        ("/api/articles", b'{"title": "caf\xe9"}', 400),  # Latin-1, not UTF-8
        ("/api/articles", b"NaN", 400),
        ("/api/breaking", json.dumps({"category": "climate", "title": "\udfff"}), 400),
        ("/api/breaking", DEEP, 400),
        ("/api/breaking", b'{"category": "climate", "article_id": ' + b"9" * 5000 + b"}", 400),
        ("/api/breaking", b'{"category": "climate", "article_id": 1e400}', 400),
    ],
)
async def test_hostile_bodies_get_one_json_error_and_store_nothing(
    api: httpx.AsyncClient, path: str, body: str | bytes, status: int
) -> None:
    response = await api.post(
        path, content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert "\n" not in response.json()["error"]
    stats = (await api.get("/api/stats", headers=AUTH)).json()
    assert stats["counts"]["articles"] == 0


async def test_an_authorization_header_that_is_not_utf8_is_refused(
    api: httpx.AsyncClient, store: Store
) -> None:
    for header in (b"Bearer \xff\xfe\xfd", b"\xc3\x28 " + TOKEN.encode(), b"Bearer " + b"\x80"):
        response = await api.get("/api/stats", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json() == {"error": "missing or wrong bearer token"}
    # A path that is not UTF-8 either is audited, escaped, not a 500.
    response = await api.get("/api/%ff%ED%A0%80/x", headers={"Authorization": b"\xff"})
    assert response.status_code == 401
    assert len(await store.audit_log()) == 1


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/healthz", {}),
        ("GET", "/metrics", {}),
        ("GET", "/api/stats", AUTH),
        ("GET", "/api/stats", {}),
        ("GET", "/nowhere", AUTH),
        ("POST", "/api/articles", AUTH),
    ],
)
async def test_the_server_header_names_no_versions(
    api: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await api.request(method, path, headers=headers, content=b"{")
    assert response.headers["server"] == "digestbot"


async def test_a_malformed_request_gets_no_versions_either(api: httpx.AsyncClient) -> None:
    """aiohttp answers a request it cannot parse itself, before any middleware."""

    url = httpx.URL(str(api.base_url))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    await writer.drain()
    head = (await asyncio.wait_for(reader.read(4096), 5)).split(b"\r\n\r\n")[0]
    writer.close()
    assert head.startswith(b"HTTP/1.") and b" 400 " in head.split(b"\r\n")[0]
    assert b"\r\nServer: digestbot" in head and b"aiohttp" not in head


@pytest.mark.parametrize("loss", ["deleted", "replaced"])
async def test_a_lost_database_fails_health_and_refuses_writes(
    api: httpx.AsyncClient, store: Store, loss: str
) -> None:
    assert (await api.get("/healthz")).status_code == 200
    path = store.path
    assert path is not None
    if loss == "deleted":
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    else:  # e.g. restored from a backup under the running process
        other = path.with_name("restored.db")
        other.write_bytes(path.read_bytes())
        other.replace(path)
    health = await api.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable" and "restart" in health.json()["error"]
    assert str(path) not in health.text  # /healthz is public: no file system paths
    written = await api.post("/api/articles", json=article(), headers=AUTH)
    assert written.status_code == 503 and "database file" in written.json()["error"]
    pushed = await api.post(
        "/api/breaking",
        json={"category": "climate", "url": "https://n.example/x", "title": "X", "confirm": True},
        headers=AUTH,
    )
    assert pushed.status_code == 503
    assert (await store.counts())["articles"] == 0  # nothing written


async def test_a_database_that_does_not_answer_fails_health(tmp_path: Path) -> None:
    silent = await Store.open(tmp_path / "silent.db")
    assert await silent.health() is None
    await silent.close()  # every query now fails, as on an I/O error
    problem = await silent.health()
    assert problem is not None and problem.startswith("database does not answer")


async def test_refused_attempts_are_audited_once_a_minute_per_address(
    api: httpx.AsyncClient, store: Store
) -> None:
    """1,000 wrong tokens gave 1,000 audit rows in 1.7 s."""
    wrong = {"Authorization": "Bearer guessing-guessing-guessing"}
    for _ in range(40):
        assert (await api.get("/api/stats", headers=wrong)).status_code == 401
    assert len(await store.audit_log()) == 1
    api.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    await api.post("/api/articles", headers=wrong, json={})
    rows = await store.audit_log()
    assert len(rows) == 2
    assert rows[0].action == "POST /api/articles"
    assert rows[0].detail == "missing or wrong bearer token" and rows[0].count == 40
    assert rows[0].actor == "api:127.0.0.1" and rows[0].outcome == "refused"


def test_the_refusal_log_bounds_what_it_tracks() -> None:
    log = RefusalLog(window=timedelta(minutes=1), max_addresses=2)
    assert log.note("a", NOW) == ("a", 1)
    assert log.note("a", NOW + timedelta(seconds=59)) is None
    assert log.note("b", NOW) == ("b", 1)
    # Full: "a" holds a count and "b" is recent, so a third address shares "*".
    assert log.note("c", NOW + timedelta(seconds=30)) == ("*", 1)
    assert log.note("d", NOW + timedelta(seconds=31)) is None
    assert log.note("a", NOW + timedelta(seconds=60)) == ("a", 2)
    assert log.drain() == {"*": 1}
    # An address whose window passed with nothing held is forgotten to make room.
    assert log.note("e", NOW + timedelta(hours=1)) == ("e", 1)


async def test_refusals_held_back_are_audited_at_shutdown(store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    await store.upsert_category(Category("climate", "Climate"))
    app = Api(store, Renderer(), Settings(api_token=TOKEN), FakeClock(NOW))
    web_app = app.app()
    base = await local_server(web_app)
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(3):
            await client.get("/api/stats")
    await web_app.cleanup()
    # The held-back count joins the address's row of the same minute (Store.audit_refusal).
    rows = await store.audit_log()
    assert [(r.detail, r.count) for r in rows] == [("missing or wrong bearer token", 3)]


async def test_audit_entries_have_their_own_retention(store: Store) -> None:
    for days in (400, 10):
        await store.audit(
            actor="cli",
            platform="cli",
            action="breaking",
            outcome="ok",
            now=NOW - timedelta(days=days),
        )
    assert await store.purge_audit_before(NOW - timedelta(days=365)) == 1
    assert [e.at for e in await store.audit_log()] == [NOW - timedelta(days=10)]


async def test_metrics_forget_label_values_no_longer_in_the_store(
    api: httpx.AsyncClient, store: Store
) -> None:

    sub = await store.upsert_subscriber("discord", "9", now=NOW)
    await store.enqueue(
        [OutboxItem(sub.id, "digest", "p", "discord", [OutgoingMessage(text="x")])], now=NOW
    )
    before = (await api.get("/metrics")).text
    assert 'digestbot_outbox_entries{platform="discord",status="queued"} 1.0' in before
    (entry,) = await store.claim(now=NOW, limit=5, platforms=["discord"])
    await store.complete(entry, now=NOW, last_part=(0, "m1"))
    after = (await api.get("/metrics")).text
    assert 'status="queued"' not in after and 'status="sending"' not in after
    assert 'digestbot_outbox_entries{platform="discord",status="sent"} 1.0' in after


async def test_a_breaking_preview_stores_nothing(api: httpx.AsyncClient) -> None:
    body = {"category": "climate", "url": "https://n.example/new", "title": "A new event"}
    preview = await api.post("/api/breaking", json=body, headers=AUTH)
    assert preview.status_code == 200 and preview.json()["article_id"] is None
    assert "A new event" in preview.json()["preview"]["telegram"]["text"]
    stats = (await api.get("/api/stats", headers=AUTH)).json()
    assert stats["counts"]["articles"] == 0 and stats["counts"]["stories"] == 0
    bad = await api.post("/api/breaking", json={**body, "url": "ftp://n.example/"}, headers=AUTH)
    assert bad.status_code == 422  # checked as the push would check it
    pushed = await api.post("/api/breaking", json={**body, "confirm": True}, headers=AUTH)
    assert pushed.status_code == 202
    assert (await api.get("/api/stats", headers=AUTH)).json()["counts"]["articles"] == 1


async def test_pushing_another_categorys_article_must_be_said_explicitly(
    api: httpx.AsyncClient, store: Store
) -> None:
    await store.upsert_category(Category("markets", "Markets"))
    stored = await api.post("/api/articles", json=article(category="markets"), headers=AUTH)
    assert stored.status_code == 201
    found = await store.find_article_by_url("https://cms.example/a")
    assert found is not None
    body = {"category": "climate", "article_id": found.id, "confirm": True}
    refused = await api.post("/api/breaking", json=body, headers=AUTH)
    assert refused.status_code == 422
    assert refused.json()["error"] == (
        f"article {found.id} is in markets, not climate: "
        'send "cross_category": true to push it to climate anyway'
    )
    assert api.wakes == []  # type: ignore[attr-defined]
    bad = await api.post("/api/breaking", json={**body, "cross_category": 1}, headers=AUTH)
    assert bad.status_code == 422 and "cross_category must be" in bad.json()["error"]
    pushed = await api.post("/api/breaking", json={**body, "cross_category": True}, headers=AUTH)
    assert pushed.status_code == 202 and pushed.json()["total"] == 2
    same = await api.post(
        "/api/breaking",
        json={"category": "markets", "article_id": found.id},
        headers=AUTH,
    )
    assert same.status_code == 200  # its own category needs nothing more


async def test_the_document_lists_every_route_with_response_schemas(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/api/openapi.json")).json()
    paths = document["paths"]
    for path in ("/healthz", "/metrics", "/api/openapi.json"):
        operation = paths[path]["get"]
        assert operation["security"] == []  # public
        (content,) = operation["responses"]["200"]["content"].values()
        assert content["schema"]["type"] in ("object", "string")
    assert "503" in paths["/healthz"]["get"]["responses"]
    assert "cross_category" in str(paths["/api/breaking"]["post"]["requestBody"])
    served = await api.get("/metrics")
    assert served.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("raw", ["²", "1" * 5000, "0", "-1", "１"])
async def test_a_push_id_that_is_not_plain_digits_is_not_found(
    api: httpx.AsyncClient, raw: str
) -> None:
    response = await api.get(f"/api/breaking/{raw}", headers=AUTH)
    assert response.status_code == 404 and "no breaking push" in response.json()["error"]
