"""Build the application from settings: the one place that decides which store, renderer,
clock and HTTP transport the rest of the program uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from bot.settings import PlatformSettings
from digests.ingest.fetch import build_client
from digests.render import Renderer
from digests.settings import Settings, SettingsError
from digests.store import Store, StoreError
from digests.summaries.model import Model
from digests.timeutil import Clock, SystemClock


@dataclass
class Identity:
    """Who the bots are on their platforms, for the links that lead readers to them: from
    TELEGRAM_BOT_USERNAME and DISCORD_APPLICATION_ID, then from the platforms themselves
    once ``digestbot run`` has connected (getMe; Discord's login)."""

    telegram_username: str | None = None
    discord_application_id: str | None = None


@dataclass
class App:
    settings: Settings
    store: Store
    renderer: Renderer
    clock: Clock
    transport: httpx.AsyncBaseTransport | None = None
    # The chat adapters' own settings (TELEGRAM_*, DISCORD_*); the core never reads them.
    platforms: PlatformSettings = field(default_factory=PlatformSettings)
    identity: Identity = field(default_factory=Identity)
    # The language model for story summaries (LLM_BASE_URL), made at its first use (only
    # ``digestbot run`` and ``summarize`` use it); tests may hand one in.
    llm: Model | None = None

    def __post_init__(self) -> None:
        username = self.platforms.telegram.bot_username
        self.identity.telegram_username = username.lstrip("@") if username else None
        self.identity.discord_application_id = self.platforms.discord.application_id

    def http_client(self) -> httpx.AsyncClient:
        return build_client(self.settings.fetch, self.transport)

    def model(self) -> Model | None:
        """The language model, None when LLM_BASE_URL is not set; closed with the app."""
        if self.llm is None and self.settings.llm.enabled:
            from bot.llm.client import make_model  # loads openai only when summaries are on

            self.llm = make_model(self.settings.llm)
        return self.llm


@contextlib.asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    create: bool = True,
    platforms: PlatformSettings | None = None,
    model: Model | None = None,
) -> AsyncIterator[App]:
    """Open the store and build the app; the store is closed on the way out.
    ``create=False`` (read-only commands) refuses a missing database instead of creating it.

    Raises SettingsError when TEMPLATES_DIR is not a folder, StoreError when the database
    cannot be opened (its folder is a file, say)."""
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        raise SettingsError(f"TEMPLATES_DIR {settings.templates_dir} is not a folder")
    try:
        store = await Store.open(settings.database_path, create=create)
    except OSError as exc:  # creating the database's folder failed
        reason = exc.strerror or str(exc)
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            reason = "a part of its folder's path is a file"
        raise StoreError(f"cannot open database {settings.database_path}: {reason}") from None
    app: App | None = None
    try:
        app = App(
            settings,
            store,
            Renderer(settings.templates_dir, settings.reach),
            clock or SystemClock(),
            transport,
            platforms or PlatformSettings(),
            llm=model,
        )
        yield app
    finally:
        if app is not None and app.llm is not None:
            with contextlib.suppress(Exception):  # closing must not hide why the app ended
                await app.llm.close()
        await store.close()
