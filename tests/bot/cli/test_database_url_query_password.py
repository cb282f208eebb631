"""A DATABASE_URL's password given as a query parameter (``?password=…``, which libpq and
asyncpg take as well as ``user:password@``) is as secret as one in the user part: the error
line, ``str()`` of the URL and the logs never show it, nor its percent-decoded spelling."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli import main
from bot.logs import RedactSecrets, database_secrets, redact
from digests.dburl import PostgresUrl, parse_database_url, redact_url

SECRET = "Qu3ry-pa55word-never-shown"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "query",
    [f"?password={SECRET}", f"?sslmode=disable&password={SECRET}", f"?PASSWORD={SECRET}&x=1"],
)
@pytest.mark.parametrize("command", ["init", "stats"])
def test_the_error_line_hides_a_query_password(
    query: str,
    command: str,
    clean_cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot@127.0.0.1:{closed_port()}/news{query}")
    status = main([command])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert "cannot reach PostgreSQL" in captured.err and "password=***" in captured.err.lower()
    assert SECRET not in captured.out + captured.err


def test_str_and_password_see_the_query_parameter() -> None:
    url = parse_database_url(f"postgresql://bot@db:5432/news?sslmode=require&password={SECRET}")
    assert isinstance(url, PostgresUrl)
    assert url.password == SECRET
    assert SECRET not in str(url) and SECRET not in repr(url)
    assert str(url) == "postgresql://bot@db:5432/news?sslmode=require&password=***"
    # A URL without any password is printed as written.
    assert redact_url("postgresql://bot@db/news?sslmode=require") == (
        "postgresql://bot@db/news?sslmode=require"
    )


def test_logs_hide_it_in_any_url_and_alone_in_both_spellings() -> None:
    assert redact(f"lost postgresql://bot@db/news?password={SECRET} now") == (
        "lost postgresql://bot@db/news?password=*** now"
    )
    assert redact("postgresql://bot@db/news?password=short") == (
        "postgresql://bot@db/news?password=***"
    )
    encoded = PostgresUrl("postgresql://bot:p%40ss%2Fw0rd-long@db/news")
    redactor = RedactSecrets(database_secrets(encoded))
    # asyncpg sends (and a server may echo) the decoded password.
    assert "p@ss/w0rd-long" not in redactor.redact("auth failed for p@ss/w0rd-long")
    queried = PostgresUrl(f"postgresql://bot@db/news?password={SECRET}")
    assert SECRET not in RedactSecrets(database_secrets(queried)).redact(f"echo {SECRET}")
