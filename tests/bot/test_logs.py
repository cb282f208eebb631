from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from telegram.error import TelegramError
from telegram.request import BaseRequest

from bot.logs import REDACTED, RedactSecrets, redact, setup_logging

TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
DISCORD = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.mark.parametrize(
    "line",
    [
        f"HTTP Request: POST https://api.telegram.org/bot{TELEGRAM}/sendMessage",
        f"Authorization: Bot {DISCORD}",
        "api token is s3cr3t-api-token-value",
    ],
)
def test_tokens_never_reach_the_log(line: str, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("digestbot.test")
    redactor = RedactSecrets(["s3cr3t-api-token-value"])
    logger.addFilter(redactor)
    try:
        with caplog.at_level(logging.INFO, logger="digestbot.test"):
            logger.info("%s", line)
    finally:
        logger.removeFilter(redactor)
    text = caplog.records[0].getMessage()
    assert REDACTED in text
    for secret in (TELEGRAM, DISCORD, "s3cr3t-api-token-value"):
        assert secret not in text


def test_exceptions_are_redacted_too() -> None:
    redactor = RedactSecrets([])
    try:
        raise RuntimeError(f"failed calling /bot{TELEGRAM}/getMe")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", None, exc_info=__import__("sys").exc_info()
        )
    redactor.filter(record)
    assert TELEGRAM not in (record.exc_text or "") and REDACTED in (record.exc_text or "")


def test_ordinary_text_is_left_alone() -> None:
    assert RedactSecrets([]).redact("digest for chat 12345 at 08:00") == (
        "digest for chat 12345 at 08:00"
    )


def test_setup_quiets_httpx_and_installs_the_filter() -> None:
    root = logging.getLogger()
    before = root.handlers[:]
    try:
        setup_logging("INFO", [TELEGRAM])
        assert logging.getLogger("httpx").level == logging.WARNING
        assert any(isinstance(f, RedactSecrets) for h in root.handlers for f in h.filters)
    finally:
        root.handlers[:] = before


def test_the_writer_redacts_what_is_printed_even_in_pieces() -> None:
    import io

    from bot.logs import RedactingWriter

    sink = io.StringIO()
    redactor = RedactSecrets([])
    writer = RedactingWriter(sink, redactor)
    writer.write("telegram commands off: The token `" + TELEGRAM[:9])
    writer.write(TELEGRAM[9:] + "` was rejected\n")
    assert sink.getvalue() == f"telegram commands off: The token `{REDACTED}` was rejected\n"
    # A secret of any shape, once configured; also URL-encoded, as a proxy echoes a path.
    redactor.add(["plain-api-secret:with/odd chars"])
    writer.write("GET /x/plain-api-secret%3Awith%2Fodd%20chars and plain-api-secret:with/odd chars")
    assert "GET" not in sink.getvalue()  # a partial line waits…
    writer.flush()  # …until flushed (a prompt, a progress bar)
    assert sink.getvalue().endswith(f"GET /x/{REDACTED} and {REDACTED}")
    assert "plain-api-secret" not in sink.getvalue()
    assert writer.isatty() is False  # the rest is the wrapped stream's


@pytest.mark.parametrize(
    ("token", "part"),
    [
        (TELEGRAM, TELEGRAM.split(":")[1]),
        (DISCORD, DISCORD.split(".")[2]),
        (DISCORD, DISCORD.split(".")[0]),
    ],
)
def test_a_configured_tokens_secret_part_is_redacted_alone(token: str, part: str) -> None:
    """Red-team 1: a base URL without a path made httpx say "Invalid port: '<secret
    half>'"; the part after a Telegram token's ':' (or a Discord token's long segment)
    is a secret on its own, plain or URL-encoded."""
    redactor = RedactSecrets([token])
    for line in (f"InvalidURL(\"Invalid port: '{part}'\")", f"GET /x?t={quote(part + '/')}"):
        redacted = redactor.redact(line)
        assert part not in redacted and REDACTED in redacted
    # The bot's public id and a Discord token's 6-character timestamp are not secrets.
    assert redactor.redact("bot 123456789 at GhIjKl") == "bot 123456789 at GhIjKl"


def test_a_bot_api_answer_that_is_not_json_is_one_line_without_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Red-team 10: a proxy's 502 page made python-telegram-bot log "Can not load invalid
    JSON data" with a traceback and the whole page; now one line, still redacted."""
    root = logging.getLogger()
    before, level = root.handlers[:], root.level
    page = f"<html>\n<h1>502 Bad Gateway</h1>\n<pre>GET /bot{TELEGRAM}/getMe</pre>\n" + (
        "<p>padding</p>\n" * 500
    )
    try:
        setup_logging("INFO", [TELEGRAM])
        setup_logging("INFO", [TELEGRAM])  # set up twice: still one line
        with pytest.raises(TelegramError):
            BaseRequest.parse_json_payload(page.encode())
    finally:
        root.handlers[:] = before
        root.setLevel(level)
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and "JSONDecodeError" not in err
    assert "not JSON" in err and "502 Bad Gateway" in err and len(err) < 500
    assert TELEGRAM not in err and TELEGRAM.split(":")[1] not in err


def test_a_secret_is_redacted_in_any_case() -> None:
    """python-telegram-bot capitalize()s an error's description: a quoted token part comes
    out lowercased ("Part aaaa…"), and is still a secret."""
    part = TELEGRAM.split(":")[1]
    redactor = RedactSecrets([TELEGRAM, "Api-Token-Value"])
    text = f"Part {part.lower()} and {part.upper()} and api-token-value"
    assert redactor.redact(text) == f"Part {REDACTED} and {REDACTED} and {REDACTED}"


@pytest.mark.parametrize(
    "line",
    [
        "We are being rate limited. PATCH https://discord.com/api/v10/webhooks/4243/"
        "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpzZWNyZXQ/messages/@original responded "
        "with 429",
        "POST /api/v10/interactions/123456789012345678/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEy/callback",
    ],
)
def test_a_discord_interaction_token_in_a_route_is_redacted(line: str) -> None:
    redacted = redact(line)
    assert "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEy" not in redacted and "[REDACTED]" in redacted
