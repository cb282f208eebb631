"""Hostile OPML files at ``feeds import``: each ends in a one-line error and exit 2, or in
skips with reasons, never a traceback; a file far over the size cap is refused from its
size without being read."""

from __future__ import annotations

import asyncio
import io
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.opml import read_capped
from digests.opml import MAX_DEPTH, MAX_OPML_BYTES, MAX_OUTLINES, OpmlError
from digests.store import Store
from tests.conftest import NOW

FEEDS = """
[categories.climate]
name = "Climate"
"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    (clean_cwd / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0
    return clean_cwd


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def opml(body: str) -> bytes:
    return (
        f'<opml version="2.0"><body><outline text="Climate">{body}</outline></body></opml>'.encode()
    )


def outlines(count: int) -> str:
    return "".join(
        f'<outline text="f{i}" xmlUrl="https://f{i}.example/rss"/>' for i in range(count)
    )


HOSTILE: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "the file is empty"),
    "not-xml": (b"\x00\x01PK\x03\x04 zip?", "not an OPML file"),
    "text": (b"feeds: https://a.example/rss\n", "not an OPML file"),
    "invalid-utf8": (opml("caf\xe9").replace(b"\xc3\xa9", b"\xff"), "not UTF-8 text"),
    "outlines-100k": (opml(outlines(100_000)), f"more than {MAX_OUTLINES:,} outlines"),
    "nesting-10k": (
        opml('<outline text="x">' * 10_000 + "</outline>" * 10_000),
        f"nested more than {MAX_DEPTH} deep",
    ),
    "billion-laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b']><opml><body><outline text="&j;" xmlUrl="https://a.example/"/></body></opml>',
        "DOCTYPE and ENTITY declarations are not accepted",
    ),
    "external-entity": (
        b'<!DOCTYPE opml [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>'
        b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>',
        "DOCTYPE and ENTITY declarations are not accepted",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_one_line_and_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    data, message = HOSTILE[case]
    path = workdir / f"{case}.opml"
    path.write_bytes(data)
    code, out = run("feeds", "import", str(path), "--category", "climate")
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith(f"digestbot: error: {path}: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert run("feeds", "list")[1] == "no feeds yet\n"


def test_bad_urls_and_duplicates_are_skips_not_errors(workdir: Path) -> None:
    path = workdir / "mixed.opml"
    body = (
        '<outline text="js" xmlUrl="javascript:fetch(&apos;//evil&apos;)"/>'
        '<outline text="file" xmlUrl="file:///etc/shadow"/>'
        '<outline text="data" xmlUrl="data:text/xml,&lt;rss/&gt;"/>'
        '<outline text="spaces" xmlUrl="https://a b.example/"/>'
        '<outline text="\u202eevil" xmlUrl="https://dup.example/rss"/>'
        '<outline text="dup" xmlUrl="https://dup.example/rss"/>'
        '<outline text="dup2" xmlUrl="https://DUP.example:443/rss?utm_source=x"/>'
    )
    path.write_bytes(opml(body))
    code, out = run("feeds", "import", str(path))
    assert code == 0
    assert out.count("not an http(s) feed URL") == 4
    assert out.count("added: https://dup.example/rss in climate") == 1
    assert out.endswith("1 added, 0 already known, 4 skipped\n")
    listing = run("feeds", "list")[1]
    assert "\u202e" not in listing and listing.startswith("evil  [climate]")


def test_a_100_mb_file_is_refused_from_its_size_without_reading_it(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "huge.opml"
    with path.open("wb") as stream:
        stream.truncate(100 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    try:
        code, _ = run("feeds", "import", str(path), "--category", "climate")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2 and "too large (104,857,600 bytes" in err and err.count("\n") == 1
    assert peak < MAX_OPML_BYTES // 2  # nothing of the file was read


def test_a_stream_is_read_at_most_once_up_to_the_cap() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(OpmlError, match="larger than"):
            read_capped(Path("/dev/zero"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * MAX_OPML_BYTES  # one buffer, never a second copy


@pytest.mark.parametrize("name", ["missing.opml", "."], ids=["missing", "directory"])
def test_an_unreadable_path_is_one_line(
    workdir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, _ = run("feeds", "import", name)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("digestbot: error: cannot read") and err.count("\n") == 1


def test_an_export_stays_valid_xml_whatever_a_feed_server_titled_it(
    workdir: Path, tmp_path: Path
) -> None:
    url = "https://odd.example/rss"
    assert run("feeds", "add", url, "--category", "climate")[0] == 0

    async def retitle() -> None:
        store = await Store.open(workdir / "digestbot.db")
        try:
            feed = await store.get_feed(url)
            assert feed is not None
            await store.record_fetch_success(
                feed.id,
                now=NOW,
                next_fetch_at=NOW,
                etag=None,
                last_modified=None,
                title='Odd\x00 \x1b[31m"feed" & <b>\u202e\x0c',
            )
        finally:
            await store.close()

    asyncio.run(retitle())
    code, text = run("feeds", "export")
    assert code == 0
    root = ET.fromstring(text.encode("utf-8"))
    [feed] = list(root.iter("outline"))[1:]
    assert feed.get("xmlUrl") == url
    assert feed.get("text") == 'Odd [31m"feed" & <b>\u202e'


def test_an_unwritable_output_is_one_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("feeds", "export", "--output", str(workdir / "no" / "such" / "dir.opml"))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("digestbot: error: cannot write") and err.count("\n") == 1
