"""The bot-wide figures a bot admin asks a chat bot for (``/stats``, ``/news stats``)."""

from __future__ import annotations

from collections.abc import Sequence

from digests.links import SignupCount
from digests.store import Store

# A chat message has room for the links that brought most readers, not for every one.
SIGNUPS_SHOWN = 10


def signups_line(counts: Sequence[SignupCount]) -> str:
    """``sign-ups: ai-frontier 3, Kx7Qm2p (website) 2`` (pure), most first."""
    shown = [
        f"{c.link} ({c.source}) {c.count}" if c.source else f"{c.link} {c.count}"
        for c in counts[:SIGNUPS_SHOWN]
    ]
    if len(counts) > SIGNUPS_SHOWN:
        shown.append(f"… {len(counts) - SIGNUPS_SHOWN} more links")
    return "sign-ups: " + (", ".join(shown) or "none yet")


async def stats_lines(store: Store) -> list[str]:
    """Stored counts, then the outbox by platform and status, then the sign-ups through
    links, one line each."""
    counts = await store.counts()
    outbox = await store.outbox_counts()
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()]
    lines += [
        f"{platform}: " + ", ".join(f"{s} {n}" for s, n in sorted(row.items()))
        for platform, row in sorted(outbox.items())
    ]
    lines.append(signups_line(await store.signup_counts()))
    return lines
