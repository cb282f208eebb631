"""Build the application from settings: the one place that decides which store, renderer,
clock and HTTP transport the rest of the program uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from digests.ingest.fetch import build_client
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import Clock, SystemClock


@dataclass
class App:
    settings: Settings
    store: Store
    renderer: Renderer
    clock: Clock
    transport: httpx.AsyncBaseTransport | None = None

    def http_client(self) -> httpx.AsyncClient:
        return build_client(self.settings.fetch, self.transport)


@contextlib.asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[App]:
    """Open the store and build the app; the store is closed on the way out."""
    store = await Store.open(settings.database_path)
    try:
        yield App(
            settings, store, Renderer(settings.templates_dir), clock or SystemClock(), transport
        )
    finally:
        await store.close()
