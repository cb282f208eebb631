"""``stats`` and ``audit``: what the store holds and what admins did, read only."""

from __future__ import annotations

import argparse
from typing import TextIO

from bot.wiring import App
from digests.terminal import printable


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
    last = await app.store.get_meta("last_dispatch_at")
    upcoming = await app.store.next_due_at()
    out.write(f"\nlast dispatch  {last or 'never'}\n")
    out.write(f"next due       {upcoming.isoformat() if upcoming else 'none scheduled'}\n")
    return 0


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
