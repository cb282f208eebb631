"""The CLI under a careless or hostile operator's hand (issue 10): arguments out of range,
an existing feed re-added, a misspelt key, read-only commands in an empty folder, feeds
that all fail, an audit log carrying terminal escapes, and the help and version."""

from __future__ import annotations

import argparse
import asyncio
import io
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from digests import __version__
from digests.ingest import importer
from digests.store import Store
from tests.conftest import NOW
from tests.threaded_http import serving

FEEDS = """
[categories.climate]
name = "Climate"

[categories.world]
name = "World"

[[feeds]]
url = "https://feeds.example/climate.xml"
category = "climate"
name = "Climate Desk"
interval = "15m"
"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><title>Glacier melt doubles</title><link>https://local.example/a</link>
<pubDate>Fri, 27 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    tmp_path = clean_cwd
    (tmp_path / "feeds.toml").write_text(FEEDS)
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        code = main(list(argv), out=out)
    except SystemExit as exc:  # argparse's own exits (--help, --version, a bad argument)
        code = int(exc.code or 0)
    return code, out.getvalue()


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("digestbot: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# --- arguments out of range ----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["preview", "--categories", "climate", "--since", "9999-12-31T23:00:00-05:00"],
            "date out of range",
        ),
        (
            ["preview", "--categories", "climate", "--since", "0001-01-01T00:00:00+05:00"],
            "date out of range",
        ),
        (["audit", "--limit", "1e20"], "expected a whole number, got '1e20'"),
        (["audit", "--limit", "100000000000000000000"], "must be between 1 and 100000"),
        (["audit", "--limit", "0"], "must be between 1 and 100000"),
        (["audit", "--limit", "9" * 5000], "expected a whole number"),
        (
            ["feeds", "add", "https://x.example/f", "--category", "climate", "--priority", "1e20"],
            "argument --priority: expected a whole number",
        ),
        (
            [
                "feeds",
                "add",
                "https://x.example/f",
                "--category",
                "climate",
                "--priority",
                "100000000000000000000",
            ],
            "must be between -100 and 100",
        ),
        (["breaking", "status", "100000000000000000000"], "must be between 1 and"),
        (
            ["breaking", "--category", "climate", "--article", "100000000000000000000", "--yes"],
            "must be between 1 and",
        ),
        (["preview", "--categories", "climate", "--platform", "\x1b[2Jfax"], "\\x1b[2Jfax"),
        (
            ["feeds", "add", "https://x.example/f", "--category", "climate", "--name", "\x1b[31mR"],
            "name contains a control or bidi character (U+001B)",
        ),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_arguments_out_of_range_give_one_line_and_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run("init")
    capsys.readouterr()
    code, _ = run(*argv)
    assert code == 2
    err = one_line_error(capsys)
    assert message in err and "\x1b" not in err


# --- feeds add on a known URL -----------------------------------------------------------


def test_feeds_add_on_a_known_url_says_what_changes_and_needs_update(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("init")
    url = "https://feeds.example/climate.xml"
    code, out = run("feeds", "add", url, "--category", "climate")
    assert code == 0 and "already there, unchanged" in out

    code, _ = run("feeds", "add", url, "--category", "world", "--interval", "5m")
    assert code == 2
    err = one_line_error(capsys)
    assert "categories climate → world" in err and "interval 15m → 5m" in err
    assert "--update" in err
    code, out = run("feeds", "list")
    assert "[climate]  every 15m" in out and "Climate Desk" in out  # nothing replaced

    code, out = run(
        "feeds", "add", url, "--category", "climate,world", "--priority", "3", "--update"
    )
    assert code == 0
    assert "updated feed" in out and "categories climate → climate, world" in out
    assert "priority 0 → 3" in out and "interval" not in out.split("(now")[0]
    code, out = run("feeds", "list")
    assert "Climate Desk  [climate, world]  every 15m" in out  # name and interval kept

    run("feeds", "remove", url)
    code, out = run("feeds", "add", url, "--category", "climate,world")
    assert code == 0 and "re-enabled" in out


def test_one_interval_floor_for_cli_file_and_setting(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run("init")
    capsys.readouterr()
    code, _ = run(
        "feeds", "add", "https://x.example/f", "--category", "climate", "--interval", "30s"
    )
    assert code == 2 and "interval must be at least 1m, got 30s" in one_line_error(capsys)
    (workdir / "feeds.toml").write_text(FEEDS.replace('"15m"', '"30s"'))
    assert run("feeds", "sync")[0] == 2
    assert "interval must be at least 1m, got 30s" in one_line_error(capsys)
    (workdir / "feeds.toml").write_text(FEEDS)
    monkeypatch.setenv("FEED_DEFAULT_INTERVAL", "30s")
    assert run("feeds", "list")[0] == 2
    assert "FEED_DEFAULT_INTERVAL" in one_line_error(capsys)
    monkeypatch.setenv("FEED_DEFAULT_INTERVAL", "99999999999999d")
    assert run("feeds", "list")[0] == 2
    assert "FEED_DEFAULT_INTERVAL" in one_line_error(capsys)


def test_misspelt_key_in_feeds_file_is_an_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "feeds.toml").write_text(FEEDS.replace('interval = "15m"', 'intervall = "5m"'))
    assert run("init")[0] == 2
    assert "feed #1: unknown key intervall" in one_line_error(capsys)


def test_unknown_category_gets_did_you_mean(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("init")
    capsys.readouterr()
    code, _ = run("feeds", "add", "https://x.example/f", "--category", "climat")
    assert code == 2
    assert "unknown category: 'climat' (did you mean 'climate'?)" in one_line_error(capsys)
    code, _ = run("preview", "--categories", "wrold,climate")
    assert code == 2 and "did you mean 'world'?" in one_line_error(capsys)


# --- read-only commands ------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["audit"],
        ["preview", "--categories", "climate"],
        ["feeds", "list"],
        ["categories", "list"],
    ],
)
def test_read_only_commands_do_not_create_a_database(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _ = run(*argv)
    assert code == 2
    assert "no database at digestbot.db; create it with 'digestbot init'" in one_line_error(capsys)
    assert not (workdir / "digestbot.db").exists()
    assert run("init")[0] == 0 and run(*argv)[0] == 0


# --- ingest ------------------------------------------------------------------------------


@pytest.fixture
def rss_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield f"{base}/feed.xml"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def test_ingest_exits_1_when_every_due_feed_failed(workdir: Path, rss_server: str) -> None:
    (workdir / "feeds.toml").write_text(
        FEEDS.replace("https://feeds.example/climate.xml", closed_port_url())
    )
    run("init")
    code, out = run("ingest")
    assert code == 1 and "0 fetched" in out and "1 failed" in out
    run("feeds", "add", rss_server, "--category", "climate")
    code, out = run("ingest", "--all")
    assert code == 0 and "1 fetched" in out and "1 failed" in out


# --- audit ------------------------------------------------------------------------------


def test_audit_prints_control_and_bidi_characters_escaped(workdir: Path) -> None:
    run("init")
    hostile = "/api/\x1b[2J\x1b[31mx\r\n2026-11-27T12:00:00+00:00  admin  breaking ok\u202egnp"

    async def record() -> None:
        store = await Store.open(workdir / "digestbot.db")
        try:
            await store.audit(
                actor="api",
                platform="api",
                action="refused",
                outcome="refused",
                target=hostile,
                detail="\x9b31m\u2066bidi\u2069",
                now=NOW,
            )
        finally:
            await store.close()

    asyncio.run(record())
    code, out = run("audit")
    assert code == 0
    assert out.count("\n") == 1  # no forged second line
    for raw in ("\x1b", "\r", "\x9b", "\u202e", "\u2066", "\u2069"):
        assert raw not in out
    assert "\\x1b[2J\\x1b[31mx\\r\\n2026" in out and "\\u202egnp" in out
    assert "\\x9b31m\\u2066bidi\\u2069" in out


# --- help and version --------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--version")[0] == 0
    assert capsys.readouterr().out.strip() == f"digestbot {__version__}"


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action.choices.values():
                yield from _parsers(choice)


def test_every_command_and_argument_has_a_description_and_help() -> None:
    parsers = list(_parsers(build_parser()))
    assert len(parsers) > 15
    for parser in parsers:
        assert parser.description, parser.prog
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(c.help for c in action._choices_actions), parser.prog
            else:
                assert action.help and action.help != argparse.SUPPRESS, (parser.prog, action)


def test_import_help_says_what_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("import", "--help")[0] == 0
    text = capsys.readouterr().out
    assert "JSON Lines" in text and "MB" in text


# --- import ------------------------------------------------------------------------------


def test_import_keeps_good_lines_and_names_each_bad_one(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("init")
    good = (
        '{"url": "https://cms.example/%s", "title": "Story %s", "category": "climate", '
        '"source": "Desk", "published_at": "2026-11-27T08:00:00Z"}'
    )
    lines = [
        good % ("a", "a"),
        (good % ("d", "d")).replace("2026-11-27T08:00:00Z", "9999-12-31T23:00:00-05:00"),
        (good % ("s", "s")).replace("Story s", "\\ud800"),
        '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"n": ' + "9" * 5000 + "}",
        (good % ("c", "c")).replace('"climate"', '"climat"'),
        good % ("b", "b"),
    ]
    (workdir / "articles.jsonl").write_text("\n".join(lines) + "\n")
    code, out = run("import", "articles.jsonl")
    assert code == 0, capsys.readouterr().err
    assert out.startswith("2 new, 0 updated, 0 unchanged, 5 rejected\n")
    assert "line 2: published_at: date out of range" in out
    assert "line 3: text contains a lone surrogate" in out
    assert "line 4: nested deeper than" in out
    assert "line 5: number too long" in out
    assert "line 6: unknown category: 'climat' (did you mean 'climate'?)" in out
    assert out.count("\n") == 6 and "Traceback" not in capsys.readouterr().err
    code, out = run("stats")
    assert "articles" in out and " 2\n" in out


def test_import_of_a_big_json_array_is_one_line_suggesting_json_lines(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    monkeypatch.setattr(importer, "MAX_DOCUMENT_BYTES", 100)
    run("init")
    capsys.readouterr()
    (workdir / "big.json").write_text("[" + ", ".join(['{"title": "x"}'] * 20) + "]")
    code, _ = run("import", "big.json")
    assert code == 2 and "export JSON Lines" in one_line_error(capsys)
    code, _ = run("import", ".")
    assert code == 2 and "cannot read ." in one_line_error(capsys)
