"""Store part for breaking pushes previewed in a chat and waiting for their admin's
confirmation, kept in the database so that any process, and a restarted one, can take them.

(Filled in by the issue 12 work.)
"""

from __future__ import annotations

from digests.store._base import StoreBase


class PendingPushStore(StoreBase):
    """Previewed pushes by the token their confirm button carries."""
