"""Digests on time for crowds: when to start sending the readers due at one minute.

Placeholder until the forecast lands (issue 13): no crowd is started early.
"""

from __future__ import annotations

from datetime import datetime

from digests.settings import Settings
from digests.store import Store


async def start_early(store: Store, settings: Settings, *, now: datetime) -> dict[str, datetime]:
    """Per platform, the latest due instant whose readers must be dispatched at ``now``
    so that the last of each crowd still gets the digest by its minute."""
    return {}
