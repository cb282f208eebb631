"""The article store: all of digestbot's SQL lives in this package.

``Store`` is one class assembled from parts split by domain. Where new methods go:
categories and feeds in ``_catalog``, articles and stories in ``_articles``, subscribers and
subscriptions in ``_subscribers``, the delivery log in ``_deliveries``, the outbox in
``_outbox``, breaking pushes and the audit log in ``_admin``; schema changes are
new migrations appended to ``_schema.MIGRATIONS``.
"""

from digests.store._admin import AdminStore, AuditEntry, Push, PushBusy
from digests.store._articles import ArticleStore, feed_scope, import_scope
from digests.store._base import NotFound, StoreError
from digests.store._catalog import REMOVED_REASON, CatalogStore
from digests.store._deliveries import DeliveryStore
from digests.store._outbox import BREAKING_PRIORITY, OutboxItem, OutboxStore
from digests.store._subscribers import ForgetReport, SubscriberStore


class Store(CatalogStore, ArticleStore, SubscriberStore, DeliveryStore, OutboxStore, AdminStore):
    """The one store; open it with ``await Store.open(path)`` and close it when done."""


__all__ = [
    "BREAKING_PRIORITY",
    "REMOVED_REASON",
    "AuditEntry",
    "ForgetReport",
    "NotFound",
    "OutboxItem",
    "Push",
    "PushBusy",
    "Store",
    "StoreError",
    "feed_scope",
    "import_scope",
]
