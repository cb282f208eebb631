"""``digests.summaries.model.Model`` over the official ``openai`` client, for any
OpenAI-compatible chat-completions endpoint (OpenAI, Azure, OpenRouter, vLLM, Ollama,
llama.cpp, LM Studio).

One call per ``complete``: the client never retries (``max_retries=0``), because the worker
backs off and opens its breaker itself. What goes wrong becomes a ``ModelError`` with one
of the reasons the worker counts; its detail is one short line that never carries the key.
Servers that refuse a parameter we send (older llama.cpp and Ollama refuse a
``json_schema`` response format; some OpenAI models refuse ``max_tokens`` or a
temperature) are asked again once with the older spelling, which is then kept for the
process.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from openai import AsyncOpenAI

from digests.llm_settings import LlmSettings
from digests.summaries.model import (
    RATE_LIMITED,
    REFUSED,
    SERVER_ERROR,
    TIMEOUT,
    UNREACHABLE,
    Completion,
    Model,
    ModelError,
    ModelRequest,
)

# Summaries should read the same each time: a low temperature, not zero (some servers
# loop on greedy decoding).
TEMPERATURE = 0.2
# Longest wait a server may ask for that we honour as it is: an hour.
MAX_RETRY_AFTER = 3600.0
# A token is about four characters of English (OpenAI's rule of thumb); used only when a
# server reports no usage, so that the budget still counts something.
CHARS_PER_TOKEN = 4
# How much of a server's error message a ModelError's detail shows.
DETAIL_CHARS = 160
# The transports' loggers may show request lines and headers at DEBUG; kept to warnings.
TRANSPORT_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2", "openai")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dialect:
    """The request spellings this server accepts, learnt from its refusals."""

    json_schema: bool = True  # else response_format {"type": "json_object"}
    # False: no response_format at all (a server refusing json_object too); the prompt
    # asks for JSON and the checks read it, fenced or not.
    json_mode: bool = True
    max_tokens_name: str = "max_tokens"  # else "max_completion_tokens"
    temperature: bool = True  # else the server's default


def adapt(dialect: Dialect, status: int, message: str) -> Dialect | None:
    """The dialect to try after a 400 that names a parameter we can spell otherwise, or
    None when the refusal is about something else (pure)."""
    if status != 400:
        return None
    text = message.lower()
    if dialect.json_schema and ("response_format" in text or "json_schema" in text):
        return replace(dialect, json_schema=False)
    if dialect.json_mode and ("response_format" in text or "json_object" in text):
        return replace(dialect, json_mode=False)
    if dialect.max_tokens_name == "max_tokens" and "max_tokens" in text:
        return replace(dialect, max_tokens_name="max_completion_tokens")
    if dialect.temperature and "temperature" in text:
        return replace(dialect, temperature=False)
    return None


def request_body(request: ModelRequest, model: str, dialect: Dialect) -> dict[str, Any]:
    """The keyword arguments of ``chat.completions.create`` (pure)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [dict(m) for m in request.messages],
        dialect.max_tokens_name: request.max_tokens,
    }
    if dialect.temperature:
        body["temperature"] = TEMPERATURE
    if dialect.json_schema:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
        }
    elif dialect.json_mode:
        body["response_format"] = {"type": "json_object"}
    return body


def retry_after(headers: Any, now: float) -> float | None:
    """Seconds to wait from a 429's headers: ``retry-after-ms``, else ``Retry-After`` as
    seconds or an HTTP date (``now`` is the Unix time); capped at an hour; None when
    absent or unreadable (pure)."""
    seconds: float | None = None
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        seconds = millis / 1000
    else:
        raw = headers.get("retry-after")
        seconds = _number(raw)
        if seconds is None and raw and len(raw) < 100:
            try:
                seconds = parsedate_to_datetime(raw).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                seconds = None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _number(raw: str | None) -> float | None:
    if raw is None or len(raw) > 20:  # "1e400", 5,000 digits: not a wait we believe
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def one_line(text: object, secrets: tuple[str, ...] = ()) -> str:
    """``text`` on one short line, without control characters or these secrets."""
    raw = str(text)
    for secret in secrets:  # before and after flattening: a secret may hold a line break
        if secret:
            raw = raw.replace(secret, "[REDACTED]")
    line = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", raw).split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "[REDACTED]")
            # A server that wraps its message may break the key over lines.
            spaced = r"\s*".join(map(re.escape, secret.replace(" ", "")))
            line = re.sub(spaced, "[REDACTED]", line) if len(secret) >= 8 else line
    return line[:DETAIL_CHARS]


def secret_forms(key: str | None) -> tuple[str, ...]:
    """The ways ``key`` may appear in an error's text: as is, escaped (h11 shows a refused
    header as ``b'Bearer sk-...\\n...'``), and as ``one_line`` leaves it (control
    characters and runs of whitespace made one space), longest first, and each piece of it
    around a control character or space that is long enough to be telling (pure)."""
    if not key:
        return ()
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", key).split())
    forms = {key, repr(key)[1:-1], repr(key.encode("utf-8", "backslashreplace"))[2:-1], flat}
    forms.update(part for part in re.split(r"[\x00-\x20\x7f-\x9f]+", key) if len(part) >= 8)
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def _server_message(error: openai.APIStatusError) -> str:
    """The message a server put in its error body (OpenAI's {"error": {"message"}}), or
    the body's start."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
    return str(error.message)


def _count(value: object) -> int | None:
    """A reported token count, if it is one (the SDK does not validate answers)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return value
    return None


