"""What the fake OpenAI-compatible server (``tests.fakes.openai_api``) answers: the
scripted behaviours (``Reply``) and the content each gives for a request. Pure.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

# What a planted instruction looks like; the text after "reply with" (or "write") is what
# a naive model then answers. ``inputs`` drops sentences that read like orders to a
# model, so a planting that gets through is worded otherwise; a naive model obeys both.
PLANTED = re.compile(
    r"(?:ignore (?:all )?previous instructions\W+(?:and )?(?:reply|answer|respond) with"
    r"|(?:summari[sz]er|ai|bot|model)\s*[:,]\s*(?:please\s+)?(?:write|say|output)(?: only)?)"
    r":?\s*(.+)",
    re.IGNORECASE | re.DOTALL,
)
INJECTED = " Details: https://evil.example/win and ping @everyone <b>now</b>"


@dataclass(frozen=True)
class Reply:
    """One scripted behaviour. ``kind``: answer (the obliging default), status (an error
    with ``status`` and ``retry_after``/``retry_after_ms`` headers), invalid_json,
    wrong_language, inject, obey, raw (``text`` as the message content), body (``text``
    as the whole HTTP body). ``delay`` seconds pass before any of them; ``usage=False``
    leaves the usage out."""

    kind: str = "answer"
    status: int = 200
    retry_after: str | None = None
    retry_after_ms: str | None = None
    delay: float = 0.0
    text: str = ""
    usage: bool = True
    code: str | None = None  # the error body's "code"

    @classmethod
    def quota_exhausted(cls) -> Reply:
        """OpenAI's 429 for an account out of credit (no Retry-After: waiting is no use)."""
        return cls("status", 429, text="You exceeded your current quota", code="insufficient_quota")

    @classmethod
    def rate_limited(cls, retry_after: str | None = "2", ms: str | None = None) -> Reply:
        return cls("status", 429, retry_after=retry_after, retry_after_ms=ms)

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls("status", status)

    @classmethod
    def error(cls, status: int, message: str = "refused") -> Reply:
        return cls("status", status, text=message)

    @classmethod
    def slow(cls, seconds: float) -> Reply:
        return cls(delay=seconds)

    @classmethod
    def invalid_json(cls) -> Reply:
        return cls("invalid_json")

    @classmethod
    def wrong_language(cls) -> Reply:
        return cls("wrong_language")

    @classmethod
    def inject(cls, text: str = INJECTED) -> Reply:
        return cls("inject", text=text)

    @classmethod
    def obey(cls) -> Reply:
        return cls("obey")

    @classmethod
    def raw(cls, text: str) -> Reply:
        return cls("raw", text=text)

    @classmethod
    def body(cls, text: str) -> Reply:
        """The whole HTTP body (200, JSON content type): a broken proxy, a hostile server."""
        return cls("body", text=text)


def request_input(messages: list[Any]) -> dict[str, Any]:
    """The JSON object in the last user message (empty when there is none)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            try:
                parsed = json.loads(str(message.get("content", "")))
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


def _articles(data: dict[str, Any]) -> list[dict[str, str]]:
    items = data.get("articles")
    if not isinstance(items, list):
        return []
    return [
        {k: str(a.get(k, "")) for k in ("source", "title", "summary")}
        for a in items
        if isinstance(a, dict)
    ]


def vietnamese(articles: list[dict[str, str]]) -> dict[str, str]:
    """A Vietnamese summary and title that name how many sources reported (the title is
    dropped again when the request does not translate)."""
    n = max(len(articles), 1)
    return {
        "summary": (
            f"Theo {n} nguồn tin, các chuyên gia vừa công bố những thông tin mới quan trọng "
            "và nhiều người đang theo dõi sát diễn biến tiếp theo của sự kiện này."
        ),
        "title": f"Tin tổng hợp từ {n} nguồn: những diễn biến mới nhất",
    }


def english(articles: list[dict[str, str]]) -> dict[str, str]:
    """An English summary combining the articles' titles."""
    titles = [a["title"].strip().rstrip(".") for a in articles if a["title"].strip()]
    n = max(len(articles), 1)
    joined = "; ".join(titles) or "a new development"
    summary = f"{n} sources report: {joined}."
    if len(summary) > 280:
        summary = summary[:277].rstrip() + "..."
    return {"summary": summary, "title": (titles[0] if titles else "News update")[:200]}


def answer_for(reply: Reply, messages: list[Any]) -> str:
    """The message content for ``reply`` to a request with these messages."""
    if reply.kind == "raw":
        return reply.text
    if reply.kind == "invalid_json":
        return '{"summary": "Theo 3 nguồn tin, cut off'
    data = request_input(messages)
    articles = _articles(data)
    wanted = str(data.get("language", "en"))
    if reply.kind == "wrong_language":
        wanted = "en" if wanted == "vi" else "vi"
    answer = vietnamese(articles) if wanted == "vi" else english(articles)
    if data.get("translate") is False:
        del answer["title"]  # the strict schema asks for a title only when translating
    if reply.kind == "inject":
        answer["summary"] = answer["summary"][: 300 - len(reply.text)] + reply.text
    if reply.kind == "obey":
        planted = _planted(articles)
        if planted is not None:
            with contextlib.suppress(ValueError):
                if isinstance(json.loads(planted), dict):
                    return planted  # the instruction dictated the whole answer
            answer["summary"] = planted
    return json.dumps(answer, ensure_ascii=False)


def _planted(articles: list[dict[str, str]]) -> str | None:
    for article in articles:
        for text in (article["title"], article["summary"]):
            found = PLANTED.search(text)
            if found:
                return found.group(1).strip()
    return None
