"""Signing in and out of the console, and changing one's own password and language."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.context import console, signed_in
from bot.web.i18n import LANGUAGES, _
from bot.web.passwords import hash_password, verify_password
from bot.web.render import page
from bot.web.routes import Route
from bot.web.security import keep_login_csrf, login_csrf
from bot.web.session import end_session, start_session

HOME = "/console/"


def safe_next(target: object) -> str:
    """Where to go after log-in: a console page of this site, never elsewhere (pure)."""
    if (
        isinstance(target, str)
        and target.startswith("/console")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and len(target) < 500
    ):
        return target
    return HOME


async def login_form(request: web.Request) -> web.StreamResponse:
    login_csrf(request)
    response = page(
        request, "login.html.j2", title=_("Sign in"), next=safe_next(request.query.get("next"))
    )
    keep_login_csrf(request, response)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    form = await request.post()
    name, password = form.get("name"), form.get("password")
    user = None
    if isinstance(name, str) and isinstance(password, str) and 0 < len(name) <= 64:
        found = await ctx.deps.store.console_user(name)
        if found is not None and await asyncio.to_thread(
            verify_password, found.password_hash, password[:1024]
        ):
            user = found
    if user is None:
        login_csrf(request)
        response = page(
            request,
            "login.html.j2",
            status=401,
            title=_("Sign in"),
            next=safe_next(form.get("next")),
            problem=_("Wrong name or password."),
        )
        keep_login_csrf(request, response)
        return response
    response = web.HTTPSeeOther(safe_next(form.get("next")))
    await start_session(request, response, user)
    await ctx.deps.store.audit(
        actor=user.name, platform="console", action="login", outcome="ok", now=ctx.deps.clock.now()
    )
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    response = web.HTTPSeeOther("/console/login")
    await end_session(request, response)
    await ctx.deps.store.audit(
        actor=session.user.name,
        platform="console",
        action="logout",
        outcome="ok",
        now=ctx.deps.clock.now(),
    )
    raise response


async def password_form(request: web.Request) -> web.StreamResponse:
    return page(request, "password.html.j2", title=_("Change password"))


async def change_password(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    form = await request.post()
    old, new, again = form.get("old"), form.get("new"), form.get("again")
    problem = None
    if not all(isinstance(v, str) for v in (old, new, again)):
        problem = _("Fill in every field.")
    elif not await asyncio.to_thread(verify_password, session.user.password_hash, str(old)):
        problem = _("The current password is wrong.")
    elif new != again:
        problem = _("The two new passwords differ.")
    elif not 12 <= len(str(new)) <= 1024:
        problem = _("A password has at least 12 characters.")
    if problem is not None:
        return page(
            request, "password.html.j2", status=422, title=_("Change password"), problem=problem
        )
    now = ctx.deps.clock.now()
    hashed = await asyncio.to_thread(hash_password, str(new))
    await ctx.deps.store.set_console_password(session.user.id, hashed, must_change=False, now=now)
    await ctx.deps.store.end_console_sessions_of(session.user.id, keep=session.token_hash)
    await ctx.deps.store.audit(
        actor=session.user.name, platform="console", action="password", outcome="ok", now=now
    )
    raise web.HTTPSeeOther(HOME)


async def set_language(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    form = await request.post()
    language = form.get("language")
    if language not in LANGUAGES:
        raise web.HTTPUnprocessableEntity()
    await ctx.deps.store.set_console_language(
        session.user.id, str(language), now=ctx.deps.clock.now()
    )
    raise web.HTTPSeeOther(safe_next(form.get("next")))


ROUTES = [
    Route("GET", "/login", login_form, role=None),
    Route("POST", "/login", login, role=None),
    Route("POST", "/logout", logout),
    Route("GET", "/password", password_form),
    Route("POST", "/password", change_password),
    Route("POST", "/language", set_language),
]
