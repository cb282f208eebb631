"""A local fake of Discord's REST API for message delivery (aiohttp, 127.0.0.1).

It checks what Discord checks for a message (content ≤ 2000, ≤ 10 embeds, ≤ 6000
characters across them, title ≤ 256, description ≤ 4096), records the allowed_mentions,
answers 429 beyond 5 messages per 5 s in a channel, and plays channels the bot may not
post in (403 50013 / 50001) or that were deleted (404 10003).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT = {
    "id": "4243",
    "username": "digestbot",
    "discriminator": "0",
    "avatar": None,
    "bot": True,
    "global_name": None,
}


@dataclass
class FakeDiscord:
    token: str | None = None
    forbidden: dict[str, int] = field(default_factory=dict)  # channel -> 50013 / 50001
    deleted: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # interaction callbacks
    synced: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # scope -> commands
    too_many: int = 0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _next: int = 9_000_000

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_post("/api/v10/channels/{channel}/messages", self.post)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        app.router.add_put("/api/v10/applications/{app}/commands", self.sync)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.sync)
        return app

    async def application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": BOT["id"],
                "name": "digestbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "k",
                "flags": 0,
                "owner": {**BOT, "bot": False},
                "team": None,
                "summary": "",
                "rpc_origins": [],
            }
        )

    async def callback(self, request: web.Request) -> web.Response:
        """An interaction answered (a reply, an ephemeral reply, autocomplete choices)."""
        if request.content_type == "application/json":
            body = await request.json()
        else:
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
        self.responses.append({"interaction": request.match_info["id"], **body})
        return web.Response(status=204)

    async def sync(self, request: web.Request) -> web.Response:
        commands = await request.json()
        self.synced[request.match_info.get("guild", "global")] = commands
        return _json(
            [
                {**c, "id": str(100 + i), "application_id": BOT["id"], "version": "1"}
                for i, c in enumerate(commands)
            ]
        )

    def _authorised(self, request: web.Request) -> bool:
        return self.token is None or request.headers.get("Authorization") == f"Bot {self.token}"

    async def me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        return _json(BOT)

    async def post(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        channel = request.match_info["channel"]
        if request.content_type == "application/json":
            body = await request.json()
        else:
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
        if channel in self.deleted:
            return _error(404, 10003, "Unknown Channel")
        if channel in self.forbidden:
            code = self.forbidden[channel]
            return _error(403, code, "Missing Permissions" if code == 50013 else "Missing Access")
        now = time.monotonic()
        recent = self._recent[channel]
        while recent and recent[0] <= now - 5:
            recent.popleft()
        if len(recent) >= 5:
            self.too_many += 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": 1.0, "global": False},
                status=429,
                headers={"Retry-After": "1", "X-RateLimit-Scope": "user"},
            )
        problem = _check(body)
        if problem:
            return _error(400, 50035, f"Invalid Form Body: {problem}")
        recent.append(now)
        self._next += 1
        self.messages.append({"channel": channel, **body})
        return _json(
            {
                "id": str(self._next),
                "channel_id": channel,
                "content": body.get("content", ""),
                "embeds": body.get("embeds", []),
                "author": BOT,
                "type": 0,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "pinned": False,
                "timestamp": "2026-11-27T12:00:00+00:00",
                "edited_timestamp": None,
            }
        )


def _check(body: dict[str, Any]) -> str | None:
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if not content and not embeds:
        return "cannot send an empty message"
    if len(content) > 2000:
        return "content over 2000"
    if len(embeds) > 10:
        return "more than 10 embeds"
    total = 0
    for embed in embeds:
        title, description = embed.get("title", ""), embed.get("description", "")
        if len(title) > 256 or len(description) > 4096:
            return "embed title or description too long"
        total += len(title) + len(description)
    if total > 6000:
        return "embeds over 6000 characters"
    return None


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py compares the header as is.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)
