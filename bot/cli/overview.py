"""``stats`` and ``audit``: what the store holds and what admins did, read only."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

from bot.wiring import App
from digests.links import SignupCount
from digests.stats import (
    Forecast,
    ModelDay,
    ProcessView,
    crowds_ahead,
    model_day_of,
    processes_of,
)
from digests.terminal import printable
from digests.timeutil import format_duration


async def cmd_stats(args: argparse.Namespace, app: App, out: TextIO) -> int:
    counts = await app.store.counts()
    width = max(len(k) for k in counts)
    for name, value in counts.items():
        out.write(f"{name.replace('_', ' '):<{width}}  {value}\n")
    outbox = await app.store.outbox_counts()
    inactive = await app.store.inactive_by_platform()
    platforms = sorted(set(outbox) | set(inactive))
    if platforms:
        out.write("\ndelivery     queued  sending  retrying     sent  dead  cancelled  inactive\n")
    for platform in platforms:
        row = outbox.get(platform, {})
        out.write(
            f"{platform:<10} {row.get('queued', 0):>8} {row.get('sending', 0):>8} "
            f"{row.get('retrying', 0):>9} {row.get('sent', 0):>8} {row.get('dead', 0):>5} "
            f"{row.get('cancelled', 0):>10} {inactive.get(platform, 0):>9}\n"
        )
    write_signups(out, await app.store.signup_counts())
    write_model(out, await model_day_of(app.store, app.settings, now=app.clock.now()))
    last = await app.store.get_meta("last_dispatch_at")
    upcoming = await app.store.next_due_at()
    out.write(f"\nlast dispatch  {last or 'never'}\n")
    out.write(f"next due       {upcoming.isoformat() if upcoming else 'none scheduled'}\n")
    write_crowds(out, await crowds_ahead(app.store, app.settings, now=app.clock.now()))
    write_processes(
        out,
        await processes_of(
            app.store, now=app.clock.now(), stale_after=app.settings.cluster.leader_lease
        ),
    )
    return 0


def write_processes(out: TextIO, processes: Sequence[ProcessView]) -> None:
    """The processes sharing the database: name, roles, sends in flight, last heartbeat
    (a stale one is marked: it died or lost the database, and its sends are taken over)."""
    if not processes:
        out.write("\nprocesses    none running\n")
        return
    names = [printable(p.name) for p in processes]
    roles = [printable(",".join(p.roles)) or "-" for p in processes]
    width = max(len("name"), *(len(n) for n in names))
    role_width = max(len("roles"), *(len(r) for r in roles))
    out.write(
        f"\nprocesses    {'name':<{width}}  {'roles':<{role_width}}  in flight  last heartbeat\n"
    )
    for process, name, role in zip(processes, names, roles, strict=True):
        ago = format_duration(_rounded(process.silent)) + " ago"
        ago += ", stale" if process.stale else ""
        out.write(
            f"{'':<12} {name:<{width}}  {role:<{role_width}}  {process.in_flight:>9}  "
            f"{process.heartbeat_at.isoformat()} ({ago})\n"
        )


def write_crowds(out: TextIO, forecast: Forecast) -> None:
    """The crowds of the next hours: readers due at one minute on one platform, how early
    they are dispatched, and when the last of them is expected to have the digest,
    relative to their minute (late: more than a minute after it)."""
    if not forecast.crowds:
        out.write(f"\ncrowds       none in the next {forecast.hours}h\n")
        return
    out.write(
        f"\ncrowds       next {forecast.hours}h, UTC\n"
        f"{'':<12} platform  due at             readers  lead      latest arrival\n"
    )
    for crowd in forecast.crowds:
        latest = crowd.latest
        sign = "-" if latest < timedelta(0) else "+"
        arrival = sign + format_duration(_rounded(abs(latest)))
        arrival += "" if crowd.on_time else " (late)"
        lead = format_duration(crowd.lead) if crowd.lead else "-"
        out.write(
            f"{'':<12} {printable(crowd.platform):<9} {crowd.at:%Y-%m-%d %H:%M} "
            f"{crowd.readers:>9}  {lead:<8}  {arrival}\n"
        )
    if forecast.more:
        out.write(f"{'':<12} … {forecast.more} more\n")


def write_signups(out: TextIO, counts: Sequence[SignupCount]) -> None:
    """The chats each subscribe link brought in, per link and source (Telegram only:
    Discord reports an install to nobody, so its sign-ups are its new channels)."""
    if not counts:
        out.write("\nsign-ups     none yet\n")
        return
    width = max(len("link"), *(len(c.link) for c in counts))
    out.write(f"\nsign-ups     {'link':<{width}}  {'source':<16} chats\n")
    for count in counts:
        out.write(
            f"{'':<12} {printable(count.link):<{width}}  "
            f"{printable(count.source) or '-':<16} {count.count:>5}\n"
        )


def write_model(out: TextIO, day: ModelDay) -> None:
    """The model's day so far (UTC): calls, tokens, cache hits, fallbacks by reason and
    the budget left; nothing when no model is configured and none was counted."""
    if not day.shown:
        return
    state = "" if day.enabled else ", model off (LLM_BASE_URL unset)"
    fallbacks = ", ".join(f"{printable(r)} {n:,}" for r, n in day.fallbacks) or "none"
    out.write(
        f"\nmodel        {day.day.isoformat()} (UTC){state}\n"
        f"{'':<12} calls {day.calls:,}, tokens {day.tokens:,} (prompt "
        f"{day.prompt_tokens:,}, completion {day.completion_tokens:,}), "
        f"cache hits {day.cache_hits:,}\n"
        f"{'':<12} budget left {day.budget_left:,} of {day.budget:,} tokens\n"
        f"{'':<12} fallbacks {fallbacks}\n"
    )


def _rounded(silence: timedelta) -> timedelta:
    """Whole minutes once it is an hour or more: '1d2h5m ago', not '1d2h5m17s ago'."""
    if silence < timedelta(hours=1):
        return silence
    return timedelta(minutes=silence // timedelta(minutes=1))


async def cmd_audit(args: argparse.Namespace, app: App, out: TextIO) -> int:
    entries = await app.store.audit_log(args.limit)
    if not entries:
        out.write("no admin actions yet\n")
    for entry in entries:
        # Every field but the time can come from an unauthenticated request (a path, a
        # user name): escaped, so it cannot colour or clear the terminal or forge a line.
        detail = f" — {printable(entry.detail)}" if entry.detail else ""
        if entry.count > 1:  # refusals: one row per actor a minute, counting them
            detail += f" (×{entry.count})"
        out.write(
            f"{entry.at.isoformat()}  {printable(entry.actor):<16} "
            f"{printable(entry.action):<16} {printable(entry.target):<16} "
            f"{printable(entry.outcome)}{detail}\n"
        )
    return 0
