"""``digestbot ingest`` counts the pictures it left out, and ``digestbot preview`` names
the lead story's picture on every platform, with the newsroom's link tags (issue 18)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.cli import main
from tests import picture_feed as feed
from tests.threaded_http import serving

BODY = feed.feed_xml(datetime.now(UTC))


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def newsroom(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        (clean_cwd / "feeds.toml").write_text(
            '[categories.climate]\nname = "Climate"\n\n'
            f'[[feeds]]\nurl = "{base}/feed.xml"\ncategory = "climate"\nname = "Harbour News"\n'
        )
        monkeypatch.setenv("LINK_TAGS", "utm_source=digestbot&utm_medium={platform}")
        monkeypatch.setenv("LINK_TAG_HOSTS", "news.example")
        assert run("init")[0] == 0
        yield clean_cwd


def test_ingest_counts_the_pictures_left_out(newsroom: Path) -> None:
    code, out = run("ingest")
    assert code == 0 and "25 new" in out
    assert (
        "7 pictures left out (not an image, not a public http(s) address, or over 2,048 characters)"
        in out
    )


def test_preview_names_the_picture_on_every_platform(newsroom: Path) -> None:
    assert run("ingest")[0] == 0
    code, telegram = run("preview", "--platform", "telegram", "--categories", "climate")
    assert code == 0
    tagged = feed.LEAD_URL + "?utm_source=digestbot&utm_medium=telegram"
    assert f"[link preview, large, above the text: {tagged}]" in telegram
    assert telegram.count("[link preview") == 1
    code, discord = run("preview", "--platform", "discord", "--categories", "climate")
    assert code == 0 and f"[embed 1's picture: {feed.LEAD_PICTURE}]" in discord
    code, raw = run("preview", "--platform", "discord", "--categories", "climate", "--json")
    first, _ = json.JSONDecoder().raw_decode(raw)
    assert first["embeds"][0]["image"] == {"url": feed.LEAD_PICTURE}
    assert first["preview_url"] is None
    code, raw = run("preview", "--platform", "telegram", "--categories", "climate", "--json")
    first, _ = json.JSONDecoder().raw_decode(raw)
    assert first["preview_url"] == tagged
    code, plain = run("preview", "--platform", "plain", "--categories", "climate")
    assert code == 0 and f"Picture: {feed.LEAD_PICTURE}" in plain
    assert "utm_medium=plain" in plain
    for forbidden in feed.FORBIDDEN:
        assert forbidden not in telegram + discord + plain
