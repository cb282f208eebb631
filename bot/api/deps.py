"""What the admin API's route handlers work with, reached through the request
(``deps(request)``) rather than a global: the store, the renderer, the settings, the clock
and the hook that wakes the delivery worker after a push."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

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


DEPS = web.AppKey("digestbot", Deps)


def deps(request: web.Request) -> Deps:
    return request.app[DEPS]
