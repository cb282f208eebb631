"""The article store: all of digestbot's SQL lives in this package.

``Store`` is one class assembled from parts split by domain. Where new methods go:
categories and feeds in ``_catalog`` (the console's per-feed reads and writes, every feed
with its article count, disable, enable, poll now by id, in ``_feed_health``, which
``_catalog`` inherits; the feeds row reader in ``_feed_rows``); storing articles and reading
them for digests in ``_articles``; grouping articles into stories in ``_stories`` (its in-
memory cache of recent stories in ``_recent``); an editor's split and merge of stories in
``_story_edits``; the console's list and word search of stories in ``_story_list``;
subscribers, their lifecycle (deactivation, chat migration) and the schedule status in
``_subscribers`` (a chat's move to a new id, and its record, in ``_migrate``); subscriptions
and the record of who changed a chat in ``_subscriptions``; the delivery log in
``_deliveries``; queueing and claiming outbox entries in ``_outbox`` (what an enqueue writes
in ``_enqueue``); what became of a claimed entry (part sent, sent, retry, given up) in
``_outcomes``; breaking pushes and the audit log in ``_admin``; subscribe links and sign-ups
in ``_links``; Discord announcement channels and their publishes in ``_publishes``;
processes sharing the database (heartbeats, role leases) in ``_processes``; breaking pushes
waiting for confirmation in ``_pending``; the counts the crowd forecast reads in
``_forecast``; reads and writes that answer one chat command in one round trip in
``_commands``; model summaries per story and language, and the model's daily use, in
``_summaries``; the web console's accounts, sessions and log-in throttle in ``_console``;
the messages sent and 429s per minute in ``_traffic``; the audit log read with filters in
``_audit_search``. Helpers shared by the parts are in ``_base``; the seam between the two
engines in ``_engine``; schema changes are new migrations appended to
``_schema.MIGRATIONS``. A method touching several tables goes with the domain whose state it
changes (``deactivate`` cancels outbox entries, but it is a subscriber's lifecycle)."""

from digests.store._admin import AdminStore, AuditEntry, Push, PushBusy, PushRow
from digests.store._articles import ArticleStore, Ingested, feed_scope, import_scope
from digests.store._audit_search import AuditSearchStore
from digests.store._base import NotFound, StoreError
from digests.store._catalog import REMOVED_REASON, CatalogStore
from digests.store._commands import ChatView, CommandStore
from digests.store._console import (
    ConsoleSession,
    ConsoleStore,
    ConsoleUser,
    ConsoleUserExists,
    LastConsoleAdmin,
)
from digests.store._deliveries import DeliveryStore
from digests.store._enqueue import EncodedMessages, OutboxItem
from digests.store._forecast import ForecastStore
from digests.store._links import LinkStore
from digests.store._outbox import BREAKING_PRIORITY, OutboxStore
from digests.store._outcomes import Accepted, OutcomeStore
from digests.store._pending import PendingPushStore
from digests.store._processes import ProcessStore
from digests.store._publishes import PublishStore, Reservation
from digests.store._stories import Grouping
from digests.store._subscribers import ForgetReport, SubscriberStore
from digests.store._subscriptions import SubscriberGone
from digests.store._summaries import SummaryStore
from digests.store._traffic import TrafficStore


class Store(
    CatalogStore,
    ArticleStore,
    SubscriberStore,
    DeliveryStore,
    OutboxStore,
    OutcomeStore,
    AdminStore,
    LinkStore,
    PublishStore,
    ProcessStore,
    PendingPushStore,
    ForecastStore,
    CommandStore,
    SummaryStore,
    ConsoleStore,
    TrafficStore,
    AuditSearchStore,
):
    """The one store; open it with ``await Store.open(path)`` (a SQLite file, or a
    ``digests.dburl.PostgresUrl``) and close it when done."""


__all__ = [
    "BREAKING_PRIORITY",
    "REMOVED_REASON",
    "Accepted",
    "AuditEntry",
    "ChatView",
    "ConsoleSession",
    "ConsoleUser",
    "ConsoleUserExists",
    "EncodedMessages",
    "ForgetReport",
    "Grouping",
    "Ingested",
    "LastConsoleAdmin",
    "NotFound",
    "OutboxItem",
    "Push",
    "PushBusy",
    "PushRow",
    "Reservation",
    "Store",
    "StoreError",
    "SubscriberGone",
    "feed_scope",
    "import_scope",
]
