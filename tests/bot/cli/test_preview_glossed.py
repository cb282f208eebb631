"""``digestbot preview --lang vi`` shows what a Vietnamese reader gets: with a model
configured (LLM_BASE_URL), the stored Vietnamese summary of an English story, marked
translated, with the original links; without one, as the dispatcher would, the sources'
own text. Preview never calls the model (the base URL points at a closed port)."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from digests.models import SummaryRecord
from digests.store import Store

FEEDS = '[categories.ai-frontier]\nname = "AI Frontier"\n'
VI_TITLE = "Meta tạm dừng chương trình theo dõi nhân viên"
VI_SUMMARY = "Hai nguồn cho biết Meta tạm dừng chương trình sau một vụ rò rỉ dữ liệu nội bộ."
LINKS = ("https://cms.example/a", "https://cms.example/b")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


async def store_summary(path: Path, language: str, status: str = "ready") -> None:
    store = await Store.open(path)
    try:
        now = datetime.now(UTC)
        articles = await store.candidate_articles(
            published_since=now - timedelta(days=2), categories=["ai-frontier"]
        )
        (story_id,) = {a.story_id for a in articles}
        await store.save_summary(
            SummaryRecord(
                story_id=story_id,
                language=language,
                input_hash="h1",
                article_ids=tuple(a.id for a in articles),
                status=status,
                at=now,
                summary=VI_SUMMARY if status == "ready" else None,
                title=VI_TITLE if status == "ready" else None,
                translated=True,
                model="fake",
                reason=None if status == "ready" else "wrong_language",
            )
        )
    finally:
        await store.close()


@pytest.fixture
def newsroom(clean_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    (clean_cwd / "feeds.toml").write_text(FEEDS)
    assert run("init")[0] == 0
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    lines = [
        {
            "url": LINKS[0],
            "title": "Meta Pauses Employee-Tracking Program Following Internal Data Leak",
            "category": "ai-frontier",
            "source": "Wired AI",
            "published_at": published,
            "summary": "It was paused after the leak.",
            "language": "en",
        },
        {
            "url": LINKS[1],
            "title": "Meta Exposed Data Internally From Its Employee-Tracking Program",
            "category": "ai-frontier",
            "source": "Tech Ledger",
            "published_at": published,
            "language": "en",
        },
    ]
    path = clean_cwd / "articles.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out = run("import", str(path))
    assert code == 0 and "2 new" in out, out
    return clean_cwd


def preview(platform: str, language: str) -> str:
    code, out = run(
        "preview", "--platform", platform, "--categories", "ai-frontier", "--lang", language
    )
    assert code == 0, out
    return out


@pytest.mark.parametrize("platform", ["telegram", "discord", "plain"])
def test_a_stored_vietnamese_summary_is_what_the_preview_shows(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    asyncio.run(store_summary(newsroom / "digestbot.db", "vi"))
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    out = preview(platform, "vi")
    assert VI_TITLE in out and VI_SUMMARY in out and "đã dịch" in out
    assert "Employee-Tracking Program Following" not in out
    for link in LINKS:
        assert link in out
    english = preview(platform, "en")  # no English summary stored: the sources' own
    assert "Following Internal Data Leak" in english and VI_TITLE not in english
    assert "translated" not in english


def test_without_a_model_the_preview_shows_the_sources_as_digests_do(
    newsroom: Path,
) -> None:
    asyncio.run(store_summary(newsroom / "digestbot.db", "vi"))
    out = preview("telegram", "vi")
    assert "Following Internal Data Leak" in out and VI_TITLE not in out
    assert "đã dịch" not in out


def test_a_failed_summary_is_not_shown(newsroom: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(store_summary(newsroom / "digestbot.db", "vi", status="failed"))
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    out = preview("plain", "vi")
    assert "Following Internal Data Leak" in out and "đã dịch" not in out
