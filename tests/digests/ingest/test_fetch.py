"""The fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiohttp import web

from digests.ingest.fetch import (
    MAX_RETRY_AFTER,
    FetchError,
    _retry_after,
    build_client,
    fetch_feed,
)
from digests.settings import FetchLimits

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def app_with(routes: dict[str, Callable[[web.Request], object]]) -> web.Application:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)  # type: ignore[arg-type]
    return app


async def test_conditional_get_and_user_agent(local_server) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, str]] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(
            body=FEED,
            content_type="application/rss+xml",
            headers={"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2026 10:00:00 GMT"},
        )

    base = await local_server(app_with({"/feed": feed}))
    async with build_client(FetchLimits()) as client:
        first = await fetch_feed(client, f"{base}/feed", max_bytes=10_000)
        assert not first.not_modified and first.content == FEED
        assert first.etag == '"v1"' and first.last_modified.startswith("Fri")
        second = await fetch_feed(
            client,
            f"{base}/feed",
            max_bytes=10_000,
            etag=first.etag,
            last_modified=first.last_modified,
        )
    assert second.not_modified
    assert seen[1]["If-Modified-Since"] == first.last_modified
    assert seen[0]["User-Agent"].startswith("digestbot/")


async def test_oversized_bodies_are_refused(local_server) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * 50_000

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=big)

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"y" * 1000)
        await response.write_eof()
        return response

    async def bomb(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"z" * 200_000), headers={"Content-Encoding": "gzip"}
        )

    base = await local_server(app_with({"/declared": declared, "/chunked": chunked, "/bomb": bomb}))
    async with build_client(FetchLimits()) as client:
        for path in ("/declared", "/chunked", "/bomb"):
            with pytest.raises(FetchError, match="too large"):
                await fetch_feed(client, f"{base}{path}", max_bytes=10_000)


async def test_redirects_are_followed_but_limited(local_server) -> None:  # type: ignore[no-untyped-def]
    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(body=FEED)
        raise web.HTTPFound(f"/hop/{n - 1}")

    app = web.Application()
    app.router.add_get("/hop/{n}", hop)
    base = await local_server(app)
    async with build_client(FetchLimits(max_redirects=3)) as client:
        ok = await fetch_feed(client, f"{base}/hop/3", max_bytes=10_000)
        assert ok.content == FEED and ok.url.endswith("/hop/0")
        with pytest.raises(FetchError, match="too many redirects"):
            await fetch_feed(client, f"{base}/hop/4", max_bytes=10_000)


async def test_status_errors_timeouts_and_refused_connections(local_server) -> None:  # type: ignore[no-untyped-def]
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410)

    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "120"})

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(body=FEED)

    base = await local_server(
        app_with({"/gone": gone, "/busy": busy, "/broken": broken, "/slow": slow})
    )
    async with build_client(FetchLimits(timeout_s=0.3)) as client:
        with pytest.raises(FetchError) as gone_error:
            await fetch_feed(client, f"{base}/gone", max_bytes=10_000)
        assert gone_error.value.permanent
        with pytest.raises(FetchError) as busy_error:
            await fetch_feed(client, f"{base}/busy", max_bytes=10_000)
        assert busy_error.value.retry_after == timedelta(seconds=120)
        assert not busy_error.value.permanent
        with pytest.raises(FetchError, match="HTTP 500"):
            await fetch_feed(client, f"{base}/broken", max_bytes=10_000)
        with pytest.raises(FetchError, match="timed out"):
            await fetch_feed(client, f"{base}/slow", max_bytes=10_000)
        with pytest.raises(FetchError, match="network error"):
            await fetch_feed(client, "http://127.0.0.1:9/closed", max_bytes=10_000)


async def test_a_trickling_server_hits_the_deadline_for_the_whole_response(local_server) -> None:  # type: ignore[no-untyped-def]
    # One byte every 50 ms never trips httpx's per-read timeout of 0.3 s; the deadline for
    # the whole response (here the client's 0.3 s) must end it well before the 4 s trickle.
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for _ in range(80):
            await response.write(b" ")
            await asyncio.sleep(0.05)
        await response.write_eof()
        return response

    base = await local_server(app_with({"/trickle": trickle}))
    async with build_client(FetchLimits(timeout_s=0.3)) as client:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out: no complete response within 0\.3 s"):
            await fetch_feed(client, f"{base}/trickle", max_bytes=10_000)
        assert time.monotonic() - started < 2
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"within 0\.2 s"):
            await fetch_feed(client, f"{base}/trickle", max_bytes=10_000, timeout_s=0.2)
        assert time.monotonic() - started < 2


async def test_a_huge_retry_after_is_clamped_not_a_crash(local_server) -> None:  # type: ignore[no-untyped-def]
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "99999999999999999999"})

    base = await local_server(app_with({"/busy": busy}))
    async with build_client(FetchLimits()) as client:
        with pytest.raises(FetchError, match="HTTP 429") as error:
            await fetch_feed(client, f"{base}/busy", max_bytes=10_000)
    assert error.value.retry_after == MAX_RETRY_AFTER


DATE = "Fri, 27 Nov 2026 12:00:00 GMT"


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("120", None, timedelta(seconds=120)),
        (" 120 ", None, timedelta(seconds=120)),
        ("0", None, None),
        ("99999999999999999999", None, MAX_RETRY_AFTER),
        ("9" * 5000, None, MAX_RETRY_AFTER),
        ("-5", None, None),
        ("1.5", None, None),
        ("soon", DATE, None),
        ("\u0661\u0662\u0660", None, None),  # Arabic-Indic digits are not HTTP digits
        ("Fri, 27 Nov 2026 12:10:00 GMT", DATE, timedelta(minutes=10)),
        ("Fri, 27 Nov 2026 11:00:00 GMT", DATE, None),
        ("Fri, 31 Dec 9999 23:59:59 -1200", DATE, MAX_RETRY_AFTER),
        ("Fri, 27 Nov 2026 12:10:00 GMT", None, None),
        ("Fri, 27 Nov 2026 12:10:00 GMT", "garbage", None),
        ("Fri, 27 Nov 2026 12:10:00 -0000", DATE, None),  # naive minus aware
        (None, DATE, None),
    ],
)
def test_retry_after_is_read_and_clamped(
    value: str | None, date: str | None, expected: timedelta | None
) -> None:
    assert _retry_after(value, date) == expected
