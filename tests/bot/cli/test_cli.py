"""The CLI through its entry point: in-process for most commands, and once as the
installed ``digestbot`` command in a subprocess."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from tests.conftest import NOW

FEEDS = """
[categories.ai-frontier]
name = "AI Frontier"

[categories.climate]
name = "Climate"

[[feeds]]
url = "https://feeds.example/ai.xml"
category = "ai-frontier"
name = "Wired AI"
interval = "15m"
"""


@pytest.fixture
def workdir(clean_cwd: Path) -> Path:
    tmp_path = clean_cwd
    (tmp_path / "feeds.toml").write_text(FEEDS)
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_init_sync_list_and_categories(workdir: Path) -> None:
    code, out = run("init")
    assert code == 0 and "database ready" in out and "1 added" in out
    assert (workdir / "digestbot.db").is_file()
    code, out = run("categories", "list")
    assert "ai-frontier" in out and "Climate" in out
    code, out = run(
        "feeds",
        "add",
        "https://climate.example/rss?utm_source=a",
        "--category",
        "climate",
        "--interval",
        "1h",
        "--name",
        "Desk",
    )
    assert code == 0 and "https://climate.example/rss in climate, every 1h" in out
    code, out = run("feeds", "list")
    assert "Wired AI" in out and "Desk" in out and "every 15m" in out
    code, out = run("feeds", "remove", "https://climate.example/rss")
    assert code == 0 and "articles are kept" in out
    code, out = run("feeds", "list")
    assert "disabled: removed from the feed list" in out


def test_import_preview_and_stats(workdir: Path) -> None:
    run("init")
    lines = [
        {
            "url": "https://cms.example/a",
            "title": "Meta Pauses Employee-Tracking Program Following Internal Data Leak",
            "category": "ai-frontier",
            "source": "Wired AI",
            "published_at": "2099-01-01T00:00:00Z",
            "summary": "It was paused.",
        },
        {
            "url": "https://cms.example/b",
            "title": "Meta Exposed Data Internally From Its "
            "Controversial Employee-Tracking Program",
            "category": "ai-frontier",
            "source": "Tech Ledger",
            "published_at": "2099-01-01T00:00:00Z",
        },
        {
            "url": "https://cms.example/c",
            "title": "x",
            "category": "sports",
            "source": "s",
            "published_at": "2099-01-01T00:00:00Z",
        },
    ]
    path = workdir / "articles.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{oops\n")
    code, out = run("import", str(path))
    assert code == 0
    assert "2 new" in out and "2 rejected" in out
    assert "line 3: unknown category: 'sports'" in out and "line 4: invalid JSON" in out
    code, out = run("preview", "--platform", "telegram", "--categories", "ai-frontier")
    assert code == 0 and out.count("<a href=") == 3  # one story: title link + two sources
    assert "Tech Ledger" in out and "Wired AI" in out
    code, out = run(
        "preview", "--platform", "discord", "--categories", "ai-frontier", "--lang", "vi", "--json"
    )
    message = json.loads(out)
    assert "Bản tin" in message["text"] and message["embeds"][0]["title"] == "AI Frontier"
    code, out = run("stats")
    assert "articles" in out and "stories" in out and " 2\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "--categories", "nope"], "unknown category: 'nope'"),
        (
            ["preview", "--categories", "climat"],
            "unknown category: 'climat' (did you mean 'climate'?)",
        ),
        (["preview", "--categories", "climate", "--since", "soon"], "not an ISO 8601 date"),
        (["preview", "--categories", "climate", "--timezone", "Mars/Base"], "unknown time zone"),
        (["import", "missing.json"], "cannot read missing.json"),
        (["feeds", "add", "not a url", "--category", "climate"], "not an http"),
        (["feeds", "add", "https://x.example/", "--category", "nope"], "unknown category"),
        (
            ["feeds", "add", "https://x.example/", "--category", "climate", "--interval", "x"],
            "not a duration",
        ),
        (["feeds", "remove", "https://never.example/"], "no feed with URL"),
        (
            ["feeds", "add", "https://u:hunter2@x.example/", "--category", "climate"],
            "credentials in feed URLs",
        ),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run("init")
    capsys.readouterr()
    code, _ = run(*argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("digestbot: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err and "hunter2" not in err


def test_bad_settings_and_feeds_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIGEST_MAX_STORIES", "lots")
    assert run("stats")[0] == 2
    assert "DIGEST_MAX_STORIES" in capsys.readouterr().err
    monkeypatch.delenv("DIGEST_MAX_STORIES")
    (workdir / "feeds.toml").write_text("[[feeds]]\nurl = 'https://x/'\ncategory = 'ghost'\n")
    assert run("feeds", "sync")[0] == 2
    assert "unknown category ghost" in capsys.readouterr().err


def test_dotenv_file_is_read_and_environment_wins(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text("DATABASE_URL=sqlite:///from-dotenv.db\n")
    run("init")
    assert (workdir / "from-dotenv.db").is_file()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    run("init")
    assert (workdir / "from-env.db").is_file()


def test_ingest_with_nothing_due(workdir: Path) -> None:
    run("init")
    run("feeds", "remove", "https://feeds.example/ai.xml")
    code, out = run("ingest")
    assert code == 0 and "no feeds are due" in out


def test_demo_runs_offline_and_shows_both_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("demo")
    assert code == 0
    assert "2 reported by more than one source" in out
    for platform in ("telegram", "discord", "plain"):
        assert f"════════ {platform} ════════" in out
    assert '<a href="https://techledger.example.com/meta-exposed-data">Tech Ledger</a>' in out
    assert "[Tech Ledger](https://techledger.example.com/meta-exposed-data)" in out
    assert "nothing new, so nothing is sent" in out


def test_installed_command_runs(tmp_path: Path) -> None:
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe, "the digestbot console script is not installed"
    result = subprocess.run(
        [exe, "--help"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0 and "demo" in result.stdout
    bad = subprocess.run(
        [exe, "preview", "--categories", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    # A read-only command in an empty folder says so instead of creating a database.
    assert bad.returncode == 2 and "no database at digestbot.db" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "digestbot.db").exists()


def test_stats_shows_delivery_per_platform(workdir: Path) -> None:
    run("init")

    async def fill() -> None:
        store = await Store.open(workdir / "digestbot.db")
        try:
            sub = await store.upsert_subscriber("telegram", "1", now=NOW)
            gone = await store.upsert_subscriber("telegram", "2", now=NOW)
            await store.deactivate(gone.id, reason="blocked", now=NOW)
            await store.enqueue(
                [OutboxItem(sub.id, "digest", "p", "telegram", [OutgoingMessage(text="x")])],
                now=NOW,
            )
            await store.set_meta("last_dispatch_at", "2026-11-27T12:00:00+00:00")
        finally:
            await store.close()

    asyncio.run(fill())
    code, out = run("stats")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("telegram"))
    assert line.split() == ["telegram", "1", "0", "0", "0", "0", "0", "1"]
    assert "last dispatch  2026-11-27T12:00:00+00:00" in out


def test_breaking_push_status_cancel_and_audit(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    run("init")

    async def readers() -> None:
        store = await Store.open(workdir / "digestbot.db")
        try:
            for chat in ("1", "2"):
                sub = await store.upsert_subscriber("telegram", chat, now=NOW)
                await store.subscribe(sub.id, ["climate"], now=NOW)
        finally:
            await store.close()

    asyncio.run(readers())
    code, _ = run(
        "breaking",
        "--category",
        "climate",
        "--url",
        "https://n.example/flood",
        "--title",
        "Floods close the ferry",
    )
    assert code == 2 and "add --yes" in capsys.readouterr().err
    code, out = run(
        "breaking",
        "--category",
        "climate",
        "--url",
        "https://n.example/flood",
        "--title",
        "Floods close the ferry",
        "--summary",
        "Until Monday.",
        "--yes",
    )
    assert code == 0
    assert "Breaking news" in out and "Floods close the ferry" in out
    assert "2 active subscribers of climate" in out and "push #1" in out
    code, out = run(
        "breaking",
        "--category",
        "climate",
        "--url",
        "https://n.example/other",
        "--title",
        "Something else",
        "--yes",
    )
    assert code == 2 and "still going out" in capsys.readouterr().err
    code, out = run("breaking", "status")
    assert "push #1 (climate, sending): 2 subscribers" in out and "2 pending" in out
    code, out = run("breaking", "cancel", "1")
    assert "cancelled" in out and "0 pending" in out
    code, out = run("audit")
    lines = out.splitlines()
    assert "breaking.cancel" in lines[0] and "refused" in lines[1] and " ok" in lines[2]
    code, _ = run("breaking", "--category", "nope", "--article", "1", "--yes")
    assert code == 2 and "unknown category: nope" in capsys.readouterr().err
    code, _ = run("breaking", "--category", "climate", "--yes")
    assert code == 2 and "--article ID" in capsys.readouterr().err


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path: Path) -> None:
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    result = subprocess.run(
        f"'{exe}' demo | head -3",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.stdout.count("\n") == 3
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
