"""``feeds import`` and ``feeds export`` through the CLI: the exports of Feedly, Inoreader,
miniflux and RSS-to-Telegram-Bot (hand-made, in tests/fixtures/opml) land in the categories
their folders name, an export imports back into the same feeds and categories, and the
feeds an import adds survive ``feeds sync``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "opml"

FEEDS = """
[categories.ai-frontier]
name = "AI Frontier"

[categories.climate]
name = "Climate"

[categories.markets]
name = "Markets"

[categories.city]
name = "City desk"

[[feeds]]
url = "https://file.example/city.xml"
category = "city"
"""

FILE_FEED = "https://file.example/city.xml"


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    (clean_cwd / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0
    return clean_cwd


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def feeds_by_url() -> dict[str, tuple[str, str]]:
    """Each listed feed's URL → (its categories as listed, its state line)."""
    code, out = run("feeds", "list")
    assert code == 0
    lines = out.splitlines()
    result = {}
    for head, url in zip(lines[::2], lines[1::2], strict=True):
        cats = head.split("[", 1)[1].split("]", 1)[0]
        result[url.strip()] = (cats, head)
    return result


def imported() -> dict[str, str]:
    return {url: cats for url, (cats, _) in feeds_by_url().items() if url != FILE_FEED}


@pytest.mark.parametrize(
    ("fixture", "fallback", "expected"),
    [
        (
            "feedly.opml",
            "markets",
            {
                "https://modelwatch.example.com/feed": "ai-frontier",
                "https://labnotes.example.org/rss.xml": "ai-frontier, climate",
                "https://warming.example.net/feeds/all.atom.xml": "climate",
                "https://brief.example.com/rss": "markets",  # "Must Read": no category
            },
        ),
        (
            "inoreader.xml",
            "city",
            {
                "https://tickertape.example.net/feed/": "markets",
                "https://bonds.example.com/index.rss": "markets",
                "https://modelwatch.example.com/feed": "ai-frontier",  # "AI-FRONTIER"
                "https://www.inoreader.com/stream/user/1005950000/tag/web-feed?n=20": "city",
            },
        ),
        (
            "miniflux.opml",
            "city",
            {
                "https://labnotes.example.org/rss.xml": "city",  # "All"
                "https://cityhall.example.com/atom": "city",
                "https://warming.example.net/feeds/all.atom.xml": "climate",
                "https://glaciers.example.org/feed.json": "climate",
            },
        ),
        (
            "rss-to-telegram-bot.opml",
            "ai-frontier",
            {
                "https://modelwatch.example.com/feed": "ai-frontier",
                "https://harbour.example.com/news/rss/": "ai-frontier",  # listed twice
            },
        ),
    ],
)
def test_each_readers_export_imports_as_expected(
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    fixture: str,
    fallback: str,
    expected: dict[str, str],
) -> None:
    path = str(FIXTURES / fixture)
    # Without --category, the feeds no folder matches are listed and nothing is imported.
    code, out = run("feeds", "import", path)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--category" in err
    assert "nothing was imported" in err and "no category:" in out
    assert imported() == {}
    code, out = run("feeds", "import", path, "--category", fallback)
    assert code == 0, capsys.readouterr().err
    assert imported() == expected
    assert f"{len(expected)} added, 0 already known, 0 skipped" in out
    assert all("(from OPML import)" in feeds_by_url()[url][1] for url in expected)
    # The same file twice adds nothing, and says so feed by feed.
    code, out = run("feeds", "import", path, "--category", fallback)
    assert code == 0 and f"0 added, {len(expected)} already known" in out
    assert out.count("already known, left as it is:") == len(expected)
    assert imported() == expected


def test_a_known_feed_is_reported_and_left_as_it_is(workdir: Path) -> None:
    assert run("feeds", "add", "https://modelwatch.example.com/feed", "--category", "city")[0] == 0
    code, out = run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "markets")
    assert code == 0
    assert "already known, left as it is: https://modelwatch.example.com/feed (in city)" in out
    assert imported()["https://modelwatch.example.com/feed"] == "city"
    assert "(from feeds add)" in feeds_by_url()["https://modelwatch.example.com/feed"][1]