def read_completion(response: Any, request: ModelRequest, model: str) -> Completion:
    """The Completion in a chat-completions answer; ModelError when it has no choice.
    The SDK builds answers without validating them, so every field is looked at."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise ModelError(REFUSED, "the answer has no choices")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    text = content if isinstance(content, str) else ""
    usage = getattr(response, "usage", None)
    prompt = _count(getattr(usage, "prompt_tokens", None))
    answer = _count(getattr(usage, "completion_tokens", None))
    if prompt is None or answer is None or prompt + answer == 0:
        # The server reported no usage (some local servers do not): estimate it by
        # chars/4, so that the daily budget still counts this call.
        sent = "".join(str(m.get("content", "")) for m in request.messages)
        prompt, answer = estimate_tokens(sent), estimate_tokens(text)
    name = getattr(response, "model", None)
    return Completion(
        text=text,
        prompt_tokens=prompt,
        completion_tokens=answer,
        model=name[:200] if isinstance(name, str) and name else model,
    )


def estimate_tokens(text: str) -> int:
    """Tokens for ``text`` by the chars/4 rule (at least 1 for non-empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def quiet_transport_logs() -> None:
    """Keep the HTTP transports' DEBUG and INFO lines (request lines, URLs, headers) out
    of the logs, as ``bot.logs.setup_logging`` does for httpx."""
    for name in TRANSPORT_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class OpenAiModel:
    """A ``Model`` for one configured endpoint."""

    def __init__(self, settings: LlmSettings) -> None:
        if settings.base_url is None:
            raise ValueError("OpenAiModel needs LLM_BASE_URL")
        quiet_transport_logs()
        self._model = settings.model
        self._secrets = secret_forms(settings.api_key)
        self._timeout = settings.timeout_s
        self._dialect = Dialect()
        self._client = AsyncOpenAI(
            base_url=settings.base_url,
            # A local server may need no key; the client insists on one.
            api_key=settings.api_key or "not-needed",
            timeout=settings.timeout_s,
            max_retries=0,
        )

    @property
    def dialect(self) -> Dialect:
        """The request spellings learnt so far (for tests and the summarize command)."""
        return self._dialect

    async def complete(self, request: ModelRequest) -> Completion:
        """One answer for ``request``, or ModelError."""
        # At most one more try per spelling a server may refuse (four of them).
        for _ in range(5):
            try:
                return await self._call(request)
            except openai.BadRequestError as exc:
                adapted = adapt(self._dialect, exc.status_code, _server_message(exc))
                if adapted is None:
                    raise self._error(exc) from None
                log.info("the model server refused a parameter; asking again: %s", adapted)
                self._dialect = adapted
            except openai.OpenAIError as exc:
                raise self._error(exc) from None
            except (ValueError, TypeError, AttributeError) as exc:
                # A 200 whose body is not a chat completion (a proxy's page, an integer
                # too long to read): a refusal the worker does not retry soon.
                detail = one_line(f"the answer is not a chat completion ({type(exc).__name__})")
                raise ModelError(REFUSED, detail) from None
        raise ModelError(REFUSED, "the server refused every spelling of the request")

    async def _call(self, request: ModelRequest) -> Completion:
        body = request_body(request, self._model, self._dialect)
        response = await self._client.chat.completions.create(**body)
        return read_completion(response, request, self._model)

    def _error(self, exc: openai.OpenAIError) -> ModelError:
        """The ModelError for what the client raised."""
        if isinstance(exc, openai.APITimeoutError):
            return ModelError(TIMEOUT, f"no answer within {self._timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return ModelError(
                UNREACHABLE, one_line(f"{type(cause).__name__}: {cause}", self._secrets)
            )
        if isinstance(exc, openai.APIStatusError):
            return self._status_error(exc)
        return ModelError(REFUSED, one_line(f"{type(exc).__name__}: {exc}", self._secrets))

    def _status_error(self, exc: openai.APIStatusError) -> ModelError:
        status = exc.status_code
        message = one_line(_server_message(exc), self._secrets)
        if status == 429 and exc.code == "insufficient_quota":
            # OpenAI's "you exceeded your current quota": billing, not pace; waiting
            # minutes will not help, so it is no rate limit.
            return ModelError(REFUSED, f"HTTP 429 (quota): {message}")
        if status == 429:
            wait = retry_after(exc.response.headers, time.time())
            return ModelError(RATE_LIMITED, f"HTTP 429: {message}", retry_after=wait)
        if status == 408:  # the server's own deadline passed
            return ModelError(TIMEOUT, f"HTTP 408: {message}")
        if status >= 500:
            return ModelError(SERVER_ERROR, f"HTTP {status}: {message}")
        return ModelError(REFUSED, f"HTTP {status}: {message}")

    async def close(self) -> None:
        await self._client.close()


def make_model(settings: LlmSettings) -> Model | None:
    """The configured model, or None when ``LLM_BASE_URL`` is not set."""
    return OpenAiModel(settings) if settings.enabled else None
