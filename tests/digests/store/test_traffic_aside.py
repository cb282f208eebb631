"""The subscribers page's whole-table counts read through a connection of their own on
SQLite, so the writes of the same process (the delivery worker, ingest) never queue
behind them on the writer's connection; on PostgreSQL they use the store's reader."""

from __future__ import annotations

from typing import Any

import pytest

from digests.store import Store
from tests.conftest import NOW


async def _readers(store: Store) -> None:
    for i, (language, zone) in enumerate((("en", "UTC"), ("vi", "Asia/Ho_Chi_Minh"))):
        sub = await store.upsert_subscriber("telegram", str(i), now=NOW)
        await store.subscribe(sub.id, ["climate"], now=NOW)
        await store.update_subscriber(sub.id, language=language, timezone=zone, now=NOW)


async def test_counts_leave_the_writer_connection_alone(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = categorised_store
    await _readers(store)
    calls: list[str] = []
    writer = store._db
    execute = writer.execute

    def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(sql)
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(writer, "execute", counted)
    languages, zones = await store.language_zone_states()
    categories = await store.category_states()
    monkeypatch.undo()
    assert languages == {"en": {"active": 1, "inactive": 0}, "vi": {"active": 1, "inactive": 0}}
    assert zones["Asia/Ho_Chi_Minh"] == {"active": 1, "inactive": 0}
    assert categories["climate"]["active"] == 2
    if store.dialect.name == "sqlite":
        assert calls == []
