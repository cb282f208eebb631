"""Store part for the chat commands' reads and writes done in one round trip each, so a
burst of commands costs as few trips to the database as possible."""

from __future__ import annotations

from digests.store._base import StoreBase


class CommandStore(StoreBase):
    pass
