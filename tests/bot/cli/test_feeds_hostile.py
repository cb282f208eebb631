"""Hostile input to ``init``, ``feeds sync`` and ``feeds add`` (red-team findings 3, 4
and 16): one line on stderr, exit 2, nothing stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    return clean_cwd


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err[:500]
    for fragment in fragments:
        assert fragment in err, err[:500]


@pytest.mark.parametrize("command", [("feeds", "sync"), ("init",)])
@pytest.mark.parametrize(
    "text",
    ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b=" * 3000 + "1" + "}" * 3000],
    ids=["arrays", "inline-tables"],
)
def test_deeply_nested_toml_is_one_line_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], text: str
) -> None:
    (workdir / "feeds.toml").write_text(text)
    assert run(*command)[0] == 2
    one_line_error(capsys, "nested too deeply")


def test_a_category_name_with_bidi_controls_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "feeds.toml").write_text(
        '[categories.climate]\nname="C\\u001b[2J\\u202eX"\n'
        '[[feeds]]\nurl="https://x.example/f"\ncategory="climate"\n'
    )
    assert run("feeds", "sync")[0] == 2
    one_line_error(capsys, "categories.climate: name contains a control or bidi character")
    assert run("categories", "list")[1].count("climate") == 0


def test_feeds_add_refuses_an_overlong_url(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "feeds.toml").write_text('[categories.climate]\nname="Climate"\n')
    assert run("init")[0] == 0  # the database and its category
    capsys.readouterr()
    url = "https://x.example/" + "a" * 100_000
    assert run("feeds", "add", url, "--category", "climate")[0] == 2
    one_line_error(capsys, "URL too long (100018 characters; at most 2048)")
    assert "x.example" not in run("feeds", "list")[1]
