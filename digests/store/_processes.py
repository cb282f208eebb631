"""Store part for processes sharing one database: heartbeats and run-once roles (leases).

(Filled in by the issue 12 work: see ProcessStore's methods.)
"""

from __future__ import annotations

from digests.store._base import StoreBase


class ProcessStore(StoreBase):
    """Heartbeat rows of the running processes, and the role leases they hold."""