def test_skips_are_reported_with_their_reason(workdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="Climate">'
        '<outline text="x" xmlUrl="javascript:alert(1)"/>'
        '<outline text="y" xmlUrl="file:///etc/passwd"/>'
        '<outline text="Good" xmlUrl="https://good.example/rss"/>'
        '<outline text="Good again" xmlUrl="https://GOOD.example/rss#top"/>'
        "</outline></body></opml>"
    )
    code, out = run("feeds", "import", str(path))
    assert code == 0
    assert "skipped: javascript:alert(1): not an http(s) feed URL" in out
    assert "skipped: file:///etc/passwd: not an http(s) feed URL" in out
    assert out.endswith("1 added, 0 already known, 2 skipped\n")
    assert imported() == {"https://good.example/rss": "climate"}


def test_an_unknown_fallback_category_is_one_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "climat")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "climate" in err
    assert imported() == {}


def test_export_then_import_into_a_fresh_database_gives_the_same_feeds_and_categories(
    workdir: Path, tmp_path: Path
) -> None:
    assert run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "markets")[0] == 0
    assert run("feeds", "import", str(FIXTURES / "miniflux.opml"), "--category", "city")[0] == 0
    assert run("feeds", "remove", "https://glaciers.example.org/feed.json")[0] == 0
    before = {url: cats for url, (cats, head) in feeds_by_url().items() if "disabled" not in head}
    code, out = run("feeds", "export", "--output", str(tmp_path / "out.opml"))
    assert code == 0 and out.startswith(f"wrote {sum(c.count(',') + 1 for c in before.values())}")
    code, stdout_copy = run("feeds", "export")
    assert code == 0 and stdout_copy.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "glaciers.example.org" not in stdout_copy  # enabled feeds only

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "feeds.toml").write_text(FEEDS.split("[[feeds]]")[0])  # the categories only
    db = f"sqlite:///{fresh / 'fresh.db'}"
    env = fresh / "fresh.env"
    env.write_text(f"DATABASE_URL={db}\nFEEDS_FILE={fresh / 'feeds.toml'}\n")
    assert run("--env-file", str(env), "init")[0] == 0
    code, out = run("--env-file", str(env), "feeds", "import", str(tmp_path / "out.opml"))
    assert code == 0, out
    code, listing = run("--env-file", str(env), "feeds", "list")
    lines = listing.splitlines()
    after = {
        url.strip(): head.split("[", 1)[1].split("]", 1)[0]
        for head, url in zip(lines[::2], lines[1::2], strict=True)
    }
    assert after == before


def test_export_of_one_category(workdir: Path) -> None:
    assert run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "markets")[0] == 0
    code, out = run("feeds", "export", "--category", "climate")
    assert code == 0
    assert out.count('category="climate"') == 1 and "ai-frontier" not in out
    assert "labnotes.example.org" in out and "modelwatch" not in out


def test_a_feeds_sync_after_an_import_leaves_the_imported_feeds_enabled(workdir: Path) -> None:
    other = "https://file.example/other.xml"
    both = FEEDS + f'\n[[feeds]]\nurl = "{other}"\ncategory = "city"\n'
    (workdir / "feeds.toml").write_text(both)
    assert run("feeds", "sync")[0] == 0
    assert run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "markets")[0] == 0
    assert run("feeds", "add", "https://cli.example/rss", "--category", "city")[0] == 0
    # The file drops its first feed: that one is disabled, nothing else.
    (workdir / "feeds.toml").write_text(both.replace(FILE_FEED, other, 1))
    code, out = run("feeds", "sync")
    assert code == 0 and "1 disabled" in out
    assert f"disabled (no longer in feeds.toml): {FILE_FEED}" in out
    listed = feeds_by_url()
    assert "disabled" in listed[FILE_FEED][1]
    survivors = [u for u in listed if u not in (FILE_FEED, other)]
    assert len(survivors) == 5
    assert all(" ok " in listed[url][1] for url in survivors)


def test_a_file_naming_only_imported_feeds_needs_no_prune(workdir: Path) -> None:
    # The refusal to disable every enabled feed counts only the file's own feeds.
    (workdir / "feeds.toml").write_text(FEEDS.split("[[feeds]]")[0])
    assert run("feeds", "sync", "--prune")[0] == 0
    assert run("feeds", "import", str(FIXTURES / "feedly.opml"), "--category", "markets")[0] == 0
    code, out = run("feeds", "sync")
    assert code == 0 and "0 disabled" in out
    assert all("ok" in head for url, (_, head) in feeds_by_url().items() if url != FILE_FEED)
