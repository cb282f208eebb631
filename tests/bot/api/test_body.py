"""Requests a client botches or abandons (red-team findings 5, 6 and 17): a body that
does not match its Content-Encoding is a 400 in JSON, a request aiohttp refuses itself
costs at most one log line without a traceback, and a client that drops the connection
mid-body leaves one line, not an ERROR with a traceback. Anyone who can reach the port
can send these, token or not."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from bot.api.protocol_log import OneLineClientFaults, one_line
from digests.store import Store
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN

AUTH_LINE = f"Authorization: Bearer {ADMIN_TOKEN}\r\n".encode()


async def exchange(client: httpx.AsyncClient, raw: bytes) -> bytes:
    """Send raw bytes; everything the server answers until it closes the connection."""
    url = httpx.URL(str(client.base_url))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def server_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("aiohttp", "bot.api"))]


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    lines = server_lines(caplog)
    assert len(lines) <= 1, [r.getMessage() for r in lines]
    for record in lines:
        assert record.levelno < logging.ERROR and not record.exc_info
        assert "\n" not in record.getMessage() and "Traceback" not in caplog.text


async def test_a_body_that_does_not_match_its_encoding_is_a_400_in_json(
    admin: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """It gave a 500 and an ERROR traceback. (gzip finds the fault once the whole body is
    in, after our handler started reading it; deflate's first byte fails in aiohttp's
    parser, before the application: see the next test.)"""
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    answer = await exchange(
        admin,
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\n"
        + AUTH_LINE
        + b"Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
        + b"Content-Length: 4\r\n\r\nabcd",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split()[1] == b"400"
    assert b"application/json" in head
    assert "could not be read" in json.loads(body)["error"]
    assert_quiet(caplog)
    assert (await store.counts())["articles"] == 0


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x00x\r\n\r\n",
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 26 + b"\r\n\r\n",
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 4\r\n\r\n0\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(f"X-H{n}: v\r\n".encode() for n in range(200))
        + b"\r\n",
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\n"
        b"Content-Length: 4\r\n\r\nabcd",
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Encoding: deflate\r\n"
        b"Content-Length: 4\r\n\r\nabcd",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x1b[2J Header\r\n\r\n",
    ],
    ids=[
        "nul",
        "negative-length",
        "huge-length",
        "te-and-cl",
        "long-line",
        "many-headers",
        "brotli",
        "deflate",
        "escape",
    ],
)
async def test_a_request_aiohttp_refuses_costs_one_line_at_most(
    admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    answer = await exchange(admin, request_bytes)
    assert answer.split(b"\r\n")[0].split()[1].startswith(b"4")
    assert_quiet(caplog)
    assert "\x1b" not in caplog.text


async def test_an_unknown_expectation_is_refused_quietly_in_json(
    admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    answer = await exchange(
        admin,
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n" + AUTH_LINE + b"\r\n[]",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split()[1] == b"417"
    assert b"application/json" in head and "bogus" in json.loads(body)["error"]
    assert_quiet(caplog)


async def test_100_continue_still_works(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/api/articles", json=[], headers={**ADMIN_AUTH, "Expect": "100-continue"}
    )
    assert response.status_code == 422  # the handler saw the body: an empty list


async def test_a_client_leaving_mid_body_leaves_one_line(
    admin: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    url = httpx.URL(str(admin.base_url))
    _reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        b"POST /api/articles HTTP/1.1\r\nHost: x\r\n"
        + AUTH_LINE
        + b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"url": '
    )
    await writer.drain()
    await asyncio.sleep(0)  # let the handler start reading
    writer.transport.abort()
    for _ in range(200):  # the handler notices the reset on its own time
        if server_lines(caplog):
            break
        await asyncio.sleep(0.01)
    lines = server_lines(caplog)
    assert [r.levelno for r in lines] == [logging.WARNING]
    assert "left before sending its body" in lines[0].getMessage()
    assert_quiet(caplog)
    assert (await store.counts())["articles"] == 0


def test_the_filter_keeps_other_errors_whole() -> None:
    """A bug of ours still logs its traceback; only a client's fault is cut to a line."""
    try:
        raise KeyError("ours")
    except KeyError as exc:
        ours = logging.LogRecord(
            "aiohttp.server", logging.ERROR, "", 0, "boom", (), (KeyError, exc, exc.__traceback__)
        )
    assert OneLineClientFaults().filter(ours) and ours.exc_info and ours.levelno == logging.ERROR
    reset = ConnectionResetError("Connection lost\n  twice")
    assert one_line(reset) == "ConnectionResetError: Connection lost twice"
