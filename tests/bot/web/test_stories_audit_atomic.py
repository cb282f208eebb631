"""A console edit and its audit row are two transactions. When the disk
fills (or the write lock times out) between them, the edit stays done, the editor sees
"Something went wrong" (500) and the audit log never hears of it."""

from __future__ import annotations

import httpx

from tests.bot.web.conftest import csrf_of
from tests.bot.web.test_stories import put, store_of, story


async def test_a_merge_is_audited_or_not_done_when_the_disk_fills(
    editor: httpx.AsyncClient,
) -> None:
    store = store_of(editor)
    a = await story(
        store, await put(store, 1, "Ferry capsizes"), await put(store, 2, "Ferry sinks")
    )
    b = await story(store, await put(store, 3, "Ferry disaster toll rises"))
    token = csrf_of((await editor.get("/console/stories")).text)
    # The disk fills as the audit row is written (any write after the edit's own).
    await store._db.execute(
        """CREATE TEMP TRIGGER full BEFORE INSERT ON audit WHEN NEW.outcome = 'ok'
           BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"""
    )
    answer = await editor.post(
        "/console/stories/merge", data={"csrf": token, "story": str(a), "other": str(b)}
    )
    await store._db.execute("DROP TRIGGER temp.full")
    assert answer.status_code >= 400
    still = await store._fetchone("SELECT COUNT(*) FROM stories WHERE id IN (?, ?)", (a, b))
    logged = [e for e in await store.audit_log() if e.action == "story-merge"]
    # Either nothing was changed (both stories stand) or the change is in the audit log.
    assert still[0] == 2 or logged, "the merge was done, a 500 shown, and nothing audited"
