"""Signing in and out of the console, and changing one's own password and language."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web import throttle
from bot.web.context import console, session_of, signed_in
from bot.web.forms import field
from bot.web.i18n import LANGUAGES, _
from bot.web.passwords import (
    clean_name,
    dummy_hash,
    hash_password,
    name_problem,
    password_problem,
    verify_password,
)
from bot.web.peer import client_address
from bot.web.render import page
from bot.web.routes import Route
from bot.web.security import keep_login_csrf, login_csrf
from bot.web.session import end_session, start_session
from digests.errors import InputError
from digests.store import ConsoleUser

HOME = "/console/"


def safe_next(target: object) -> str:
    """Where to go after log-in: a console page of this site, never elsewhere (pure)."""
    if (
        isinstance(target, str)
        and (target == "/console" or target.startswith("/console/"))
        and "//" not in target
        and "\\" not in target
        and "/." not in target
        and target.isprintable()
        and target.isascii()
        and len(target) < 500
    ):
        return target
    return HOME


def _login_page(
    request: web.Request, *, status: int = 200, next_: object = None, problem: str | None = None
) -> web.Response:
    login_csrf(request)
    values = {} if problem is None else {"problem": problem}
    response = page(
        request,
        "login.html.j2",
        status=status,
        title=_("Sign in"),
        next=safe_next(next_),
        **values,
    )
    keep_login_csrf(request, response)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    return _login_page(request, next_=request.query.get("next"))


def _possible_name(raw: str | None) -> str | None:
    """The typed name as an account could have it, or None when no account could."""
    if raw is None:
        return None
    name = clean_name(raw)
    return name if name_problem(name) is None else None


async def _check(found: ConsoleUser | None, password: str) -> ConsoleUser | None:
    """``found`` when ``password`` is its password, else None. An unknown name costs the
    same argon2 verification as a known one."""
    stored = found.password_hash if found is not None else dummy_hash()
    right = await asyncio.to_thread(verify_password, stored, password)
    return found if right else None


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    next_ = field(form, "next")
    name = _possible_name(field(form, "name", limit=256))
    password = field(form, "password", limit=4096) or ""
    # Tries at the same account or from the same address wait for each other: the
    # throttle is read before the verification and written after it.
    async with throttle.one_try_at_a_time(request, name):
        return await _login(request, name, password, next_)


async def _login(
    request: web.Request, name: str | None, password: str, next_: str | None
) -> web.StreamResponse:
    ctx = console(request)
    address = client_address(request)
    found = await ctx.deps.store.console_user(name) if name is not None else None
    actor = found.name if found is not None else address
    until = await throttle.locked(request, name)
    if until is not None:
        await throttle.audit_refused(request, actor, "throttled", target=address)
        response = _login_page(
            request,
            status=429,
            next_=next_,
            problem=throttle.wait_message(until, ctx.deps.clock.now()),
        )
        seconds = int((until - ctx.deps.clock.now()).total_seconds())
        response.headers["Retry-After"] = str(max(1, seconds))
        return response
    user = await _check(found, password)
    if user is None:
        await throttle.note_failure(request, name)
        await throttle.audit_refused(request, actor, "wrong name or password", target=address)
        return _login_page(request, status=401, next_=next_, problem=_("Wrong name or password."))
    await throttle.note_success(request, user.name)
    previous = session_of(request)
    if previous is not None:  # signing in again, perhaps as someone else: one session
        await ctx.deps.store.end_console_session(previous.token_hash)
    response = web.HTTPSeeOther(safe_next(next_))
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


async def _password_problem(request: web.Request) -> tuple[str | None, str]:
    """Why the password form cannot be done (None: it can), and the new password."""
    session = signed_in(request)
    form = await request.post()
    old, new, again = (field(form, key, limit=4096) for key in ("old", "new", "again"))
    if old is None or new is None or again is None:
        return _("Fill in every field."), ""
    # Guessing the current password here (a borrowed session) is throttled as log-ins are.
    until = await throttle.locked(request, session.user.name)
    if until is not None:
        return throttle.wait_message(until, console(request).deps.clock.now()), ""
    if not await asyncio.to_thread(verify_password, session.user.password_hash, old):
        await throttle.note_failure(request, session.user.name)
        return _("The current password is wrong."), ""
    if new != again:
        return _("The two new passwords differ."), ""
    problem = password_problem(new)
    if problem is None and new == old:
        problem = _("Choose a password other than the current one.")
    return problem, new


async def change_password(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    now = ctx.deps.clock.now()
    problem, new = await _password_problem(request)
    if problem is not None:
        await ctx.deps.store.audit_refusal(
            actor=session.user.name, platform="console", action="password", now=now, detail=problem
        )
        return page(
            request, "password.html.j2", status=422, title=_("Change password"), problem=problem
        )
    hashed = await asyncio.to_thread(hash_password, new)
    await ctx.deps.store.set_console_password(session.user.id, hashed, must_change=False, now=now)
    # Whoever else holds this account's cookie (a lost laptop) is signed out.
    await ctx.deps.store.end_console_sessions_of(session.user.id, keep=session.token_hash)
    await ctx.deps.store.audit(
        actor=session.user.name, platform="console", action="password", outcome="ok", now=now
    )
    raise web.HTTPSeeOther(HOME)


async def set_language(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    form = await request.post()
    language = field(form, "language", limit=10)
    if language not in LANGUAGES:
        raise InputError(_("Choose English or Tiếng Việt."))
    now = ctx.deps.clock.now()
    await ctx.deps.store.set_console_language(session.user.id, language, now=now)
    await ctx.deps.store.audit(
        actor=session.user.name,
        platform="console",
        action="language",
        target=language,
        outcome="ok",
        now=now,
    )
    raise web.HTTPSeeOther(safe_next(field(form, "next")))


ROUTES = [
    Route("GET", "/login", login_form, role=None),
    Route("POST", "/login", login, role=None),
    Route("POST", "/logout", logout),
    Route("GET", "/password", password_form),
    Route("POST", "/password", change_password),
    Route("POST", "/language", set_language),
]
