"""``digestbot links`` (issue 18): every category's and code's links, QR codes that read
back as those links (zxing-cpp) and SVGs that are XML, an escaped HTML button, what is
missing offline, and ``links add|remove|list``."""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno

from bot.cli import main
from bot.cli.links import qr_stem
from tests.qr_png import read_qr

FEEDS = """
[categories.ai-frontier]
name = "AI Frontier"

[categories.climate]
name = "Climate & <Energy> \\"Desk\\""

[[feeds]]
url = "https://feeds.example/ai.xml"
category = "ai-frontier"
"""
BOT = "DailyDigestBot"
APP_ID = "1234567890123456789"


@pytest.fixture
def workdir(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TELEGRAM_BOT_USERNAME", "DISCORD_APPLICATION_ID"):
        monkeypatch.delenv(name, raising=False)
    (clean_cwd / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0
    return clean_cwd


@pytest.fixture
def identity(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@" + BOT)
    monkeypatch.setenv("DISCORD_APPLICATION_ID", APP_ID)
    return workdir


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def add_code(*argv: str) -> str:
    code, out = run("links", "add", *argv)
    assert code == 0, out
    found = re.search(r"added link code (\S+)", out)
    assert found, out
    return found.group(1)


def test_every_qr_code_reads_back_as_its_link(identity: Path) -> None:
    code = add_code("--categories", "ai-frontier,climate", "--source", "website")
    status, out = run("links", "--qr-dir", "print/qr")
    assert status == 0, out
    printed = {
        line.split()[-1]
        for line in out.splitlines()
        if line.startswith(("  telegram ", "  telegram group ", "  discord install "))
    }
    assert printed == {
        f"https://t.me/{BOT}?start=ai-frontier",
        f"https://t.me/{BOT}?startgroup=ai-frontier",
        f"https://t.me/{BOT}?start=climate",
        f"https://t.me/{BOT}?startgroup=climate",
        f"https://t.me/{BOT}?start={code}",
        f"https://t.me/{BOT}?startgroup={code}",
        f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
        "&scope=bot+applications.commands&permissions=274877926400",
    }
    folder = identity / "print" / "qr"
    pngs = sorted(folder.glob("*.png"))
    # Two Telegram links per category and code, and the one Discord install link.
    assert len(pngs) == 3 * 2 + 1
    decoded = {}
    for png in pngs:
        texts = read_qr(png)
        assert len(texts) == 1, (png.name, texts)
        decoded[png.stem] = texts[0]
        svg = ET.parse(png.with_suffix(".svg")).getroot()
        assert svg.tag.endswith("svg")
    assert set(decoded.values()) == printed
    # Each file is named after its category or code and the platform.
    assert decoded["climate_telegram-group"] == f"https://t.me/{BOT}?startgroup=climate"
    assert decoded[f"code_{code}_telegram"] == f"https://t.me/{BOT}?start={code}"
    assert decoded["discord_install"].startswith("https://discord.com/oauth2/authorize?")
    assert "qr codes        print/qr/climate_telegram.{png,svg}" in out


def test_the_links_of_one_category(identity: Path) -> None:
    status, out = run("links", "--only", "climate")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == 'climate  Climate & <Energy> "Desk"'
    assert f"  telegram        https://t.me/{BOT}?start=climate" in lines
    assert "  discord command /news subscribe category:climate" in lines
    button = next(line for line in lines if line.startswith("  html"))
    # The operator's text is escaped: the name cannot open a tag or end the attribute.
    assert "<Energy>" not in button and '"Desk"' not in button
    assert html.escape('Get Climate & <Energy> "Desk" in Telegram') in button
    anchor = ET.fromstring(button.split(None, 1)[1])
    assert anchor.get("href") == f"https://t.me/{BOT}?start=climate"
    assert "ai-frontier" not in out


def test_offline_without_identity_says_which_setting_adds_the_links(workdir: Path) -> None:
    status, out = run("links")
    assert status == 0
    assert "t.me" not in out and "discord.com" not in out
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2
    assert "TELEGRAM_BOT_USERNAME" in notes[0] and "DISCORD_APPLICATION_ID" in notes[1]
    # What needs no identity is there: the command to type on Discord.
    assert "/news subscribe category:ai-frontier" in out


def test_a_code_is_added_listed_and_retired(identity: Path) -> None:
    code = add_code("--categories", "climate, ai-frontier,climate", "--source", "newsletter")
    status, listed = run("links", "list")
    assert status == 0
    row = next(line for line in listed.splitlines() if line.startswith(code))
    assert "newsletter" in row and row.endswith("climate, ai-frontier")
    assert f"?start={code}" in run("links")[1]

    status, out = run("links", "remove", code)
    assert status == 0 and f"retired link code {code}" in out
    assert code not in run("links")[1]
    assert code not in run("links", "list")[1]
    assert "retired" in run("links", "list", "--retired")[1]
    status, out = run("links", "remove", code)
    assert status == 0 and "already retired" in out


def hostile_cases(tmp: Path) -> list[tuple[list[str], str]]:
    in_the_way = tmp / "a-file"
    in_the_way.write_text("")
    return [
        (["links", "remove", "7" * 5000], "not a link code: '7777"),
        (["links", "remove", "\udc80x"], "not a link code"),
        (["links", "remove", "a\u202eb"], "not a link code"),
        (["links", "remove", "climate"], "is not a link code; a category's link lasts"),
        (["links", "remove", "Abcdefg"], "no link with the code Abcdefg"),
        (["links", "add", "--categories", "climte"], "did you mean 'climate'"),
        (["links", "add", "--categories", "9" * 5000], "unknown category"),
        (["links", "add", "--categories", "cli\u202emate\x1b[2J"], "unknown category"),
        (["links", "add", "--categories", " , ,"], "at least one category"),
        (["links", "add", "--categories", "climate", "--source", "web\x1bsite"], "--source"),
        (["links", "add", "--categories", "climate", "--source", "\udc80"], "--source"),
        (["links", "add", "--categories", "climate", "--source", "s" * 5000], "--source"),
        (["links", "--only", "1" * 5000], "not a category slug or link code"),
        (["links", "--only", "nothing-here"], "no live category or link code"),
        (["links", "--qr-dir", "qr\u202egnp.exe"], "control or bidi character (U+202E)"),
        (["links", "--qr-dir", "qr\nforged line"], "control or bidi character (U+000A)"),
        (["links", "--qr-dir", str(in_the_way / "qr")], "cannot create the QR folder"),
        (["links", "--qr-dir", str(in_the_way)], "cannot create the QR folder"),
        (["links", "--qr-dir", "\ud800"], "cannot create the QR folder"),
        (["links", "--qr-dir", "x\x00y"], "control or bidi character (U+0000)"),
    ]


def test_hostile_arguments_are_one_line_exit_2_and_change_nothing(
    identity: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    for argv, fragment in hostile_cases(identity):
        status, out = run(*argv)
        err = capsys.readouterr().err
        assert status == 2, (argv, out, err)
        assert err.startswith("digestbot: error: ") and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err and fragment in err, (argv, err)
        assert "\x1b" not in err and "\u202e" not in err
    assert run("links", "list")[1].startswith("no link codes yet")
    assert not list(identity.glob("**/*.png"))


def test_qr_file_names_come_only_from_safe_payloads() -> None:
    assert qr_stem("category", "ai-frontier", "telegram") == "ai-frontier_telegram"
    assert qr_stem("code", "Kx7Qm2p", "telegram-group") == "code_Kx7Qm2p_telegram-group"
    assert qr_stem("code", "Kx7Qm2p", "discord") == "discord_install"
    for hostile in ("../etc/passwd", "a/b", "", "x" * 65, "con\x00", "a\u202eb", "é"):
        with pytest.raises(ValueError):
            qr_stem("category", hostile, "telegram")


def test_the_png_reader_reads_a_palette_image_too(tmp_path: Path) -> None:
    # The reader is the test's own; a coloured QR code (a palette PNG) checks it beyond
    # the black-and-white files the command writes.
    path = tmp_path / "blue.png"
    segno.make_qr("https://t.me/x_bot?start=climate").save(
        path, kind="png", scale=4, dark="#1a3d8f", light="#fffbe6"
    )
    assert read_qr(path) == ["https://t.me/x_bot?start=climate"]
