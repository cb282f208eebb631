"""``digestbot links`` against a hostile or careless operator (issue 18 red team): a disk
that fills while a QR code is written, a symlink planted where a QR code goes, files
already there, an empty ``--qr-dir``, codes whose categories were retired since, and a
slug typed with capitals."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno

from bot.cli import main
from bot.cli.links import QR_BORDER, QR_SCALE, print_links, write_qr
from bot.links import Links, LinkTarget
from tests.qr_png import read_qr

FEEDS = """
[categories.ai-frontier]
name = "AI Frontier"

[categories.climate]
name = "Climate"

[categories.old]
name = "Old"
"""
BOT = "DailyDigestBot"
URL = f"https://t.me/{BOT}?start=ai-frontier"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture
def workdir(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    (clean_cwd / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0
    return clean_cwd


def add_code(categories: str) -> str:
    status, out = run("links", "add", "--categories", categories)
    assert status == 0, out
    return out.split()[3]


def _size(kind: str) -> int:
    buffer = io.BytesIO()
    segno.make_qr(URL).save(buffer, kind=kind, scale=QR_SCALE, border=QR_BORDER)
    return len(buffer.getvalue())


# Run in a child process: the limit is the process's, and pytest's own output (or
# coverage's data) written to a file past it would fail in this one.
DISK_FILLS = """
import resource, signal, sys
from pathlib import Path
from bot.cli.links import write_qr
from digests.errors import InputError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a kill
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
try:
    write_qr(sys.argv[2], Path(sys.argv[3]), "ai-frontier_telegram")
except InputError as exc:
    print(exc)
"""


def test_a_disk_that_fills_leaves_whole_files_or_none(tmp_path: Path) -> None:
    # Files may grow past the PNG's size but not to the SVG's: a write beyond fails with
    # EFBIG after part of it is on disk, as a full disk fails it.
    png, svg = _size("png"), _size("svg")
    assert png < svg
    limit = str((png + svg) // 2)
    result = subprocess.run(
        [sys.executable, "-c", DISK_FILLS, limit, URL, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert re.match(r"cannot write QR codes to .*: File too large", result.stdout), result
    # The PNG fitted and is whole; the SVG did not and is not there at all, nor is the
    # file it was being written to.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ai-frontier_telegram.png"]
    assert read_qr(tmp_path / "ai-frontier_telegram.png") == [URL]


def test_a_planted_symlink_is_replaced_not_written_through(workdir: Path) -> None:
    folder = workdir / "qr"
    folder.mkdir()
    precious = workdir / "precious.txt"
    precious.write_text("keep me")
    (folder / "ai-frontier_telegram.png").symlink_to(precious)
    status, out = run("links", "--only", "ai-frontier", "--qr-dir", "qr")
    assert status == 0, out
    assert precious.read_text() == "keep me"
    png = folder / "ai-frontier_telegram.png"
    assert not png.is_symlink() and read_qr(png) == [URL]
    # Replacing files is said, once, with how many.
    assert "note: replaced 1 QR code file already in qr" in out.splitlines()


def test_writing_twice_replaces_the_files_and_says_so(workdir: Path) -> None:
    assert run("links", "--only", "climate", "--qr-dir", "qr")[0] == 0
    names = sorted(p.name for p in (workdir / "qr").iterdir())
    status, out = run("links", "--only", "climate", "--qr-dir", "qr")
    assert status == 0
    assert "note: replaced 4 QR code files already in qr" in out.splitlines()
    # No temporary file is left beside them.
    assert sorted(p.name for p in (workdir / "qr").iterdir()) == names
    for svg in (workdir / "qr").glob("*.svg"):
        assert ET.parse(svg).getroot().tag.endswith("svg")


@pytest.mark.parametrize("raw", ["", "   "])
def test_an_empty_qr_dir_is_refused_not_the_current_folder(
    workdir: Path, raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    status, _ = run("links", "--qr-dir", raw)
    assert status == 2
    assert capsys.readouterr().err == "digestbot: error: --qr-dir needs a folder name\n"
    assert not list(workdir.rglob("*.png"))


def test_a_file_in_the_way_is_named_as_such(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "qr").write_text("")
    capsys.readouterr()
    assert run("links", "--qr-dir", "qr")[0] == 2
    assert capsys.readouterr().err.endswith("cannot create the QR folder 'qr': not a folder\n")


def retire_old(workdir: Path) -> None:
    (workdir / "feeds.toml").write_text(FEEDS.replace('[categories.old]\nname = "Old"\n', ""))
    assert run("feeds", "sync")[0] == 0


def test_a_code_shows_only_the_categories_a_tap_still_subscribes_to(workdir: Path) -> None:
    mixed = add_code("old,climate")
    dead = add_code("old")
    retire_old(workdir)
    status, out = run("links")
    assert status == 0
    block = out.split(f"code {mixed}", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines()[0].strip() == "Climate"
    assert "/news subscribe category:climate\n" in block + "\n"
    assert "old" not in block.lower()
    # A tap on a code whose categories are all retired is refused: no link to print.
    assert dead not in out
    assert run("links", "--only", dead)[0] == 2


def test_only_takes_a_slug_in_any_case_as_a_tap_does(workdir: Path) -> None:
    status, out = run("links", "--only", "AI-Frontier")
    assert status == 0, out
    assert out.splitlines()[1:3] == [
        "ai-frontier  AI Frontier",
        f"  telegram        https://t.me/{BOT}?start=ai-frontier",
    ]


def test_a_payload_is_printed_escaped() -> None:
    # A slug is checked when feeds.toml is read; the heading escapes it all the same.
    target = LinkTarget("category", "ai\n\x1b[2J", "AI", ("ai",))
    out = io.StringIO()
    print_links(out, Links(target, None, None, None, "/news subscribe category:ai", None))
    heading = out.getvalue().splitlines()[0]
    assert "\x1b" not in out.getvalue() and heading.startswith("ai\\n")


def test_the_files_keep_the_umask_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        png, _ = write_qr(URL, tmp_path, "x")
    finally:
        os.umask(previous)
    assert png.stat().st_mode & 0o777 == 0o644
