"""What the admin API's route handlers work with, reached through the request
(``deps(request)``) rather than a global: the store, the renderer, the settings, the clock,
the hook that wakes the delivery worker after a push, and the bot's identity (shared with
the running bot, which fills it in once connected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.wiring import Identity
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import Clock


@dataclass(frozen=True)
class Deps:
    store: Store
    renderer: Renderer
    settings: Settings
    clock: Clock
    on_push: Callable[[], None]
    identity: Identity = field(default_factory=Identity)


DEPS = web.AppKey("digestbot", Deps)


def deps(request: web.Request) -> Deps:
    return request.app[DEPS]
