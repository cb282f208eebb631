"""executemany of an INSERT ... VALUES on PostgreSQL goes as multi-row INSERTs: the same
rows, the same conflicts skipped, as one execution per row on SQLite."""

from __future__ import annotations

import pytest

from digests.store import Store
from digests.store._pg import MULTI_ROW, multi_row


def test_rows_go_in_parts_of_at_most_multi_row_with_few_statement_shapes() -> None:
    sql = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING"
    rows = [(str(i), "v") for i in range(1000)]
    batches = multi_row(sql, rows)
    sizes = [len(args) // 2 for _text, args in batches]
    assert sum(sizes) == 1000 and max(sizes) == MULTI_ROW
    assert all(size & (size - 1) == 0 for size in sizes)  # powers of two: few shapes
    assert [a for _text, args in batches for a in args] == [v for row in rows for v in row]
    assert batches[0][0].endswith("ON CONFLICT DO NOTHING")


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        "INSERT INTO meta (key, value) VALUES (?, CAST(? AS TEXT))",
        "UPDATE meta SET value = ? WHERE key = ?",
    ],
)
def test_other_statements_stay_one_execution_per_row(sql: str) -> None:
    assert multi_row(sql, [("a", "1"), ("b", "2")]) == []


async def test_a_large_executemany_keeps_every_row_and_skips_conflicts(store: Store) -> None:
    rows = [(f"k{i % 700}", str(i)) for i in range(1500)]  # 800 repeat an earlier key
    async with store._transaction() as db:
        await db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", rows
        )
    count = await store._fetchone("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'")
    assert count is not None and int(count[0]) == 700
    assert await store.get_meta("k5") == "5"  # the first of each key is the one kept
