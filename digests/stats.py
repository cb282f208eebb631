"""The bot-wide figures a bot admin asks a chat bot for (``/stats``, ``/news stats``)."""

from __future__ import annotations

from digests.store import Store


async def stats_lines(store: Store) -> list[str]:
    """Stored counts, then the outbox by platform and status, one line each."""
    counts = await store.counts()
    outbox = await store.outbox_counts()
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()]
    lines += [
        f"{platform}: " + ", ".join(f"{s} {n}" for s, n in sorted(row.items()))
        for platform, row in sorted(outbox.items())
    ]
    return lines
