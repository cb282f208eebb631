"""``console-user add|remove|list|unlock``: the accounts of the newsroom's web console
(``/console``). ``add`` prints a one-time password the editor must change at first
log-in, or reads a chosen one from stdin (``--password-stdin``, for scripts); ``unlock``
lifts the lock wrong passwords put on an account (someone guessing can keep a named editor
out). Every change is audited under the actor "cli". Password hashes are never printed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from bot.web.passwords import (
    clean_name,
    hash_password,
    name_problem,
    one_time_password,
    password_problem,
)
from bot.wiring import App
from digests.errors import InputError, NotFoundError
from digests.login_throttle import account_key
from digests.store import ConsoleUser

ACTOR = "cli"


def checked_name(raw: str) -> str:
    """``raw`` as an account name, or InputError (one line that never echoes a control,
    bidi or broken character)."""
    name = clean_name(raw)
    problem = name_problem(name)
    if problem is not None:
        raise InputError(f"console account name: {problem}")
    return name


def read_password(stream: TextIO) -> str:
    """One line of ``stream`` (its line end dropped) as a chosen password."""
    try:
        line = stream.readline(4096)
    except UnicodeDecodeError:
        raise InputError("the password on stdin is not UTF-8 text") from None
    password = line.removesuffix("\n").removesuffix("\r")
    problem = password_problem(password)
    if problem is not None:
        raise InputError(f"password on stdin: {problem}")
    return password


async def cmd_console_user_add(args: argparse.Namespace, app: App, out: TextIO) -> int:
    name = checked_name(args.name)
    chosen = read_password(sys.stdin) if args.password_stdin else None
    password = chosen if chosen is not None else one_time_password()
    hashed = await asyncio.to_thread(hash_password, password)
    now = app.clock.now()
    # ConsoleUserExists (exit 2, one line) when the name is taken, also by a concurrent add.
    await app.store.add_console_user(
        name, role=args.role, password_hash=hashed, must_change=chosen is None, now=now
    )
    await app.store.audit(
        actor=ACTOR,
        platform="cli",
        action="account-add",
        target=name,
        outcome="ok",
        detail=args.role,
        now=now,
    )
    if chosen is not None:
        out.write(f"added console account {name} ({args.role}) with the password from stdin\n")
        return 0
    out.write(
        f"added console account {name} ({args.role})\n"
        f"one-time password: {password}\n"
        "it is shown only now; it must be changed at the first log-in\n"
    )
    return 0


async def cmd_console_user_remove(args: argparse.Namespace, app: App, out: TextIO) -> int:
    name = checked_name(args.name)
    now = app.clock.now()
    if not await app.store.remove_console_user(name):
        raise NotFoundError(f"no console account named {name}")
    await app.store.audit(
        actor=ACTOR, platform="cli", action="account-remove", target=name, outcome="ok", now=now
    )
    out.write(f"removed console account {name}; its sessions have ended\n")
    return 0


async def cmd_console_user_unlock(args: argparse.Namespace, app: App, out: TextIO) -> int:
    name = checked_name(args.name)
    if await app.store.console_user(name) is None:
        raise NotFoundError(f"no console account named {name}")
    await app.store.clear_console_logins(account_key(name))
    await app.store.audit(
        actor=ACTOR,
        platform="cli",
        action="account-unlock",
        target=name,
        outcome="ok",
        now=app.clock.now(),
    )
    out.write(f"console account {name} may sign in again; its wrong passwords are forgotten\n")
    return 0


def account_line(user: ConsoleUser) -> str:
    made = user.created_at.strftime("%Y-%m-%d %H:%M")
    note = "  (one-time password not yet changed)" if user.must_change else ""
    return f"{user.name:<24} {user.role:<7} {made:<17} {user.language}{note}\n"


async def cmd_console_user_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    users = await app.store.console_users()
    if not users:
        out.write("no console accounts yet; add one with 'digestbot console-user add NAME'\n")
        return 0
    out.write(f"{'name':<24} {'role':<7} {'created (UTC)':<17} language\n")
    for user in users:
        out.write(account_line(user))
    return 0
