"""Fetch feed documents over HTTP with httpx: conditional GET, size cap, redirect limit.

``fetch_feed`` returns a FetchResult or raises FetchError; it never raises anything else
for a network or server problem, so the poller can treat every failure alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx

from digests.settings import FetchLimits


class FetchError(Exception):
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
) -> FetchResult:
    """GET ``url`` conditionally; a 304 gives ``not_modified``. Raises FetchError."""
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
    """Retry-After as a delay: seconds, or an HTTP date measured against the server's Date."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        delta = parsedate_to_datetime(value) - parsedate_to_datetime(date or "")
    except (TypeError, ValueError):
        return None
    return delta if delta.total_seconds() > 0 else None
