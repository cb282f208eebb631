"""The DATABASE_URL's password is redacted like the tokens: inside any URL whatever its
length, and on its own once it is long enough to be told from ordinary words."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from bot.logs import REDACTED, RedactingWriter, RedactSecrets, database_secrets, redact
from digests.dburl import PostgresUrl

PASSWORD = "Pa55-w0rd-of-the-database"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            f"cannot reach postgresql://bot:{PASSWORD}@db:5432/news",
            "cannot reach postgresql://bot:***@db:5432/news",
        ),
        (
            "dsn=postgres://bot:pw@db/news?sslmode=require",
            "dsn=postgres://bot:***@db/news?sslmode=require",
        ),
        # A raw '@' in the password does not end it (urlsplit reads up to the last one).
        ("postgresql://bot:p@ss@db/news", "postgresql://bot:***@db/news"),
        # Already hidden, or without a password: left as it is.
        ("postgresql://bot:***@db/news", "postgresql://bot:***@db/news"),
        ("postgresql://bot@db/news", "postgresql://bot@db/news"),
        ("at 12:30 write to me@example.org", "at 12:30 write to me@example.org"),
    ],
)
def test_a_password_in_a_url_is_hidden(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_the_database_password_alone_is_a_secret() -> None:
    url = PostgresUrl(f"postgresql://bot:{PASSWORD}@db:5432/news")
    secrets = database_secrets(url)
    assert secrets == [PASSWORD]
    assert redact(f"login failed with {PASSWORD}!", secrets) == f"login failed with {REDACTED}!"
    assert database_secrets(PostgresUrl("postgresql://bot@db/news")) == []
    assert database_secrets(Path("digestbot.db")) == []


def test_log_lines_and_output_never_show_it() -> None:
    redactor = RedactSecrets(database_secrets(PostgresUrl(f"postgresql://b:{PASSWORD}@h/d")))
    record = logging.LogRecord(
        "digests",
        logging.ERROR,
        __file__,
        1,
        "lost %s (%s)",
        (f"postgresql://b:{PASSWORD}@h/d", PASSWORD),
        None,
    )
    redactor.filter(record)
    assert PASSWORD not in record.getMessage()
    assert record.getMessage() == f"lost postgresql://b:***@h/d ({REDACTED})"

    sink = io.StringIO()
    writer = RedactingWriter(sink, redactor)
    writer.write(f"postgresql://b:{PASSWORD[:5]}")  # written in two pieces
    writer.write(f"{PASSWORD[5:]}@h/d\n")
    writer.flush()
    assert sink.getvalue() == "postgresql://b:***@h/d\n"


def test_a_traceback_in_a_log_record_is_redacted() -> None:
    redactor = RedactSecrets()
    try:
        raise ConnectionError(f"postgresql://bot:{PASSWORD}@db/news refused")
    except ConnectionError:
        record = logging.LogRecord(
            "digests", logging.ERROR, __file__, 1, "lost the database", (), sys.exc_info()
        )
    redactor.filter(record)
    assert record.exc_text is not None and "bot:***@db" in record.exc_text
    assert PASSWORD not in record.exc_text
