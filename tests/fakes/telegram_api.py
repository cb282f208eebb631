"""A local fake of the Telegram Bot API for tests and benchmarks (aiohttp, 127.0.0.1).

It enforces Telegram's flood limits, answering 429 with ``retry_after`` beyond them: 30
messages/s overall, or up to 1,000/s with paid broadcasts (``allow_paid_broadcast``), and
the per-chat and per-group limits whatever the message. It rejects what Telegram rejects
(bad HTML, text over 4096 after entity parsing, an edit that changes nothing, a callback
answered twice or too late), plays blocked users, missing chats and migrated groups, and
records what it accepted.

Run it alone for a benchmark: ``python -m tests.fakes.telegram_api --rate 30`` prints
``PORT <n>`` and serves ``GET /_stats`` with the counts (``--paid-rate`` sets the paid
broadcasts' cap, 1,000 by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from digests.render.split import telegram_length
from tests.telegram_html import InvalidTelegramHTML, check

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Digest", "username": "digest_test_bot"}


@dataclass
class Limits:
    # Messages/s overall without allow_paid_broadcast (they count against the paid cap too).
    global_per_second: float = 30.0
    # Messages/s overall, paid broadcasts included.
    paid_per_second: float = 1000.0
    chat_per_3s: int = 3
    group_per_minute: int = 20


@dataclass
class FakeTelegram:
    limits: Limits = field(default_factory=Limits)
    token: str | None = None
    blocked: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    migrated: dict[str, str] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)  # HTTP codes to answer next
    # Answer every request with this status and a body echoing the request line and
    # headers, token and all (a misbehaving proxy); counted in ``echoed``.
    refuse: int | None = None
    echoed: int = 0
    delay: float = 0.0
    # The flood limits' clock (seconds): a test may hand in a fake one.
    clock: Callable[[], float] = time.monotonic
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    too_many: int = 0
    paid: int = 0  # accepted paid broadcasts
    per_chat: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    chat_types: dict[str, str] = field(default_factory=dict)
    admins: dict[str, set[int]] = field(default_factory=dict)
    # Callback query ids answered already, and those the test made too old to answer.
    answered: set[str] = field(default_factory=set)
    too_old: set[str] = field(default_factory=set)
    # What each message (chat, message id) shows now: (text, reply markup).
    contents: dict[tuple[str, int], tuple[str, Any]] = field(default_factory=dict)
    _update_id: int = 0
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _global: deque[float] = field(default_factory=deque)  # free messages accepted
    _all: deque[float] = field(default_factory=deque)  # every message accepted
    _chat: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _next_id: int = 1

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._refuse])
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        app.router.add_get("/_stats", self.stats)
        return app

    @web.middleware
    async def _refuse(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.refuse is None:
            return await handler(request)
        self.echoed += 1
        echo = echo_request(request)
        if self.refuse >= 500:  # a proxy's HTML page, not Telegram's JSON
            return web.Response(status=self.refuse, text=f"<html><pre>{echo}</pre></html>")
        return _error(self.refuse, f"Unauthorized: {echo}")

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": self.requests,
                "too_many": self.too_many,
                "accepted": len(self.messages),
                "paid": self.paid,
                "per_chat": self.per_chat,
            }
        )

    def _window_full(self, times: deque[float], now: float, window: float, limit: float) -> bool:
        while times and times[0] <= now - window:
            times.popleft()
        return len(times) >= limit

    async def handle(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params: dict[str, Any] = dict(await request.post()) if request.body_exists else {}
        if request.content_type == "application/json":
            # Read as a form would have it (every value text, objects as JSON text), as
            # Telegram takes either: what is recorded does not depend on the encoding.
            body = await request.json()
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method != "getUpdates":
            self.calls.append((method, params))
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("deleteWebhook", "setWebhook"):
            return web.json_response({"ok": True, "result": True})
        if method == "answerCallbackQuery":
            query = str(params.get("callback_query_id", ""))
            if query in self.answered or query in self.too_old:
                return _error(400, TOO_OLD)
            if len(str(params.get("text", ""))) > 200:
                return _error(400, "Bad Request: MESSAGE_TOO_LONG")
            self.answered.add(query)
            return web.json_response({"ok": True, "result": True})
        if method == "setMyCommands":
            commands = params.get("commands")
            parsed = json.loads(commands) if isinstance(commands, str) else commands
            self.commands[str(params.get("language_code") or "")] = parsed
            return web.json_response({"ok": True, "result": True})
        if method == "getChatMember":
            chat, user = str(params.get("chat_id")), int(params.get("user_id", 0))
            if chat in self.migrated:
                return self._migrated(chat)
            status = "administrator" if user in self.admins.get(chat, set()) else "member"
            member: dict[str, Any] = {
                "status": status,
                "user": {"id": user, "is_bot": False, "first_name": "U"},
            }
            if status == "administrator":
                member.update(
                    {
                        flag: True
                        for flag in (
                            "can_be_edited",
                            "is_anonymous",
                            "can_manage_chat",
                            "can_delete_messages",
                            "can_manage_video_chats",
                            "can_restrict_members",
                            "can_promote_members",
                            "can_change_info",
                            "can_invite_users",
                            "can_post_stories",
                            "can_edit_stories",
                            "can_delete_stories",
                        )
                    }
                )
            return web.json_response({"ok": True, "result": member})
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(method, params)
        if method != "sendMessage":
            return _error(404, "Not Found: method not found")
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_next:
            code = self.fail_next.pop(0)
            return _error(code, "Internal Server Error" if code >= 500 else "Bad Request")
        chat = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        now = self.clock()
        paid = params.get("allow_paid_broadcast") in (True, "true", "True")
        # A test that opens the free cap wide opens the overall one with it.
        overall = max(self.limits.paid_per_second, self.limits.global_per_second)
        if self._window_full(self._all, now, 1.0, overall):
            return self._too_many(1)
        if not paid and self._window_full(self._global, now, 1.0, self.limits.global_per_second):
            return self._too_many(1)
        window, limit = (
            (60.0, self.limits.group_per_minute)
            if chat.startswith("-")
            else (3.0, self.limits.chat_per_3s)
        )
        if self._window_full(self._chat[chat], now, window, limit):
            return self._too_many(3)
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat in self.missing:
            return _error(400, "Bad Request: chat not found")
        if chat in self.migrated:
            return self._migrated(chat)
        if params.get("parse_mode") == "HTML":
            problem, length = html_verdict(text)
            if problem is not None:
                return _error(400, f"Bad Request: can't parse entities: {problem}")
        else:
            length = len(text.encode("utf-16-le")) // 2
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if problem := markup_problem(_parsed(params.get("reply_markup"))):
            return _error(400, problem)
        if length > 4096:
            return _error(400, "Bad Request: message is too long")
        if paid:
            self.paid += 1
        else:
            self._global.append(now)
        self._all.append(now)
        self._chat[chat].append(now)
        message_id = self._next_id
        self._next_id += 1
        preview = params.get("link_preview_options")
        markup = params.get("reply_markup")
        self.messages.append(
            {
                "message_id": message_id,
                "chat_id": chat,
                "text": text,
                "parse_mode": params.get("parse_mode"),
                "message_thread_id": params.get("message_thread_id"),
                "link_preview_options": json.loads(preview)
                if isinstance(preview, str)
                else preview,
                "reply_markup": json.loads(markup) if isinstance(markup, str) else markup,
                "allow_paid_broadcast": paid,
            }
        )
        self.per_chat[chat] += 1
        self.contents[(chat, message_id)] = (text, _parsed(markup))
        return web.json_response({"ok": True, "result": self._message(message_id, chat, text)})

    def _migrated(self, chat: str) -> web.Response:
        return _error(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": int(self.migrated[chat])},
        )

    def _edit(self, method: str, params: dict[str, Any]) -> web.Response:
        """An edit of a message's text or buttons; one that changes nothing is refused as
        Telegram refuses it. A message the fake never sent is taken as it is edited."""
        chat, message_id = str(params.get("chat_id", "")), int(params.get("message_id", 0))
        if chat in self.migrated:
            return self._migrated(chat)
        markup = _parsed(params.get("reply_markup"))
        if problem := markup_problem(markup):
            return _error(400, problem)
        shown = self.contents.get((chat, message_id))
        text = str(params.get("text", "")) if method == "editMessageText" else None
        if text is None:
            text = shown[0] if shown is not None else ""
        if shown is not None and shown == (text, markup):
            return _error(400, NOT_MODIFIED)
        self.contents[(chat, message_id)] = (text, markup)
        return web.json_response({"ok": True, "result": self._message(message_id, chat, text)})

    def _message(self, message_id: int, chat: str, text: str) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {
                "id": int(chat) if chat.lstrip("-").isdigit() else 0,
                "type": self.chat_types.get(chat, "private"),
            },
            "text": text or "…",
        }

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for the bot's next getUpdates."""
        self._update_id += 1
        self.updates.append({"update_id": self._update_id, **update})
        self._new_update.set()

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), wait)
        return web.json_response({"ok": True, "result": self.updates[:100]})

    def sent_to(self, chat: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["chat_id"] == chat]

    def _too_many(self, retry_after: int) -> web.Response:
        self.too_many += 1
        return _error(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )


TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


@functools.lru_cache(maxsize=4096)
def html_verdict(text: str) -> tuple[str | None, int]:
    """Why Telegram would refuse this HTML text (None: it parses), and its length after
    entity parsing. Kept per text: a fan-out sends a few texts thousands of times, and
    the fake must not cost more CPU than the bot it measures."""
    try:
        check(text)
    except InvalidTelegramHTML as exc:
        return str(exc), 0
    return None, telegram_length(text)


def _parsed(markup: Any) -> Any:
    """A reply markup as sent (JSON text in a form post, or already decoded)."""
    return json.loads(markup) if isinstance(markup, str) else markup


# An inline keyboard Telegram refuses: more than 100 buttons, callback data over 64 bytes,
# or buttons too large together. Telegram publishes no figure for the last; reports put
# it near 8 KB of labels and data (a button costing about 16 bytes more).
MAX_BUTTONS = 100
MAX_MARKUP_BYTES = 8_000


def markup_problem(markup: Any) -> str | None:
    """Why Telegram would refuse this reply markup, or None."""
    buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
    data = [str(b.get("callback_data", "")).encode() for b in buttons]
    if any(len(d) > 64 for d in data):
        return "Bad Request: BUTTON_DATA_INVALID"
    size = sum(
        len(str(b.get("text", "")).encode()) + len(d) + 16
        for b, d in zip(buttons, data, strict=True)
    )
    if len(buttons) > MAX_BUTTONS or size > MAX_MARKUP_BYTES:
        return "Bad Request: reply markup is too long"
    return None


def echo_request(request: web.Request) -> str:
    """The request line and headers, as a careless server shows them in an error."""
    lines = [f"{request.method} {request.raw_path}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return "\n".join(lines)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _serve(rate: float, paid_rate: float) -> None:
    fake = FakeTelegram(Limits(global_per_second=rate, paid_per_second=paid_rate))
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="fake Telegram Bot API on 127.0.0.1")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--paid-rate", type=float, default=1000.0)
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.rate, arguments.paid_rate))
