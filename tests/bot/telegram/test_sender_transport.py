"""The delivery sender's HTTP transport (``AiohttpRequest``): what a broken answer may
put in an exception, and the proxy the environment names."""

from __future__ import annotations

import asyncio
import traceback

import pytest
from aiohttp import web

from bot.telegram.sender import TelegramSender
from digests.outgoing import Destination, OutgoingMessage

TOKEN = "123456:AAHsecretsecretsecretsecretsecret00"


async def _garbage_server() -> tuple[asyncio.AbstractServer, int]:
    """A server answering a malformed status line (as a broken proxy or middlebox may)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(b"HTTP/1.1 2x0 ???\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_a_malformed_answer_leaves_the_token_out_of_the_whole_exception_chain() -> None:
    """aiohttp's ClientResponseError spells the request URL (/bot<TOKEN>/...): neither the
    error the sender raises nor anything chained to it (what a traceback printed without
    the redacting log filter shows) holds the token."""
    server, port = await _garbage_server()
    sender = TelegramSender.build(TOKEN, f"http://127.0.0.1:{port}/bot")
    try:
        with pytest.raises(Exception) as caught:
            await sender.send(Destination("telegram", "42"), OutgoingMessage(text="hi"))
    finally:
        await sender.close()
        server.close()
    chain = "".join(traceback.format_exception(caught.value))
    assert TOKEN not in str(caught.value)
    assert TOKEN not in chain, chain[-600:]


async def _forward_proxy(seen: list[str]) -> tuple[web.AppRunner, int]:
    """A forward proxy's view of plain-HTTP requests: it answers every one itself."""

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": {"message_id": 5}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def test_the_sender_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PROXY (like HTTPS_PROXY / NO_PROXY) is honoured, as python-telegram-bot's httpx
    request class did: the Bot API address here is reachable only through the proxy."""
    seen: list[str] = []
    runner, port = await _forward_proxy(seen)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    sender = TelegramSender.build(TOKEN, "http://api.telegram.example/bot")
    try:
        sent = await sender.send(Destination("telegram", "42"), OutgoingMessage(text="hi"))
    finally:
        await sender.close()
        await runner.cleanup()
    assert sent == "5"
    assert seen and seen[0].startswith("http://api.telegram.example/bot")
