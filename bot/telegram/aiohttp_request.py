"""A python-telegram-bot request class on aiohttp, for the delivery sender.

python-telegram-bot's own ``HTTPXRequest`` goes through httpcore's connection pool, which
looks at every pooled connection (and polls its socket) for every request: at a few
hundred requests a second that bookkeeping cost more CPU than everything else the
delivery worker does (``bench/fanout.py --paid``). aiohttp's connector hands out a kept-
alive connection in constant time. Errors are python-telegram-bot's own (``TimedOut``,
``NetworkError``), so the sender's ``classify`` reads them as it always did.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL


class AiohttpRequest(BaseRequest):
    """Requests through one aiohttp session of at most ``pool_size`` connections."""

    def __init__(
        self,
        *,
        pool_size: int = 64,
        read_timeout: float = 15,
        write_timeout: float = 15,
        connect_timeout: float = 10,
        pool_timeout: float = 10,
    ) -> None:
        self._pool_size = pool_size
        self._read = read_timeout
        # aiohttp has no write time-out of its own: the whole request is bounded instead.
        self._total = read_timeout + write_timeout
        self._connect = connect_timeout + pool_timeout
        self._session: aiohttp.ClientSession | None = None
        # HTTP(S)_PROXY / NO_PROXY, as httpx (python-telegram-bot's default) honoured,
        # looked up once per scheme and host: aiohttp's own ``trust_env`` looks in a
        # thread for every request, which cost a thread hop per message.
        self._proxies: dict[tuple[str, str], tuple[URL | None, aiohttp.BasicAuth | None]] = {}
        # Built once: the same few URLs and time-outs serve thousands of requests a second.
        self._urls: dict[str, URL] = {}
        self._timeout = aiohttp.ClientTimeout(
            total=self._total, sock_read=self._read, connect=self._connect
        )

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                timeout=self._timeout,
                # The Bot API sets no cookies: none to look up and store per request.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        timeout = self._timeout
        if read_timeout is not BaseRequest.DEFAULT_NONE:  # one request's own (getUpdates)
            timeout = aiohttp.ClientTimeout(sock_read=read_timeout, connect=self._connect)
        data, headers = _body(request_data)
        proxy, proxy_auth = self._proxy_for(url)
        try:
            async with self._session.request(
                method,
                self._url(url),
                data=data,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except (aiohttp.ClientResponseError, aiohttp.InvalidURL) as exc:
            # Its text (and so any chained traceback) spells the URL, which holds the token.
            raise NetworkError(_url_free_text(exc)) from None
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _url(self, url: str) -> URL | str:
        """``url`` parsed once (aiohttp parses a string for every request); at most a few
        hundred kept, though a bot asks for a handful."""
        parsed = self._urls.get(url)
        if parsed is None:
            try:
                parsed = URL(url)
            except ValueError:
                return url  # aiohttp's own error (InvalidURL) tells it
            if len(self._urls) >= 256:
                self._urls.clear()
            self._urls[url] = parsed
        return parsed

    def _proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy the environment names for ``url``'s scheme and host (None: none)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            try:
                self._proxies[key] = get_env_proxy_for_url(URL(url))
            except LookupError:  # none, or the host is in NO_PROXY
                self._proxies[key] = (None, None)
        return self._proxies[key]


def _url_free_text(exc: aiohttp.ClientResponseError | aiohttp.InvalidURL) -> str:
    """An error's description without its request URL (the bot token is in it)."""
    if isinstance(exc, aiohttp.InvalidURL):
        return f"aiohttp.{type(exc).__name__}: the request URL is not valid"
    return f"aiohttp.{type(exc).__name__}: {exc.status}, {exc.message}"


class JsonParameters(RequestData):
    """A request's parameters as plain JSON values (the Bot API's own names), for a caller
    that builds them itself rather than through python-telegram-bot's objects."""

    def __init__(self, parameters: dict[str, Any]) -> None:
        super().__init__([])  # no files: ``contains_files`` is False
        self._values = parameters

    @property
    def parameters(self) -> dict[str, Any]:
        return self._values

    @property
    def json_parameters(self) -> dict[str, str]:
        return {k: _json_text(v) for k, v in self._values.items()}

    @property
    def json_payload(self) -> bytes:
        """The parameters as one JSON object, as the Bot API takes them (what is posted:
        a form quotes each byte of the text in Python, JSON encodes it in C). Each value
        is the text the form carried (an object as JSON text), as python-telegram-bot's
        own ``json_payload`` spells it: Telegram reads the two bodies alike."""
        # Not ASCII-escaped: text that cannot be UTF-8 (a lone surrogate) fails here, as
        # it failed the form's encoding, instead of reaching Telegram as an escape.
        return json.dumps(self.json_parameters, ensure_ascii=False, separators=(",", ":")).encode()

    @property
    def multipart_data(self) -> dict[str, Any]:
        return {}


# Each byte of UTF-8 text (read as Latin-1) to its form-urlencoded spelling, as
# ``urllib.parse.quote_plus`` spells it: that one quotes in a Python loop per byte, which
# was the largest cost of a send; ``str.translate`` does the same in C.
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM = {i: chr(i) if i in _SAFE else "+" if i == 0x20 else f"%{i:02X}" for i in range(256)}
_FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON_TYPE = {"Content-Type": "application/json"}


def form_quote(text: str) -> str:
    return text.encode().decode("latin-1").translate(_FORM)


def form_body(parameters: dict[str, str]) -> bytes:
    """Parameters as an ``application/x-www-form-urlencoded`` body."""
    return "&".join(f"{form_quote(k)}={form_quote(v)}" for k, v in parameters.items()).encode()


def _json_text(value: Any) -> str:
    """A parameter's value as python-telegram-bot spells it in a form: text as it is,
    anything else as JSON (the common scalars without the encoder's overhead)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """What goes in the request, and its headers: our own parameters as JSON, else the
    parameters as a urlencoded form (as python-telegram-bot sends them), or a multipart
    form with the files to upload."""
    if request_data is None:
        return None, None
    if isinstance(request_data, JsonParameters):
        return request_data.json_payload, _JSON_TYPE
    files = request_data.multipart_data
    if not files:
        return form_body(request_data.json_parameters), _FORM_TYPE
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
