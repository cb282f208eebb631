"""The store keeps its own rule (the ``digests.store`` docstring): each method lives in the
part of its domain, whatever tables it touches. Issue 11 moved the subscriber lifecycle out
of the outbox part and split the article part."""

from __future__ import annotations

import pytest

import digests.store
from digests.ingest import normalise
from digests.store import Store


@pytest.mark.parametrize(
    ("method", "part"),
    [
        ("deactivate", "_subscribers"),
        ("migrate_chat", "_subscribers"),
        ("next_due_at", "_subscribers"),
        ("set_meta", "_subscribers"),
        ("get_meta", "_subscribers"),
        ("inactive_by_platform", "_subscribers"),
        ("enqueue", "_outbox"),
        ("claim", "_outbox"),
        ("complete", "_outcomes"),
        ("give_up", "_outcomes"),
        ("enqueue_push", "_admin"),
        ("store_articles", "_articles"),
        ("group_orphans", "_stories"),
        ("assign_stories", "_stories"),
    ],
)
def test_a_method_lives_in_its_domains_part(method: str, part: str) -> None:
    assert getattr(Store, method).__module__ == f"digests.store.{part}"


def test_the_docstring_names_every_part() -> None:
    doc = digests.store.__doc__ or ""
    for part in ("_catalog", "_articles", "_stories", "_recent", "_subscribers"):
        assert f"``{part}``" in doc
    for part in ("_deliveries", "_outbox", "_outcomes", "_admin", "_base", "_schema"):
        assert f"``{part}" in doc


def test_a_feed_entry_becomes_an_article_in_normalise() -> None:
    assert normalise.entry_to_article.__module__ == "digests.ingest.normalise"
