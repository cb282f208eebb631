"""`digestbot ingest` and `feeds list` on hostile feeds: a JSON Feed with bad items keeps
its good ones and says how many were left out; a server asking to be left alone for
99999999999999999999 seconds is a recorded failure, not a traceback."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.cli import main
from tests.threaded_http import serving

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
FEEDS = """
[categories.climate]
name = "Climate"
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("DATABASE_URL", "FEEDS_FILE", "TEMPLATES_DIR", "DIGEST_", "FEED_")):
            monkeypatch.delenv(name)
    (tmp_path / "feeds.toml").write_text(FEEDS)
    return tmp_path


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/busy":
                self.send_response(429)
                self.send_header("Retry-After", "99999999999999999999")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (FIXTURES / "jsonfeed-hostile-items.json").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/feed+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_bad_items_are_counted_and_a_huge_retry_after_is_a_recorded_failure(
    workdir: Path, server: str
) -> None:
    assert run("init")[0] == 0
    assert run("feeds", "add", f"{server}/hostile.json", "--category", "climate")[0] == 0
    assert run("feeds", "add", f"{server}/busy", "--category", "climate")[0] == 0
    code, out = run("ingest")
    assert code == 0, out
    assert "1 fetched" in out and "1 failed" in out and "articles: 5 new" in out
    # The item whose JSON Feed image is not a string is kept without its picture.
    assert "8 items left out" in out and "1 pictures left out" in out
    assert "HTTP 429 Too Many Requests" in out and "Traceback" not in out
    code, out = run("feeds", "list")
    assert "failing (1x): HTTP 429 Too Many Requests" in out
    hostile = out.split(f"{server}/hostile.json")[0].rsplit("\n", 2)[-2]
    assert hostile.endswith(" ok  (from feeds add)"), out
