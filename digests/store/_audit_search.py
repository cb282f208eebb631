"""Store part for reading the audit log as the console's audit page filters it (by actor,
action and date). Writing audit rows stays in ``_admin``."""

from __future__ import annotations

from digests.store._base import StoreBase


class AuditSearchStore(StoreBase):
    pass
