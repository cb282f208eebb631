"""Making console pages: one Jinja2 environment over ``templates/console/`` (always the
bundled copy: TEMPLATES_DIR is for readers' messages), autoescaped, with the console's
translations, and ``page()`` to answer a request with a rendered template."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
from aiohttp import web

from bot.web import i18n
from bot.web.context import LOGIN_CSRF, console, session_of
from digests.render.templates import bundled_templates_dir

HTML = "text/html"


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_templates_dir() / "console")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.gettext(message),
        lambda singular, plural, n: i18n.ngettext(singular, plural, n),
        newstyle=True,
    )
    return env


def language_of(request: web.Request) -> str:
    """The signed-in account's language; before log-in, the bot's default language."""
    session = session_of(request)
    if session is not None:
        return session.user.language
    default = console(request).deps.settings.default_language
    return default if default in i18n.LANGUAGES else "en"


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """``_`` answers in ``language`` within the block (the request's handlers run in one,
    set by the sessions middleware, so a page's title and problems are translated)."""
    token = i18n.current_language.set(language)
    try:
        yield
    finally:
        i18n.current_language.reset(token)


def page(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """Answer with ``template`` rendered in the account's language. Every template gets
    ``session`` (None before log-in), ``csrf`` (the token its forms must carry), ``path``
    and ``language``."""
    language = language_of(request)
    session = session_of(request)
    # Error pages are made outside the sessions middleware, which sets it for the rest.
    with speaking(language):
        text = (
            console(request)
            .templates.get_template(template)
            .render(
                session=session,
                csrf=session.csrf if session is not None else request.get(LOGIN_CSRF, ""),
                path=request.path,
                language=language,
                **values,
            )
        )
    return web.Response(text=text, status=status, content_type=HTML, charset="utf-8")
