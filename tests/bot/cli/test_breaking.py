"""``digestbot breaking``: a preview that is not confirmed stores nothing, and an article of
one category goes to another category's readers only when the operator says so."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.cli import main
from digests.store import Store
from tests.conftest import NOW

FEEDS = """
[categories.climate]
name = "Climate"

[categories.markets]
name = "Markets"
"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    tmp_path = clean_cwd
    (tmp_path / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0

    async def fill() -> None:
        store = await Store.open(tmp_path / "digestbot.db")
        try:
            for chat in ("1", "2"):
                sub = await store.upsert_subscriber("telegram", chat, now=NOW)
                await store.subscribe(sub.id, ["climate"], now=NOW)
        finally:
            await store.close()

    asyncio.run(fill())
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def counts(workdir: Path) -> tuple[int, int, int]:
    """(articles, pushes, outbox entries) in the work folder's database."""

    async def read() -> tuple[int, int, int]:
        store = await Store.open(workdir / "digestbot.db")
        try:
            found = []
            for table in ("articles", "pushes", "outbox"):
                row = await store._fetchone(f"SELECT COUNT(*) FROM {table}")
                found.append(int(row[0]) if row else -1)
            return found[0], found[1], found[2]
        finally:
            await store.close()

    return asyncio.run(read())


NEW = ("--category", "climate", "--url", "https://n.example/flood", "--title", "Floods")


def test_a_preview_not_confirmed_stores_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run("breaking", *NEW)  # no terminal to ask on
    assert code == 2 and "add --yes" in capsys.readouterr().err
    assert "Floods" in out  # the preview was shown
    assert counts(workdir) == (0, 0, 0)

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out = run("breaking", *NEW)
    assert code == 1 and "not sent" in out
    assert counts(workdir) == (0, 0, 0)

    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out = run("breaking", *NEW)
    assert code == 0 and "push #1" in out
    assert counts(workdir) == (1, 1, 2)


def markets_article(workdir: Path) -> str:
    """Store an article of markets by an import; return its id."""
    records = workdir / "records.jsonl"
    records.write_text(
        '{"url": "https://n.example/rates", "title": "Rates rise", "category": "markets", '
        '"source": "Desk", "published_at": "2026-11-27T10:00:00Z"}\n'
    )
    assert run("import", str(records))[0] == 0
    return "1"


def test_another_categorys_article_needs_saying_so(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = markets_article(workdir)
    code, _ = run("breaking", "--category", "climate", "--article", article, "--yes")
    err = capsys.readouterr().err
    assert code == 2
    assert "article 1 is in markets, not climate: add --cross-category" in err
    assert counts(workdir) == (1, 0, 0)
    code, out = run(
        "breaking", "--category", "climate", "--article", article, "--yes", "--cross-category"
    )
    assert code == 0 and "push #1" in out and "2 subscribers" in out
    code, out = run("breaking", "--category", "markets", "--article", article, "--yes")
    assert code == 0  # its own category needs nothing more (nobody subscribes to it)


def test_another_categorys_article_is_asked_about_even_with_yes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = markets_article(workdir)
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "no"

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    code, out = run("breaking", "--category", "climate", "--article", article, "--yes")
    assert code == 1 and "article 1 is in markets, not climate." in out and "not sent" in out
    assert asked == ["Send it to climate anyway? [y/N] "]
    assert counts(workdir) == (1, 0, 0)
