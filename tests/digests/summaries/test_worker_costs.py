"""What the worker spends: a request the endpoint always refuses is not sent every pass,
and tokens paid for are counted even when saving the answer fails (the budget reads the
counters), so a (story, language) costs a bounded few calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.store import Store, StoreError
from digests.summaries.model import REFUSED, ModelError, ModelRequest
from digests.summaries.plan import REFRESH, RETRY
from tests.digests.summaries.test_worker import (
    ANSWER,
    MINUTE,
    NOW,
    PROMPT,
    TITLES,
    ScriptedModel,
    good_answer,
    newsroom_store,  # noqa: F401 (fixture)
    settings_for,
    worker,
)


def refusing_the_first_story(request: ModelRequest) -> str:
    """The endpoint refuses the first story's request every time (a content filter's 400,
    a context-length 400) and answers the others."""
    if TITLES[0] in request.messages[-1]["content"]:
        raise ModelError(REFUSED, "HTTP 400: the prompt was filtered (content_filter)")
    return good_answer(request)


def asked_for_the_first_story(model: ScriptedModel) -> int:
    return sum(TITLES[0] in r.messages[-1]["content"] for r in model.requests)


async def test_a_request_the_endpoint_always_refuses_is_not_sent_every_minute(
    newsroom_store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    store, model = newsroom_store, ScriptedModel(always=refusing_the_first_story)
    summarizer = worker(store, model, settings_for(tmp_path))
    for minute in range(60):  # an hour of passes, one a minute
        await summarizer.run_once(NOW + minute * MINUTE)
    # Two reader languages, each asked at 0 and after RETRY (30 minutes); not every minute.
    assert asked_for_the_first_story(model) == 4


async def test_a_refused_request_is_asked_again_after_the_retry_delay(
    newsroom_store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    store, model = newsroom_store, ScriptedModel(always=refusing_the_first_story)
    summarizer = worker(store, model, settings_for(tmp_path))
    await summarizer.run_once(NOW)
    first = asked_for_the_first_story(model)
    await summarizer.run_once(NOW + MINUTE)
    assert asked_for_the_first_story(model) == first
    await summarizer.run_once(NOW + RETRY)
    second = asked_for_the_first_story(model)
    assert second > first
    await summarizer.run_once(NOW + RETRY + RETRY)  # the wait doubled: not yet
    assert asked_for_the_first_story(model) == second
    await summarizer.run_once(NOW + RETRY + 2 * RETRY)
    third = asked_for_the_first_story(model)
    assert third > second
    # Never given up for good (a quota or key refusal ends); at most every REFRESH.
    later = NOW + 3 * RETRY
    for _ in range(12):
        later += REFRESH
        await summarizer.run_once(later)
    assert asked_for_the_first_story(model) > third


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
