"""The console's accounts page (admins only): list the accounts, add one (its one-time
password is shown once, on the answer to the form, never stored readable), remove one,
change a role. Nobody removes or demotes themself here (the CLI can), so the console
always keeps the admin who is using it; every change and every refusal is audited."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

from aiohttp import web
from babel.dates import format_datetime

from bot.web.context import console, signed_in
from bot.web.forms import field
from bot.web.i18n import _
from bot.web.passwords import clean_name, hash_password, name_problem, one_time_password
from bot.web.render import page
from bot.web.routes import ROLES, Route
from digests.store import ConsoleUser, ConsoleUserExists, LastConsoleAdmin

PAGE = "/console/accounts"
TEMPLATE = "accounts.html.j2"


def last_admin() -> str:
    """Why a removal or demotion was refused: it would leave no admin (two admins acting
    on each other at once)."""
    return _("The console must keep at least one admin.")


def done_message(done: str | None) -> str | None:
    """The line a GET after a successful change shows (only fixed keys are read)."""
    messages = {
        "removed": _("The account was removed; its sessions have ended."),
        "role": _("The role was changed."),
    }
    return messages.get(done or "")


def _rows(users: list[ConsoleUser], language: str) -> list[dict[str, object]]:
    return [
        {
            "user": user,
            "created": format_datetime(user.created_at, "medium", tzinfo=UTC, locale=language),
        }
        for user in users
    ]


async def _show(request: web.Request, *, status: int = 200, **values: object) -> web.Response:
    ctx = console(request)
    session = signed_in(request)
    users = await ctx.deps.store.console_users()
    return page(
        request,
        TEMPLATE,
        status=status,
        title=_("Accounts"),
        rows=_rows(users, session.user.language),
        roles=ROLES,
        **values,
    )


async def show(request: web.Request) -> web.StreamResponse:
    return await _show(request, done=done_message(request.query.get("done")))


async def _audit(
    request: web.Request, action: str, target: str, outcome: str, detail: str | None = None
) -> None:
    ctx = console(request)
    session = signed_in(request)
    await ctx.deps.store.audit(
        actor=session.user.name,
        platform="console",
        action=action,
        target=target[:200],
        outcome=outcome,
        detail=detail,
        now=ctx.deps.clock.now(),
    )


def _checked(raw: str | None) -> tuple[str, str | None]:
    """The typed name (NFC) and why it cannot be an account, or None."""
    if raw is None or not raw.strip():
        return "", _("Fill in the name.")
    name = clean_name(raw.strip())
    return name, name_problem(name)


def _name_and_role(form: Any) -> tuple[str, str, str | None]:
    """The posted account name and role, and why they cannot be used, or None."""
    name, problem = _checked(field(form, "name", limit=256))
    role = field(form, "role", limit=10)
    if problem is None and role not in ROLES:
        problem = _("Choose the role editor or admin.")
    return name, role or "", problem


async def _refuse(request: web.Request, action: str, target: str, problem: str) -> web.Response:
    # What was typed may be hostile: the audit keeps it escaped, the page autoescaped.
    shown = target.encode("utf-8", "backslashreplace").decode("utf-8")
    await _audit(request, action, shown, "refused", problem)
    return await _show(request, status=422, problem=problem)


async def add(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    name, role, problem = _name_and_role(await request.post())
    if problem is not None:
        return await _refuse(request, "account-add", name, problem)
    password = one_time_password()
    hashed = await asyncio.to_thread(hash_password, password)
    try:
        await ctx.deps.store.add_console_user(
            name, role=role, password_hash=hashed, must_change=True, now=ctx.deps.clock.now()
        )
    except ConsoleUserExists:
        problem = _("An account named %(name)s exists already.", name=name)
        return await _refuse(request, "account-add", name, problem)
    await _audit(request, "account-add", name, "ok", role)
    # Shown on this answer only (no redirect): a reload does not show it again.
    return await _show(request, added=name, one_time=password)


async def remove(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    form = await request.post()
    name, problem = _checked(field(form, "name", limit=256))
    if problem is None and name == signed_in(request).user.name:
        problem = _("You cannot remove your own account while signed in to it.")
    if problem is None:
        try:
            if not await ctx.deps.store.remove_console_user(name, keep_an_admin=True):
                problem = _("There is no account named %(name)s.", name=name)
        except LastConsoleAdmin:
            problem = last_admin()
    if problem is not None:
        return await _refuse(request, "account-remove", name, problem)
    await _audit(request, "account-remove", name, "ok")
    raise web.HTTPSeeOther(PAGE + "?done=removed")


async def change_role(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    name, role, problem = _name_and_role(await request.post())
    if problem is None and name == signed_in(request).user.name:
        problem = _("You cannot change your own role.")
    if problem is None:
        try:
            if not await ctx.deps.store.set_console_role(
                name, role, now=ctx.deps.clock.now(), keep_an_admin=True
            ):
                problem = _("There is no account named %(name)s.", name=name)
        except LastConsoleAdmin:
            problem = last_admin()
    if problem is not None:
        return await _refuse(request, "account-role", name, problem)
    await _audit(request, "account-role", name, "ok", role)
    raise web.HTTPSeeOther(PAGE + "?done=role")


ROUTES = [
    Route("GET", "/accounts", show, role="admin"),
    Route("POST", "/accounts", add, role="admin"),
    Route("POST", "/accounts/remove", remove, role="admin"),
    Route("POST", "/accounts/role", change_role, role="admin"),
]
