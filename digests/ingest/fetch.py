"""Fetch feed documents over HTTP with httpx: conditional GET, size cap, redirect limit,
and one deadline for the whole response.

``fetch_feed`` returns a FetchResult or raises FetchError; it never raises anything else
for a network or server problem, so the poller can treat every failure alike.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx

from digests.errors import DigestbotError
from digests.settings import FetchLimits

# A server may ask us to wait; past a week the feed is as good as gone, and the number
# itself may be anything (99999999999999999999 does not fit a timedelta).
MAX_RETRY_AFTER = timedelta(days=7)
_SECONDS = re.compile(r"[0-9]+")


class FetchError(DigestbotError):
    """A feed could not be fetched. ``permanent`` means retrying will not help (410 Gone);
    ``retry_after`` is the server's own request to wait."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    not_modified: bool
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    url: str


def build_client(
    limits: FetchLimits, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """An httpx client configured with our timeouts, redirect limit and User-Agent."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(limits.timeout_s),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={
            "User-Agent": limits.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        transport=transport,
        limits=httpx.Limits(max_connections=limits.concurrency * 2),
    )


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float | None = None,
) -> FetchResult:
    """GET ``url`` conditionally; a 304 gives ``not_modified``. Raises FetchError.

    ``timeout_s`` bounds the whole exchange, from connecting to the last byte (default: the
    client's own timeout). httpx's timeouts apply to each read, so without this a server
    sending one byte a second would hold the fetch for as long as it likes.
    """
    deadline = timeout_s if timeout_s is not None else _client_timeout(client)
    try:
        async with asyncio.timeout(deadline):
            return await _get(client, url, max_bytes, etag, last_modified)
    except TimeoutError:
        raise FetchError(f"timed out: no complete response within {deadline:g} s") from None


def _client_timeout(client: httpx.AsyncClient) -> float:
    timeout = client.timeout
    values = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t]
    return max(values, default=15.0)


async def _get(
    client: httpx.AsyncClient,
    url: str,
    max_bytes: int,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(True, b"", None, etag, last_modified, str(response.url))
            if response.status_code >= 400:
                raise _status_error(response)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"response too large: {declared} bytes (limit {max_bytes})")
            body = bytearray()
            # Counting decoded bytes also stops a small gzip body that inflates enormously.
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"response too large: over {max_bytes} bytes")
            return FetchResult(
                False,
                bytes(body),
                response.headers.get("content-type"),
                response.headers.get("etag"),
                response.headers.get("last-modified"),
                str(response.url),
            )
    except FetchError:
        raise
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}", permanent=True) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"network error: {type(exc).__name__}: {exc}") from None


def _status_error(response: httpx.Response) -> FetchError:
    code = response.status_code
    retry_after = _retry_after(response.headers.get("retry-after"), response.headers.get("date"))
    if code == 410:
        return FetchError("HTTP 410 Gone: the feed was removed", permanent=True)
    return FetchError(f"HTTP {code} {response.reason_phrase}".strip(), retry_after=retry_after)


def _retry_after(value: str | None, date: str | None) -> timedelta | None:
    """Retry-After as a delay: seconds, or an HTTP date measured against the server's Date.

    None when it cannot be read or asks for no wait; never more than MAX_RETRY_AFTER.
    """
    text = (value or "").strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        # Compared as text first: int() of a 5,000-digit value is slow and refused.
        if len(text) > 9:
            return MAX_RETRY_AFTER
        delay = timedelta(seconds=int(text))
    else:
        try:
            delay = parsedate_to_datetime(text) - parsedate_to_datetime(date or "")
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if delay <= timedelta(0):
        return None
    return min(delay, MAX_RETRY_AFTER)
