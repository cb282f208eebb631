"""Two real ``digestbot run`` processes on one database: the same article posted 200 times
at once through both admin APIs, with ``digestbot import`` of the same records running
beside them, is one article in one story; every answer is 200 or 201, never 500
(issue 10, items 1 and 4)."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from digests.ingest.cluster import title_key
from digests.models import Category, NewArticle
from digests.store import Store
from tests.processes import start_digestbot_run

TOKEN = "dedup-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def record(n: int, now: datetime, **fields: object) -> dict[str, object]:
    return {
        "url": f"https://cms.example/story-{n}?utm_source=rss",
        "title": f"Harbour council story number {n} approved",
        "category": "climate",
        "source": "Desk",
        "published_at": (now - timedelta(hours=1)).isoformat(),
        **fields,
    }


async def prepare(db: Path, now: datetime) -> None:
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        # An article an older version left without a story: run groups it at start.
        orphan = NewArticle(
            url="https://cms.example/orphan",
            title="Storm closes the northern bridge",
            summary="",
            source="Desk",
            published_at=now - timedelta(hours=2),
            title_key=title_key("Storm closes the northern bridge"),
        )
        await store.ingest_articles("import:desk", [orphan], ["climate"], now=now)
    finally:
        await store.close()


async def wait_healthy(client: httpx.AsyncClient, base: str) -> None:
    for _ in range(300):
        try:
            if (await client.get(f"{base}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{base} never answered")


async def import_file(folder: Path, db: Path, path: Path) -> asyncio.subprocess.Process:
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    return await asyncio.create_subprocess_exec(
        exe,
        "import",
        str(path),
        cwd=folder,
        env={"DATABASE_URL": f"sqlite:///{db}", "FEEDS_FILE": str(folder / "none.toml")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_posts_from_two_processes_and_an_import_store_each_article_once(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    db = tmp_path / "shared.db"
    await prepare(db, now)
    ports = [free_port(), free_port()]
    processes = [
        await start_digestbot_run(
            tmp_path, db, {"API_TOKEN": TOKEN, "API_BIND": f"127.0.0.1:{port}"}
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        limits = httpx.Limits(max_connections=400)
        async with httpx.AsyncClient(headers=AUTH, timeout=60, limits=limits) as client:
            await asyncio.gather(*(wait_healthy(client, base) for base in bases))

            async def post(i: int, body: dict[str, object]) -> int:
                response = await client.post(f"{bases[i % 2]}/api/articles", json=body)
                return response.status_code

            # 200 posts of one URL (no guid) at once, half through each process.
            statuses = await asyncio.gather(*(post(i, record(1, now)) for i in range(200)))
            assert sorted(set(statuses)) == [200, 201] and statuses.count(201) == 1

            # 50 posts of one guid at once, under two spellings of its URL.
            statuses = await asyncio.gather(
                *(
                    post(i, record(2, now, guid="cms-2", url=f"https://cms.example/two-{i % 2}"))
                    for i in range(50)
                )
            )
            assert set(statuses) <= {200, 201} and statuses.count(201) == 1

            # digestbot import of ten records while both APIs take the same ten, five times.
            lines = [json.dumps(record(n, now)) for n in range(10, 20)]
            feed = tmp_path / "import.jsonl"
            feed.write_text("\n".join(lines) + "\n")
            importer = await import_file(tmp_path, db, feed)
            statuses = await asyncio.gather(
                *(post(i, json.loads(lines[i % 10])) for i in range(50))
            )
            out, err = await asyncio.wait_for(importer.communicate(), 30)
            assert importer.returncode == 0, (out + err).decode()
            assert set(statuses) <= {200, 201}
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        results = [await asyncio.wait_for(p.communicate(), 30) for p in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]

    store = await Store.open(db)
    try:
        rows = await store._fetchall(
            "SELECT url, story_id FROM articles WHERE scope = 'import:desk' ORDER BY id"
        )
        urls = [r[0] for r in rows]
        assert len(urls) == len(set(urls)) == 1 + 1 + 1 + 10  # orphan, story-1, two, 10-19
        assert urls.count("https://cms.example/story-1") == 1
        assert all(r[1] is not None for r in rows)  # every one in a story, the orphan too
        stories = await store._fetchone("SELECT COUNT(*) FROM stories")
        assert stories is not None and stories[0] == 13
    finally:
        await store.close()
