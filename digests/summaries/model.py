"""The seam between the summary worker and a language model: one request, one completion.

``bot.llm`` implements ``Model`` with the official ``openai`` client; tests use the same
adapter against a fake OpenAI-compatible server. Failures are ``ModelError`` with a short
reason the worker counts and decides on (back off, open the breaker, give up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from digests.errors import DigestbotError

# Why a call failed, as counted in llm_usage ("fallback:<reason>") and shown in the stats.
RATE_LIMITED = "rate_limited"  # 429 (Retry-After honoured)
SERVER_ERROR = "server_error"  # 5xx
TIMEOUT = "timeout"  # no answer within LLM_TIMEOUT_SECONDS
UNREACHABLE = "unreachable"  # connection refused, DNS, TLS
REFUSED = "refused"  # another 4xx: a wrong key, model or request; not retried soon
CALL_FAILURES = (RATE_LIMITED, SERVER_ERROR, TIMEOUT, UNREACHABLE, REFUSED)


@dataclass(frozen=True)
class ModelRequest:
    """A chat-completions request: messages, the JSON schema the answer must follow (sent
    as ``response_format``), and the cap on the answer's tokens."""

    messages: tuple[dict[str, str], ...]
    schema: dict[str, Any] = field(hash=False)
    schema_name: str = "story_summary"
    max_tokens: int = 300


@dataclass(frozen=True)
class Completion:
    """The model's answer (the message content, unchecked) and the usage it reported."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ModelError(DigestbotError):
    """A call that brought no usable answer. ``reason`` is one of CALL_FAILURES;
    ``retry_after`` the seconds the server asked us to wait (Retry-After), if it said."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.retry_after = retry_after


class Model(Protocol):
    """Something that answers a ModelRequest, or raises ModelError."""

    async def complete(self, request: ModelRequest) -> Completion: ...

    async def close(self) -> None: ...
