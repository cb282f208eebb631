"""Shared fixtures: a real SQLite store in a temp folder, a fixed clock, builders for
articles and subscribers, a local HTTP server, and a guard that fails any test trying to
reach a non-loopback address."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from digests.dburl import PostgresUrl
from digests.models import Article, Category, Subscriber, Subscription
from digests.outgoing import Destination, OutgoingMessage
from digests.store import Store
from tests import pg_server
from tests.engines import BOTH_ENGINES

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test on any connection outside 127.0.0.0/8 and ::1."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address:
            host = str(address[0])
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def now() -> datetime:
    return NOW


# Tests whose ``store`` runs on both engines are listed in tests/engines.py; elsewhere
# ``store`` is SQLite only (the queries are the same ones).
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = Path(str(metafunc.module.__file__)).as_posix()
    if "store" in metafunc.fixturenames and any(part in path for part in BOTH_ENGINES):
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_server() -> AsyncIterator[pg_server.PostgresServer]:
    """One PostgreSQL server for the whole run; a test that needs it fails (never skips)
    when it cannot start."""
    server = pg_server.start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


def _migrate(target: Path | PostgresUrl) -> None:
    """Open (so migrate) and close a store, in a thread of its own: the first test to ask
    for a template may already run in an event loop."""

    async def migrate() -> None:
        opened = await Store.open(target)
        await opened.close()

    migrating = threading.Thread(target=asyncio.run, args=(migrate(),))
    migrating.start()
    migrating.join()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: pg_server.PostgresServer) -> str:
    """A migrated database that each test's database is copied from (faster than
    migrating each)."""
    name = postgres_server.create_database()
    _migrate(PostgresUrl(postgres_server.url(name)))
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test's database is copied from: a new file's open
    runs every migration and turns on WAL, synced writes that cost more than most tests
    (the migrations themselves are tested on new files in tests/digests/store)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(path)
    return path


@pytest.fixture
def postgres_url(
    postgres_server: pg_server.PostgresServer, postgres_template: str
) -> AsyncIterator[PostgresUrl]:
    """A fresh, migrated PostgreSQL database for one test, dropped after it."""
    name = postgres_server.create_database(postgres_template)
    try:
        yield PostgresUrl(postgres_server.url(name))  # type: ignore[misc]
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
async def store(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    if engine == "postgresql":
        target: Path | PostgresUrl = request.getfixturevalue("postgres_url")
    else:
        target = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
    opened = await Store.open(target)
    try:
        yield opened
    finally:
        await opened.close()


CATEGORIES = (
    Category("ai-frontier", "AI Frontier", "Models and labs", 0),
    Category("climate", "Climate", "", 1),
    Category("markets", "Markets", "", 2),
)


@pytest.fixture
async def categorised_store(store: Store) -> Store:
    for category in CATEGORIES:
        await store.upsert_category(category)
    return store


class ArticleFactory:
    """Builds Articles for assembly and rendering tests with sensible defaults."""

    def __init__(self) -> None:
        self._next = 1

    def __call__(self, **overrides: object) -> Article:
        number = self._next
        self._next += 1
        values: dict[str, object] = {
            "id": number,
            "feed_id": 1,
            "url": f"https://news.example.com/{number}",
            "title": f"Story number {number}",
            "summary": f"Summary of story {number}. It has two sentences.",
            "source": "Example News",
            "categories": ("ai-frontier",),
            "published_at": NOW - timedelta(hours=1),
            "fetched_at": NOW - timedelta(minutes=30),
            "story_id": number,
            "priority": 0,
            "word_count": 460,
        }
        values.update(overrides)
        return Article(**values)  # type: ignore[arg-type]


@pytest.fixture
def make_article() -> ArticleFactory:
    return ArticleFactory()


def make_subscriber(*categories: str, **overrides: object) -> Subscriber:
    values: dict[str, object] = {
        "id": 1,
        "platform": "console",
        "chat_id": "reader",
        "subscriptions": tuple(Subscription(c) for c in categories),
    }
    values.update(overrides)
    return Subscriber(**values)  # type: ignore[arg-type]


class RecordingSender:
    """A Sender that keeps what it was asked to send."""

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.sent: list[tuple[Destination, OutgoingMessage]] = []

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        self.sent.append((destination, message))
        return str(len(self.sent))


Routes = Callable[[web.Application], None]


@pytest.fixture
async def local_server() -> AsyncIterator[Callable[[web.Application], object]]:
    """Start aiohttp applications on 127.0.0.1; yields a starter returning the base URL."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()
