"""Store part for the crowd forecast (``digests.punctuality``): how many digests are due
per minute and platform ahead of ``now``, and what the outbox still holds to send."""

from __future__ import annotations

from digests.store._base import StoreBase


class ForecastStore(StoreBase):
    pass
