"""A local fake of an OpenAI-compatible chat-completions server for tests (aiohttp,
127.0.0.1, its own thread and event loop, so that the synchronous CLI and a ``digestbot
run`` subprocess can call it as well as async tests).

It serves ``POST /v1/chat/completions`` and ``GET /v1/models`` and records every request
(path, headers with Authorization, JSON body). By default it answers like an obliging
model, deterministically from the request: the user message is the JSON object the
prompt sends (``{"language", "language_name", "translate", "articles": [{"source",
"title", "summary"}]}``) and the answer is ``{"summary", "title"}`` in the requested
language (``{"summary"}`` alone when ``translate`` is false), with usage (about a token
per four characters). The answers themselves are in ``tests.fakes.openai_answers``.

Scripted answers (``Reply``) are queued with ``fake.then(...)`` (each used once, in order)
or set for every call with ``fake.always(...)``: 429 with Retry-After, 500, slow, invalid
JSON, the wrong language, a link and ``@everyone`` injected, obeying an instruction
planted in an article, a raw text. ``refuse_json_schema`` plays an older llama.cpp or
Ollama that refuses ``response_format: json_schema``. ``stop()`` and ``start()`` take the
server away and bring it back on the same port.

Run it alone (for a ``digestbot run`` subprocess or by hand): ``python -m
tests.fakes.openai_api [--port N] [--obey]`` prints ``PORT <n>``; ``POST /_script`` with
a JSON list of replies (``{"kind": "status", "status": 429, "retry_after": "5"}``)
queues them, ``GET /_requests`` lists what was received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.openai_answers import INJECTED, PLANTED, Reply, answer_for

__all__ = [
    "INJECTED",
    "PLANTED",
    "FakeOpenAI",
    "FakeOpenAIServer",
    "Reply",
    "answer_for",
    "serving",
]

CHARS_PER_TOKEN = 4


@dataclass
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeOpenAI:
    """The fake's state and answers; ``FakeOpenAIServer`` serves it."""

    model: str = "fake-model"
    # Answer 401 unless the request carries "Authorization: Bearer <key>".
    key: str | None = None
    refuse_json_schema: bool = False
    requests: list[Received] = field(default_factory=list)
    _queue: deque[Reply] = field(default_factory=deque)
    _default: Reply = field(default_factory=Reply)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def then(self, *replies: Reply) -> FakeOpenAI:
        """Answer the next calls with these, in order (then the default again)."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def always(self, reply: Reply) -> FakeOpenAI:
        """Answer every call (after the queued ones) with ``reply``."""
        self._default = reply
        return self

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
        self._default = Reply()
        self.requests.clear()

    @property
    def completions(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self._default

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 << 20)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/_script", self.script)
        app.router.add_get("/_requests", self.listing)
        return app

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(
            Received(request.method, request.path, dict(request.headers.items()), body)
        )
        return body

    def _authorized(self, request: web.Request) -> bool:
        return self.key is None or request.headers.get("Authorization") == f"Bearer {self.key}"

    async def models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided")
        return web.json_response({"object": "list", "data": [{"id": self.model}]})

    async def chat(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "'messages' is required")
        fmt = body.get("response_format") or {}
        if self.refuse_json_schema and fmt.get("type") == "json_schema":
            return _error(400, "response_format type 'json_schema' is not supported")
        reply = self._next()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.kind == "status":
            return _status(reply)
        if reply.kind == "body":
            return web.Response(text=reply.text, content_type="application/json")
        content = answer_for(reply, body["messages"])
        return web.json_response(self._completion(body, content, reply.usage))

    def _completion(self, body: dict[str, Any], content: str, usage: bool) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        if usage:
            prompt = -(-len(json.dumps(body["messages"], ensure_ascii=False)) // CHARS_PER_TOKEN)
            done = -(-len(content) // CHARS_PER_TOKEN)
            answer["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": done,
                "total_tokens": prompt + done,
            }
        return answer

    async def script(self, request: web.Request) -> web.Response:
        self.then(*(Reply(**item) for item in await request.json()))
        return web.json_response({"queued": len(self._queue)})

    async def listing(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(r) for r in self.requests])


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, code: str | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return web.json_response(body, status=status, headers=headers)


def _status(reply: Reply) -> web.Response:
    headers = {}
    if reply.retry_after is not None:
        headers["Retry-After"] = reply.retry_after
    if reply.retry_after_ms is not None:
        headers["retry-after-ms"] = reply.retry_after_ms
    message = reply.text or ("Rate limit reached" if reply.status == 429 else "server error")
    return _error(reply.status, message, headers, reply.code)


# --- serving ---------------------------------------------------------------------------


class FakeOpenAIServer:
    """Serves a FakeOpenAI on 127.0.0.1 from a thread of its own."""

    def __init__(self, fake: FakeOpenAI | None = None, port: int = 0) -> None:
        self.fake = fake or FakeOpenAI()
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """What LLM_BASE_URL should be."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def start(self) -> None:
        """Serve (again, on the same port once it has one)."""
        if self._runner is None:
            self._runner = self._run(self._start())

    async def _start(self) -> web.AppRunner:
        runner = web.AppRunner(self.fake.app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self.port = runner.addresses[0][1]
        return runner

    def stop(self) -> None:
        """Stop answering: connections are refused until ``start``."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            self._run(runner.cleanup())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@contextlib.contextmanager
def serving(fake: FakeOpenAI | None = None) -> Iterator[FakeOpenAIServer]:
    """A started FakeOpenAIServer, closed at the end."""
    server = FakeOpenAIServer(fake)
    try:
        server.start()
        yield server
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--obey", action="store_true", help="obey planted instructions")
    parser.add_argument("--refuse-json-schema", action="store_true")
    arguments = parser.parse_args()
    fake = FakeOpenAI(refuse_json_schema=arguments.refuse_json_schema)
    if arguments.obey:
        fake.always(Reply.obey())
    server = FakeOpenAIServer(fake, arguments.port)
    server.start()
    print(f"PORT {server.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    server.close()


if __name__ == "__main__":
    main()
