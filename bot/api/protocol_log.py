"""One log line, without a traceback, for a request aiohttp itself refuses (a malformed
request line or header, a body it cannot decode) or that the client abandoned: aiohttp
logs each as an ERROR with a full traceback on ``aiohttp.server``, so anyone who can reach
the port, token or not, could fill the log with them."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from digests.terminal import printable

# What a client can cause: a protocol error, a body that does not decode, a dropped connection.
CLIENT_FAULTS: tuple[type[BaseException], ...] = (
    HttpProcessingError,
    web.RequestPayloadError,
    ConnectionResetError,
)
REASON_LIMIT = 200


def one_line(exc: BaseException) -> str:
    """The exception as one short, printable line (pure): aiohttp's messages span lines
    and may quote what the client sent."""
    reason = printable(" ".join(str(exc).split()))[:REASON_LIMIT]
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


class OneLineClientFaults(logging.Filter):
    """Turns aiohttp's ERROR-with-traceback for a client's fault into one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, CLIENT_FAULTS):
            record.msg = f"{record.getMessage()}: {one_line(exc)}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


def quiet_client_faults() -> None:
    """Install the filter on aiohttp's server logger, once per process (every aiohttp
    server in it is ours)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, OneLineClientFaults) for f in logger.filters):
        logger.addFilter(OneLineClientFaults())
