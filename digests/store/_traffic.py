"""Store part for what the console's overview reads: messages the platforms accepted and
the 429s they answered, per UTC minute and platform (``send_minutes``)."""

from __future__ import annotations

from digests.store._base import StoreBase


class TrafficStore(StoreBase):
    pass
