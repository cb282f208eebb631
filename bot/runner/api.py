"""The admin HTTP API's side of ``digestbot run``: listen on API_BIND, and stop again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from aiohttp import web

from bot.api import Api
from bot.api.health import LIVENESS
from bot.supervise import Liveness
from bot.wiring import App
from digests.settings import SettingsError, bind_address


async def start_api(
    app: App, out: TextIO, *, on_push: Callable[[], None], liveness: Liveness | None = None
) -> web.AppRunner:
    """Serve the admin API on API_BIND; return its runner (``cleanup()`` stops it). Raises
    SettingsError when it cannot listen there (port in use, no such host). ``/healthz``
    reads ``liveness`` (which long-lived parts are down) beside the store's health."""
    settings = app.settings
    api = Api(app.store, app.renderer, settings, app.clock, on_push=on_push, identity=app.identity)
    web_app = api.app()
    if liveness is not None:
        web_app[LIVENESS] = liveness
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    host, port = bind_address(settings.api_bind, "API_BIND")
    try:
        await web.TCPSite(runner, host, port).start()
    # In use, not ours, no such host (OSError), or a name no resolver takes (UnicodeError).
    except (OSError, OverflowError, UnicodeError) as exc:
        await runner.cleanup()
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SettingsError(f"API_BIND {settings.api_bind}: cannot listen: {reason}") from None
    if settings.api_token:
        out.write(f"admin API on http://{settings.api_bind}\n")
    out.write(f"console on http://{settings.api_bind}/console/\n")
    out.flush()
    return runner
