"""Logging set-up, with a filter that keeps tokens out of every log line, and a writer that
does the same for everything else the process prints (stdout, stderr)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import quote

from digests.dburl import PostgresUrl

# A Telegram bot token (digits:35 characters), a Discord bot token (three base64url
# parts separated by dots), and a Discord interaction token in a route (it answers and
# edits the interaction for 15 minutes; discord.py's 429 warning names the route).
_TOKEN_SHAPES = (
    re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}\b"),
    re.compile(
        r"(?<=/webhooks/)(?:\d+/)?[A-Za-z0-9_.-]{20,}"
        r"|(?<=/interactions/)\d+/[A-Za-z0-9_.-]{20,}"
    ),
)
REDACTED = "[REDACTED]"
# The password in a URL's user part (postgresql://user:password@host/db): the way an
# asyncpg error, a traceback or a log line may show a DATABASE_URL. Shown as ``***``, as
# the store prints a PostgreSQL URL itself; ``***`` is left alone.
# The password runs to the last '@' before the host, as urlsplit reads it: a raw '@' in
# it does not end it.
_URL_PASSWORD = re.compile(
    r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@?#]*:)(?!\*\*\*@[^\s@/?#]*(?:[\s/?#]|$))"
    r"([^\s/?#]+)(@)"
)
URL_PASSWORD_SHOWN = "***"
# The password as a URL's query parameter (postgresql://host/db?password=…), which libpq
# and asyncpg take too.
_QUERY_PASSWORD = re.compile(r"(?i)(://[^\s]*?[?&]password=)(?!\*\*\*(?:[&#\s]|$))([^&#\s]+)")
# A part of a secret between ':' or '.' this long is a secret itself: a Telegram token's
# part after the bot id (35 characters), a Discord token's first and last segments. A
# server may echo a part alone, as in "Invalid port: '<secret half>'".
SECRET_PART = 20


def secret_parts(secret: str) -> set[str]:
    """``secret`` and each of its parts long enough to be secret on its own."""
    return {secret} | {part for part in re.split(r"[:.]", secret) if len(part) >= SECRET_PART}


class RedactSecrets(logging.Filter):
    """Replaces configured secrets (and their long parts, in any case) and anything shaped
    like a bot token with [REDACTED]."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        """Redact these secrets too (settings are read after the output is set up), and
        their long parts (``secret_parts``). Each is also looked for URL-encoded, as a
        server echoing a request path shows it."""
        found = set(self._secrets)
        for secret in secrets:
            if secret and len(secret) >= 8:
                for part in secret_parts(secret):
                    found.update({part, quote(part, safe="")})
        self._secrets = sorted(found, key=len, reverse=True)
        # Longest first, and in any case: python-telegram-bot capitalize()s an error's
        # description, which lowercases a secret it quotes.
        alternatives = "|".join(re.escape(secret) for secret in self._secrets)
        self._pattern = re.compile(alternatives, re.IGNORECASE) if alternatives else None

    def redact(self, text: str) -> str:
        if "://" in text:  # first: a secret's [REDACTED] must not end a URL's password
            text = _URL_PASSWORD.sub(rf"\1{URL_PASSWORD_SHOWN}\3", text)
            text = _QUERY_PASSWORD.sub(rf"\1{URL_PASSWORD_SHOWN}", text)
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
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


# python-telegram-bot's logger for an answer that is not JSON, and the start of its line.
PTB_REQUEST_LOGGER = "telegram.request.BaseRequest"
_NOT_JSON = "Can not load invalid JSON data"
# How much of such an answer's body the one line shows.
BODY_SHOWN = 200


class OneLineNotJson(logging.Filter):
    """python-telegram-bot logs a Bot API answer that is not JSON (a proxy's 502 page) with
    a traceback and the whole body, though it then raises an error its caller handles.
    This keeps one line: the body's length and its start, redacted before it is cut (a
    token cut in two would escape the redaction), on one line."""

    def __init__(self, redactor: RedactSecrets) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_NOT_JSON):
            body = self._redactor.redact(str(record.args[0]) if record.args else "")
            start = " ".join(body.split())[:BODY_SHOWN]
            record.msg = "the Bot API answered with a body that is not JSON (%d characters): %s"
            record.args = (len(body), start)
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def setup_logging(level: str, secrets: Iterable[str | None]) -> RedactSecrets:
    """Log to stderr at ``level``; every handler redacts secrets. httpx logs each request
    URL (which carries the Telegram token) at INFO, so it is kept to warnings; a Bot API
    answer that is not JSON is one line (``OneLineNotJson``)."""
    redactor = RedactSecrets(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ptb = logging.getLogger(PTB_REQUEST_LOGGER)
    for old in [f for f in ptb.filters if isinstance(f, OneLineNotJson)]:
        ptb.removeFilter(old)  # set up again (tests): one filter, with the new secrets
    ptb.addFilter(OneLineNotJson(redactor))
    return redactor


def database_secrets(database: object) -> list[str]:
    """The DATABASE_URL's password, if it has one (a PostgresUrl's, in every spelling: as
    written and percent-decoded): a secret like the tokens. Within a URL it is redacted
    whatever its length (``redact``); alone, like every secret, from 8 characters on (a
    shorter one would blank out ordinary words)."""
    return database.passwords() if isinstance(database, PostgresUrl) else []


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with these secrets, and anything shaped like a bot token, redacted."""
    return RedactSecrets(secrets).redact(text)


class RedactingWriter:
    """A text stream that redacts what passes through it, a line at a time (so a secret
    written in two pieces is still caught); ``flush`` lets a partial line (a prompt, a
    progress bar) out."""

    def __init__(self, stream: TextIO, redactor: RedactSecrets) -> None:
        self._stream = stream
        self._redactor = redactor
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        end = self._pending.rfind("\n") + 1
        if end:
            self._stream.write(self._redactor.redact(self._pending[:end]))
            self._pending = self._pending[end:]
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._stream.write(self._redactor.redact(text))
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding… are the wrapped stream's.
        return getattr(self._stream, name)
