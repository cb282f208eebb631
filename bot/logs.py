"""Logging set-up, with a filter that keeps tokens out of every log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A Telegram bot token (digits:35 characters), and a Discord bot token (three base64url
# parts separated by dots).
_TOKEN_SHAPES = (
    re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}\b"),
)
REDACTED = "[REDACTED]"


class RedactSecrets(logging.Filter):
    """Replaces configured secrets and anything shaped like a bot token with [REDACTED]."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for shape in _TOKEN_SHAPES:
            text = shape.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str, secrets: Iterable[str | None]) -> RedactSecrets:
    """Log to stderr at ``level``; every handler redacts secrets. httpx logs each request
    URL (which carries the Telegram token) at INFO, so it is kept to warnings."""
    redactor = RedactSecrets(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
