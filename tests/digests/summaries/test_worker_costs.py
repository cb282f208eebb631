"""What the worker spends: tokens paid for are counted even when saving the answer fails
(the budget reads the counters), so a (story, language) costs a bounded few calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.store import Store, StoreError
from tests.digests.summaries.test_worker import (
    ANSWER,
    MINUTE,
    NOW,
    PROMPT,
    ScriptedModel,
    newsroom_store,  # noqa: F401 (fixture)
    settings_for,
    worker,
)


async def test_tokens_paid_for_are_counted_even_when_saving_the_answer_fails(
    newsroom_store: Store,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The endpoint answered (and billed); the store then fails to save (SQLite busy
    under a dispatch, a lost PostgreSQL connection). The day's budget must still see the
    tokens, or each pass that fails this way calls again for free as far as it knows."""
    store, model = newsroom_store, ScriptedModel()
    summarizer = worker(store, model, settings_for(tmp_path, concurrency=1))

    async def broken(record: object) -> None:
        raise StoreError("database is locked")

    monkeypatch.setattr(store, "save_summary", broken)
    for minute in range(3):
        await summarizer.run_once(NOW + minute * MINUTE)
    usage = await store.llm_usage(NOW.date())
    assert model.requests
    paid = len(model.requests) * (PROMPT + ANSWER)
    assert usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0) == paid
    assert usage.get("calls") == len(model.requests)
