"""A local fake of Discord's REST API and gateway (aiohttp, 127.0.0.1).

REST: it checks what Discord checks for a message (content ≤ 2000, ≤ 10 embeds, ≤ 6000
characters across them, title ≤ 256, description ≤ 4096), records the allowed_mentions,
answers 429 beyond 5 messages per 5 s in a channel (``per_channel``), and plays channels
the bot may not post in (403 50013 / 50001), that were deleted (404 10003), and members
whose DMs are closed (403 50007). Interaction answers, follow-ups and edits are recorded,
and checked as Discord checks them: the same limits (400 50035, recorded in ``refused``), a second
answer to one interaction (400 40060 "Interaction has already been acknowledged."), and an
answer later than 3 s after the interaction was created (404 10062 "Unknown interaction";
the creation time is read from the interaction's id, a snowflake, as the builders in
``discord_interactions`` make it).

Announcement channels (``announcement``, type 5; a server's ``"channels"`` list them in its
GUILD_CREATE): a message posted there can be published (crossposted, recorded in
``published``), once; Discord's hourly limit per channel is played (``publish_per_hour``,
counted in ``publish_refusals``), and ``publish_retry_after`` makes every publish in a
channel answer 429 with that wait, as Discord sends it (``global`` false, ``Via`` and the
rate-limit headers). ``publish_delay`` makes each publish answer that many seconds late;
``publish_global_once`` answers the next publish with a global 429 of that wait (once).
``await fake.convert(channel, guild, type)`` changes a channel's kind
and sends CHANNEL_UPDATE. ``slow_down`` answers any route with such a 429 (by its path).

Gateway: ``/gateway`` speaks enough of Discord's protocol for discord.py (HELLO, IDENTIFY →
READY and a GUILD_CREATE per server, heartbeats); ``await fake.dispatch(event, data)``
sends an event such as INTERACTION_CREATE or GUILD_DELETE to every connected shard.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.telegram_api import echo_request

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
    global_per_second: float | None = None  # Discord's 50/s for bots, when a test wants it
    followups: list[dict[str, Any]] = field(default_factory=list)  # follow-up messages
    edits: list[dict[str, Any]] = field(default_factory=list)  # edited interaction answers
    # Answers, follow-ups and edits Discord would refuse: {"why": code, ...the request}.
    refused: list[dict[str, Any]] = field(default_factory=list)
    # Discord's 3 s to answer an interaction (None: not checked).
    answer_within: float | None = 3.0
    dms: dict[str, str] = field(default_factory=dict)  # DM channel id -> user id
    dm_closed: set[str] = field(default_factory=set)  # users who accept no DMs
    # id -> {"system_channel": id, "roles": [role(...), ...], "name": ...,
    #        "channels": {channel id: type}}
    guilds: dict[str, dict[str, Any]] = field(default_factory=dict)
    identified: list[dict[str, Any]] = field(default_factory=list)  # IDENTIFY payloads
    # Answer every request with this status and an error echoing the request line and
    # headers, ``Authorization: Bot <token>`` included; counted in ``echoed``.
    refuse: int | None = None
    echoed: int = 0
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    # The interactions answered (their ids): a second answer is refused without a scan.
    _answered: set[str] = field(default_factory=set)
    _seq: int = 0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _global: deque[float] = field(default_factory=deque)
    _next: int = 9_000_000
    announcement: set[str] = field(default_factory=set)  # channels of type 5
    published: list[dict[str, str]] = field(default_factory=list)  # {"channel", "message"}
    publish_per_hour: int | None = 10
    publish_retry_after: dict[str, float] = field(default_factory=dict)  # channel -> 429 wait
    publish_refusals: int = 0  # 429s answered to publishes
    publish_delay: float = 0.0  # seconds each publish takes to answer
    # While set and not yet opened, every publish waits for it before answering.
    publish_gate: asyncio.Event | None = None
    publish_global_once: float | None = None  # the next publish: a global 429 of this wait
    # A route (its path after /api/v10) answered 429 with this wait, as Discord sends it.
    slow_down: dict[str, float] = field(default_factory=dict)
    posted: dict[str, str] = field(default_factory=dict)  # message id -> channel
    per_channel: int = 5  # messages per 5 s in a channel before a 429
    _publish_times: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._refuse])
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_post("/api/v10/channels/{channel}/messages", self.post)
        app.router.add_post(
            "/api/v10/channels/{channel}/messages/{message}/crosspost", self.crosspost
        )
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        app.router.add_put("/api/v10/applications/{app}/commands", self.sync)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self.sync)
        app.router.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        app.router.add_patch("/api/v10/webhooks/{app}/{token}/messages/@original", self.edit)
        app.router.add_get("/api/v10/users/{user}", self.user)
        app.router.add_post("/api/v10/users/@me/channels", self.open_dm)
        app.router.add_get("/api/v10/guilds/{guild}", self.guild)
        app.router.add_get("/api/v10/channels/{channel}", self.channel)
        app.router.add_get("/api/v10/gateway/bot", self.gateway_bot)
        app.router.add_get("/gateway", self.gateway)
        return app

    @web.middleware
    async def _refuse(self, request: web.Request, handler: Any) -> web.StreamResponse:
        wait = self.slow_down.get(request.path.removeprefix("/api/v10"))
        if wait is not None:
            return _too_many(wait)
        if self.refuse is None:
            return await handler(request)
        self.echoed += 1
        return _error(self.refuse, 0, echo_request(request))

    # --- interactions ----------------------------------------------------------------

    async def followup(self, request: web.Request) -> web.Response:
        body = await _body(request)
        problem = _check(body, needs=("content", "embeds", "components"))
        if problem:
            return self._refused("followup", body, 400, 50035, f"Invalid Form Body: {problem}")
        self.followups.append({"token": request.match_info["token"], **body})
        return self._message("600", body)

    async def edit(self, request: web.Request) -> web.Response:
        body = await _body(request)
        problem = _check(body, needs=())
        if problem:
            return self._refused("edit", body, 400, 50035, f"Invalid Form Body: {problem}")
        self.edits.append({"token": request.match_info["token"], **body})
        return self._message("edited", body)

    def _refused(
        self, kind: str, body: dict[str, Any], status: int, code: int, message: str
    ) -> web.Response:
        self.refused.append({"kind": kind, "code": code, **body})
        return _error(status, code, message)

    def _answer_problem(
        self, interaction: str, body: dict[str, Any]
    ) -> tuple[int, int, str] | None:
        """Why Discord would refuse this answer to ``interaction``: (status, code, message)."""
        if interaction in self._answered:
            return 400, 40060, "Interaction has already been acknowledged."
        created = snowflake_time(interaction)
        if (
            self.answer_within is not None
            and created is not None
            and time.time() - created > self.answer_within
        ):
            return 404, 10062, "Unknown interaction"
        data = body.get("data") or {}
        kind = body.get("type")
        if kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25 or any(
                len(c["name"]) > 100 or len(str(c["value"])) > 100 for c in choices
            ):
                return 400, 50035, "Invalid Form Body: autocomplete choices too long"
            return None
        if kind in (4, 7):
            needs = ("content", "embeds", "components") if kind == 4 else ()
            problem = _check(data, needs=needs)
            if problem:
                return 400, 50035, f"Invalid Form Body: {problem}"
        return None

    async def wait_for(self, what: str, count: int, timeout: float = 30.0) -> list[Any]:
        """Wait until ``count`` items were recorded in ``what`` (responses, messages…)."""
        deadline = time.monotonic() + timeout
        while len(getattr(self, what)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(getattr(self, what))} {what}, wanted {count}")
            await asyncio.sleep(0.01)
        return list(getattr(self, what))

    # --- users, DMs, servers, channels -------------------------------------------------

    async def user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        return _json({**BOT, "id": user_id, "username": f"user{user_id}", "bot": False})

    async def open_dm(self, request: web.Request) -> web.Response:
        recipient = str((await request.json())["recipient_id"])
        channel_id = f"7{recipient}"
        self.dms[channel_id] = recipient
        user = {**BOT, "id": recipient, "username": f"user{recipient}", "bot": False}
        return _json({"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None})

    async def guild(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        if guild_id not in self.guilds:
            return _error(404, 10004, "Unknown Guild")
        return _json(_guild(guild_id, self.guilds[guild_id]))

    async def channel(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        if channel_id in self.deleted:
            return _error(404, 10003, "Unknown Channel")
        guild_id = next(
            (g for g, info in self.guilds.items() if info.get("system_channel") == channel_id),
            "500",
        )
        kind = 5 if self.is_announcement(channel_id) else 0
        return _json(_text_channel(channel_id, guild_id, kind))

    def is_announcement(self, channel: str) -> bool:
        """In ``announcement``, or listed as type 5 among a server's channels."""
        return channel in self.announcement or any(
            info.get("channels", {}).get(channel) == 5 for info in self.guilds.values()
        )

    async def convert(self, channel: str, guild: str, kind: int) -> None:
        """Make a channel an announcement channel (5) or a text channel (0), as a server's
        manager does, and tell the connected shards (CHANNEL_UPDATE)."""
        if kind == 5:
            self.announcement.add(channel)
        else:
            self.announcement.discard(channel)
        info = self.guilds.setdefault(guild, {})
        info.setdefault("channels", {})[channel] = kind
        await self.dispatch("CHANNEL_UPDATE", _text_channel(channel, guild, kind))

    async def crosspost(self, request: web.Request) -> web.Response:
        """Publish a message of an announcement channel to the servers following it."""
        if not self._authorised(request):
            return _error(401, 0, "401: Unauthorized")
        channel, message = request.match_info["channel"], request.match_info["message"]
        if self.publish_delay:
            await asyncio.sleep(self.publish_delay)
        if self.publish_gate is not None:
            await self.publish_gate.wait()
        if self.publish_global_once is not None:
            wait, self.publish_global_once = self.publish_global_once, None
            self.publish_refusals += 1
            answer = _too_many(wait, bucket="crosspost")
            answer.body = json.dumps(
                {"message": "You are being rate limited.", "retry_after": wait, "global": True}
            ).encode()
            answer.headers["X-RateLimit-Global"] = "true"
            return answer
        if self.posted.get(message) != channel:
            return _error(404, 10008, "Unknown Message")
        if not self.is_announcement(channel):
            return _error(400, 50024, "Cannot execute action on this channel type")
        if any(p["message"] == message for p in self.published):
            return _error(400, 40033, "This message has already been crossposted.")
        now = time.monotonic()
        times = self._publish_times[channel]
        while times and times[0] <= now - 3600:
            times.popleft()
        wait = self.publish_retry_after.get(channel)
        if (
            wait is None
            and self.publish_per_hour is not None
            and len(times) >= self.publish_per_hour
        ):
            wait = round(times[0] + 3600 - now, 3)
        if wait is not None:
            self.publish_refusals += 1
            return _too_many(wait, limit=self.publish_per_hour or 10, bucket="crosspost")
        times.append(now)
        self.published.append({"channel": channel, "message": message})
        return _json(message_payload(message, channel, flags=1))  # 1: CROSSPOSTED

    # --- gateway ---------------------------------------------------------------------

    async def gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": f"ws://{request.host}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None}
        )
        async for frame in socket:
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif message["op"] == 2:
                self.identified.append(message["d"])
                self._sockets.append(socket)
                shard = message["d"].get("shard", [0, 1])
                await self._send(
                    socket,
                    "READY",
                    {
                        "v": 10,
                        "user": BOT,
                        "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
                        "session_id": "fake-session",
                        "resume_gateway_url": f"ws://{request.host}/gateway",
                        "shard": shard,
                        "application": {"id": BOT["id"], "flags": 0},
                    },
                )
                for guild_id, info in self.guilds.items():
                    await self._send(socket, "GUILD_CREATE", _guild(guild_id, info))
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to every connected shard."""
        for socket in list(self._sockets):
            await self._send(socket, event, data)

    async def _send(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await socket.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    @property
    def connected(self) -> int:
        return len(self._sockets)

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
        body = await _body(request)
        problem = self._answer_problem(request.match_info["id"], body)
        if problem:
            status, code, message = problem
            return self._refused(
                "response", {"interaction": request.match_info["id"], **body}, status, code, message
            )
        self.responses.append({"interaction": request.match_info["id"], **body})
        self._answered.add(request.match_info["id"])
        if request.query.get("with_response") not in ("1", "true"):
            return web.Response(status=204)
        flags = int((body.get("data") or {}).get("flags") or 0)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["id"],
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool(flags & 64),
                },
            }
        )

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
        body = await _body(request)
        if channel in self.deleted:
            return _error(404, 10003, "Unknown Channel")
        if self.dms.get(channel) in self.dm_closed:
            return _error(403, 50007, "Cannot send messages to this user")
        if channel in self.forbidden:
            code = self.forbidden[channel]
            return _error(403, code, "Missing Permissions" if code == 50013 else "Missing Access")
        now = time.monotonic()
        if self.global_per_second is not None:
            while self._global and self._global[0] <= now - 1:
                self._global.popleft()
            if len(self._global) >= self.global_per_second:
                self.too_many += 1
                return _json(
                    {"message": "You are being rate limited.", "retry_after": 0.5, "global": True},
                    status=429,
                    headers={"Retry-After": "1", "X-RateLimit-Global": "true"},
                )
        recent = self._recent[channel]
        while recent and recent[0] <= now - 5:
            recent.popleft()
        if len(recent) >= self.per_channel:
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
        self._global.append(now)
        self.messages.append({"channel": channel, **body})
        self.posted[str(self._next + 1)] = channel  # the id _message gives it
        return self._message(channel, body)

    def _message(self, channel: str, body: dict[str, Any]) -> web.Response:
        self._next += 1
        return _json(
            message_payload(
                str(self._next),
                channel,
                content=body.get("content", ""),
                embeds=body.get("embeds", []),
            )
        )


def _check(body: dict[str, Any], needs: tuple[str, ...] = ("content", "embeds")) -> str | None:
    """What Discord refuses in a message body, or None. ``needs``: the fields of which a
    new message must have one (an edit needs none)."""
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if needs and not any(body.get(name) for name in needs):
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


# Discord's epoch (2015-01-01), in milliseconds: a snowflake's top bits count from it.
DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake(at: float, sequence: int) -> int:
    """A snowflake id created at ``at`` (Unix seconds), as Discord makes them."""
    return (int(at * 1000) - DISCORD_EPOCH_MS) << 22 | (sequence & 0xFFF)


def snowflake_time(value: str) -> float | None:
    """When a snowflake id was created (Unix seconds); None for an id that is not one
    (a small test id)."""
    if not value.isdigit() or int(value) < 1 << 32:
        return None
    return ((int(value) >> 22) + DISCORD_EPOCH_MS) / 1000


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py compares the header as is.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _too_many(wait: float, *, limit: int = 5, bucket: str = "route") -> web.Response:
    """A 429 as Discord sends it for a route's (not the global) limit. A test's hostile
    ``wait`` (NaN, infinity, as JSON writes them) keeps a header that reads."""
    finite = wait == wait and abs(wait) != float("inf")
    return _json(
        {"message": "You are being rate limited.", "retry_after": wait, "global": False},
        status=429,
        headers={
            "Retry-After": str(int(wait) + 1) if finite else "60",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(wait),
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": "user",
            # discord.py takes a 429 without it for Cloudflare's, not Discord's.
            "Via": "1.1 google",
        },
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


def message_payload(message_id: str, channel: str, **fields: Any) -> dict[str, Any]:
    """A message of the bot's as Discord's API shows it; ``fields`` add to or replace the
    defaults (content, embeds, flags, components…)."""
    return {
        "id": message_id,
        "channel_id": channel,
        "content": "",
        "embeds": [],
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
        **fields,
    }


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    return dict(json.loads(str(form["payload_json"])))


def _guild(guild_id: str, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": info.get("name", f"server {guild_id}"),
        "icon": None,
        "owner_id": "1",
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": guild_id,
                "name": "@everyone",
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": "0",
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            # More roles, as ``discord_interactions.role(...)`` builds them (mentionable or
            # not, managed by an integration or not).
            *(
                {k: v for k, v in r.items() if not k.startswith("__")}
                for r in info.get("roles", [])
            ),
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": info.get("system_channel"),
        "system_channel_flags": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "member_count": 2,
        "members": [],
        "channels": [
            _text_channel(channel, guild_id, kind)
            for channel, kind in info.get("channels", {}).items()
        ],
        "threads": [],
        "unavailable": False,
    }


def _text_channel(channel_id: str, guild_id: str, kind: int = 0) -> dict[str, Any]:
    """A server's text channel (``kind`` 0) or announcement channel (5)."""
    return {
        "id": channel_id,
        "type": kind,
        "guild_id": guild_id,
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }
