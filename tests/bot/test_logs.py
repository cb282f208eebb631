from __future__ import annotations

import logging

import pytest

from bot.logs import REDACTED, RedactSecrets, setup_logging

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
