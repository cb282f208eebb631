"""``feeds sync`` with a file that would disable every enabled feed (red-team finding
15: a file of comments only disabled them all without asking) is refused in one line,
exit 2, unless ``--prune`` says so."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.cli.feeds import prune_everything

FEEDS = """
[categories.climate]
name = "Climate"

[[feeds]]
url = "https://feeds.example/climate.xml"
category = "climate"

[[feeds]]
url = "https://feeds.example/more.xml"
category = "climate"
"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    tmp_path = clean_cwd
    (tmp_path / "feeds.toml").write_text(FEEDS)
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "# every feed commented out\n# [[feeds]]\n",
        "",
        FEEDS.split("[[feeds]]")[0],  # the categories, no feed
    ],
    ids=["comments", "empty", "categories-only"],
)
def test_a_file_naming_no_enabled_feed_is_refused_without_prune(
    workdir: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert run("init")[0] == 0
    capsys.readouterr()
    (workdir / "feeds.toml").write_text(text)
    code, out = run("feeds", "sync")
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("digestbot: error: ") and err.count("\n") == 1
    assert "none of the 2 enabled feeds" in err and "--prune" in err
    assert "disabled" not in run("feeds", "list")[1]  # nothing changed
    code, out = run("feeds", "sync", "--prune")
    assert code == 0 and "2 disabled" in out
    assert run("feeds", "list")[1].count("disabled") >= 2


def test_a_file_keeping_one_feed_syncs_as_before(workdir: Path) -> None:
    assert run("init")[0] == 0
    (workdir / "feeds.toml").write_text(
        FEEDS.split('[[feeds]]\nurl = "https://feeds.example/more')[0]
    )
    code, out = run("feeds", "sync")
    assert code == 0 and "1 disabled" in out


def test_the_first_sync_of_an_empty_database_needs_no_flag(workdir: Path) -> None:
    (workdir / "feeds.toml").write_text("# nothing yet\n")
    assert run("feeds", "sync")[0] == 0
    assert prune_everything([], [], "feeds.toml") is None


def test_help_says_what_prune_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["feeds", "sync", "--help"])
    assert "--prune" in capsys.readouterr().out
