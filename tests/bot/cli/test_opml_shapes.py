"""``feeds import`` of the shapes real exports come in beyond the four readers' fixtures:
an old desktop reader's Latin-1 OPML 1.0 file, the standard input, a URL with a password,
and a folder title of a megabyte that the report must not repeat per feed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "opml"

FEEDS = """
[categories.climate]
name = "Climat & météo"

[categories.markets]
name = "Marchés"
"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    (clean_cwd / "feeds.toml").write_text(FEEDS, encoding="utf-8")
    assert run("init")[0] == 0
    return clean_cwd


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def listed() -> dict[str, str]:
    """Each listed feed's URL → its categories as listed."""
    lines = run("feeds", "list")[1].splitlines()
    return {
        url.strip(): head.split("[", 1)[1].split("]", 1)[0]
        for head, url in zip(lines[::2], lines[1::2], strict=True)
    }


def test_an_old_desktop_readers_latin_1_opml_1_export_imports(workdir: Path) -> None:
    code, out = run("feeds", "import", str(FIXTURES / "desktop-latin1.opml"))
    assert code == 0, out
    assert listed() == {
        "http://meteo.example.fr/rss?lang=fr&region=all": "climate",  # url=, a bare "&"
        "http://glaciers.example.org/feed.xml": "climate",
        "http://bourse.example.fr/rss.xml": "markets",  # feed://
    }
    assert "skipped: http://friends.example.fr/blogroll.opml: a link to another list" in out
    assert out.endswith("3 added, 0 already known, 1 skipped\n")
    assert run("feeds", "list")[1].startswith("Météo France  [climate]")  # &nbsp; a space


def test_the_standard_input_is_read_for_a_dash(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (FIXTURES / "desktop-latin1.opml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out = run("feeds", "import", "-")
    assert code == 0 and out.endswith("standard input: 3 added, 0 already known, 1 skipped\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _ = run("feeds", "import", "-")
    err = capsys.readouterr().err
    assert code == 2 and err == "digestbot: error: standard input: the file is empty\n"


def test_a_password_in_a_feed_url_is_never_printed(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "private.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="Marchés">'
        '<outline text="paid" xmlUrl="https://reader:hunter2@paid.example/rss"/>'
        "</outline></body></opml>"
    )
    code, out = run("feeds", "import", str(path))
    assert code == 0
    assert "skipped: https://paid.example/rss: credentials in the URL" in out
    assert "hunter2" not in out + capsys.readouterr().err + run("feeds", "list")[1]


def test_a_megabyte_folder_title_is_shown_cut_not_once_per_feed(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workdir / "big-folder.opml"
    feeds = "".join(f'<outline xmlUrl="https://f{i}.example/rss"/>' for i in range(200))
    path.write_text(
        f'<opml version="2.0"><body><outline text="{"F" * 1_000_000}">{feeds}</outline>'
        "</body></opml>"
    )
    code, out = run("feeds", "import", str(path))
    assert code == 2 and "200 of 200 feeds" in capsys.readouterr().err
    # Was 200 MB: the whole title on each feed's line.
    assert out.count("  no category: ") == 200 and len(out) < 200 * 150


@pytest.mark.parametrize("name", ["digestbot.db", "feeds.toml"])
def test_an_export_never_overwrites_the_database_or_the_feeds_file(
    workdir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    before = (workdir / name).read_bytes()
    code, _ = run("feeds", "export", "--output", f"./{name}")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "export to another file" in err
    assert (workdir / name).read_bytes() == before
    assert run("feeds", "list")[0] == 0


def test_an_emptied_feeds_file_retires_no_category_of_imported_feeds(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The file has no feeds of its own left to protect: the check for "would disable every
    # enabled feed" saw none, and the sync retired every category the imports fill.
    assert run("feeds", "import", str(FIXTURES / "desktop-latin1.opml"))[0] == 0
    (workdir / "feeds.toml").write_text("# emptied by mistake\n")
    for command in (["feeds", "sync"], ["init"]):
        code, _ = run(*command)
        err = capsys.readouterr().err
        assert code == 2 and "declares none of the 2 categories" in err and "--prune" in err
        assert run("categories", "list")[1].count("\n") == 2
    code, out = run("feeds", "sync", "--prune")
    assert code == 0 and "retired category climate" in out


def test_a_removed_feed_imported_again_stays_off_and_the_report_says_how_to_turn_it_on(
    workdir: Path,
) -> None:
    path = str(FIXTURES / "desktop-latin1.opml")
    assert run("feeds", "import", path)[0] == 0
    assert run("feeds", "remove", "http://glaciers.example.org/feed.xml")[0] == 0
    code, out = run("feeds", "import", path)
    assert code == 0 and out.endswith("0 added, 3 already known, 1 skipped\n")
    assert (
        "already known, left as it is: http://glaciers.example.org/feed.xml "
        "(in climate, disabled; 'feeds add' turns it back on)" in out
    )
    assert "disabled" in run("feeds", "list")[1]


def test_export_to_a_dash_is_the_standard_output(workdir: Path) -> None:
    assert run("feeds", "import", str(FIXTURES / "desktop-latin1.opml"))[0] == 0
    code, out = run("feeds", "export", "--output", "-")
    assert code == 0 and out.startswith("<?xml") and out.count("xmlUrl=") == 3
    assert not (workdir / "-").exists()


def test_an_import_before_any_category_says_to_declare_them(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("feeds", "import", str(FIXTURES / "desktop-latin1.opml"))
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "no categories yet" in err and "feeds sync" in err
