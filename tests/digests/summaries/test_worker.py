"""The summary worker against a real SQLite store and a scripted model (a class that
implements the Model protocol and answers from the request, as a model would): one call per
story and language, none for unchanged input, one more when a source joins, the budget and
the breaker stopping calls, refused answers stored as failed and counted, and never more
calls at once than LLM_CONCURRENCY."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digests.llm_settings import LlmSettings
from digests.settings import Settings
from digests.store import Store
from digests.summaries.breaker import Breaker
from digests.summaries.budget import estimate_tokens
from digests.summaries.model import (
    RATE_LIMITED,
    SERVER_ERROR,
    Completion,
    ModelError,
    ModelRequest,
)
from digests.summaries.worker import MAX_REPORTED, Summarizer
from tests.builders import add_article
from tests.conftest import CATEGORIES

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
PROMPT, ANSWER = 400, 40
TITLES = (
    "Glaciers in the Alps lost a record amount of ice this summer",
    "Central bank holds interest rates steady as inflation slows",
)
SUMMARIES = {
    "en": "Several outlets report that the story developed quickly over the past day.",
    "vi": "Nhiều tờ báo đưa tin sự việc đã diễn biến nhanh chóng trong ngày qua.",
}
TITLE = {"en": "A story in brief", "vi": "Tóm tắt một câu chuyện", "de": "Kurz gesagt"}

# Raise it, answer it, answer what it makes of the request, or (None) answer well.
Step = Exception | str | Callable[[ModelRequest], str] | None


class ScriptedModel:
    """Answers each request well (the summary in the requested language, with a title when
    translating) unless ``script`` says otherwise for that call; counts what it is asked."""

    def __init__(self, *script: Step, always: Step = None, suspend: int = 0) -> None:
        self.script = list(script)
        self.always = always
        self.suspend = suspend  # times to yield to the loop inside a call
        self.requests: list[ModelRequest] = []
        self.in_flight = 0
        self.peak = 0

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(self.suspend):
                await asyncio.sleep(0)
            step = self.script.pop(0) if self.script else self.always
            if isinstance(step, Exception):
                raise step
            if step is None:
                step = good_answer
            text = step if isinstance(step, str) else step(request)
            return Completion(text, PROMPT, ANSWER, "scripted-1")
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        return None

    def asked(self) -> list[tuple[str, tuple[str, ...]]]:
        """(language, article titles) of each request, in order."""
        asked = []
        for request in self.requests:
            data = json.loads(request.messages[-1]["content"])
            asked.append((data["language"], tuple(a["title"] for a in data["articles"])))
        return asked


def good_answer(request: ModelRequest, summary: str | None = None) -> str:
    data = json.loads(request.messages[-1]["content"])
    language = data["language"]
    answer = {"summary": (summary or "{good}").format(good=SUMMARIES.get(language, ""))}
    if data["translate"]:
        answer["title"] = TITLE[language]
    return json.dumps(answer, ensure_ascii=False)


def saying(summary: str) -> Callable[[ModelRequest], str]:
    """An answer of the right shape whose summary is ``summary`` ("{good}" in it: the
    good summary in the requested language)."""
    return lambda request: good_answer(request, summary)


def settings_for(tmp_path: Path, **llm: object) -> Settings:
    fields: dict[str, object] = {"base_url": "http://127.0.0.1:9/v1", **llm}
    return Settings(database_path=tmp_path / "w.db", llm=LlmSettings(**fields))  # type: ignore[arg-type]


async def newsroom(store: Store, *, vi_readers: int = 1, en_readers: int = 3) -> None:
    """Two climate stories, read by English and Vietnamese readers; a markets reader
    whose category has no story."""
    for category in CATEGORIES:
        await store.upsert_category(category)
    readers = [("en", n) for n in range(en_readers)] + [("vi", n) for n in range(vi_readers)]
    for language, n in readers:
        reader = await store.upsert_subscriber(
            "telegram", f"{language}{n}", now=NOW, language=language
        )
        await store.subscribe(reader.id, ["climate"], now=NOW)
    other = await store.upsert_subscriber("discord", "m1", now=NOW, language="en")
    await store.subscribe(other.id, ["markets"], now=NOW)
    for n, title in enumerate(TITLES):
        await add_article(store, url=f"https://desk.example/{n}", title=title, now=NOW)


@pytest.fixture
async def newsroom_store(categorised_store: Store) -> Store:
    await newsroom(categorised_store)
    return categorised_store


def worker(store: Store, model: ScriptedModel, settings: Settings) -> Summarizer:
    # No jitter: back-off pauses are exact (half the full step).
    return Summarizer(store, model, settings, breaker=Breaker(jitter=lambda: 0.0))


async def test_one_call_per_story_and_language_then_none_for_unchanged_input(
    newsroom_store: Store, tmp_path: Path
) -> None:
    store, model = newsroom_store, ScriptedModel()
    summarizer = worker(store, model, settings_for(tmp_path))
    report = await summarizer.run_once(NOW)
    # Two stories × two languages, whatever the number of readers (three read English).
    assert sorted(lang for lang, _ in model.asked()) == ["en", "en", "vi", "vi"]
    assert (report.calls, report.ready, report.planned) == (4, 4, 4)
    assert report.tokens == 4 * (PROMPT + ANSWER)
    states = await store.summary_states(range(1, 100))
    assert {state.status for state in states.values()} == {"ready"}
    glosses = await store.glosses(range(1, 100))
    assert {g.summary for g in glosses.values()} == set(SUMMARIES.values())
    usage = await store.llm_usage(NOW.date())
    assert usage == {"calls": 4, "prompt_tokens": 4 * PROMPT, "completion_tokens": 4 * ANSWER}
    for later in (MINUTE, 7 * timedelta(hours=1)):  # unchanged: never again, however late
        again = await summarizer.run_once(NOW + later)
        assert (again.planned, again.calls) == (0, 0)
    assert len(model.requests) == 4


async def test_one_more_call_when_a_source_joins(newsroom_store: Store, tmp_path: Path) -> None:
    store, model = newsroom_store, ScriptedModel()
    summarizer = worker(store, model, settings_for(tmp_path))
    await summarizer.run_once(NOW)
    later = NOW + 5 * MINUTE
    await add_article(
        store, url="https://wire.example/alps", title=TITLES[0], now=later, source="Wire"
    )
    report = await summarizer.run_once(later + MINUTE)
    assert report.calls == 2  # that story, in each language; the other story: nothing
    joined = model.asked()[4:]
    assert sorted(lang for lang, _ in joined) == ["en", "vi"]
    assert all(len(titles) == 2 for _, titles in joined)  # both sources sent
    assert (await summarizer.run_once(later + 2 * MINUTE)).calls == 0


async def test_the_budget_stops_calls_until_the_next_utc_day(
    newsroom_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, model = newsroom_store, ScriptedModel()
    settings = settings_for(tmp_path, daily_token_budget=100_000)
    await store.add_llm_usage(NOW.date(), {"prompt_tokens": 99_900})  # spent elsewhere
    summarizer = worker(store, model, settings)
    with caplog.at_level(logging.WARNING, logger="digestbot.summaries"):
        first = await summarizer.run_once(NOW)
        second = await summarizer.run_once(NOW + MINUTE)
    assert model.requests == []
    assert (first.skipped_budget, second.skipped_budget) == (4, 4)
    # Counted once per story and language today, not once per pass.
    assert (await store.llm_usage(NOW.date()))["fallback:budget"] == 4
    spent = [r for r in caplog.records if "budget is spent" in r.getMessage()]
    assert len(spent) == 1
    next_day = datetime(2026, 11, 28, 0, 5, tzinfo=UTC)
    report = await summarizer.run_once(next_day)
    assert report.calls == 4 and len(model.requests) == 4


async def test_the_budget_holds_within_one_pass(newsroom_store: Store, tmp_path: Path) -> None:
    store, model = newsroom_store, ScriptedModel(suspend=3)
    probe = worker(store, ScriptedModel(), settings_for(tmp_path))
    await probe.run_once(NOW)  # learn what one call is estimated at, then forget it
    request = probe.model.requests[0]  # type: ignore[attr-defined]
    await store._db.execute("DELETE FROM story_summaries")
    await store._db.commit()
    used = (await store.llm_usage(NOW.date()))["prompt_tokens"] + 4 * ANSWER
    room = estimate_tokens(request) * 2 + 10  # two calls fit, a third does not
    settings = settings_for(tmp_path, daily_token_budget=used + room, concurrency=4)
    report = await worker(store, model, settings).run_once(NOW + MINUTE)
    assert report.calls == 2 and report.skipped_budget == 2


async def test_failures_open_the_breaker_and_are_no_attempts(
    newsroom_store: Store, tmp_path: Path
) -> None:
    store = newsroom_store
    model = ScriptedModel(always=ModelError(SERVER_ERROR, "HTTP 502"))
    summarizer = worker(store, model, settings_for(tmp_path))
    at = NOW
    for _ in range(5):  # a pass a minute: each makes one call, then the back-off pauses
        report = await summarizer.run_once(at)
        assert report.calls == 0 and report.refused == {SERVER_ERROR: 1}
        at += MINUTE
    assert len(model.requests) == 5
    assert summarizer.breaker.state == "open"
    # Opened at the fifth pass, for a minute: half a minute later, no call at all.
    shut = await summarizer.run_once(at - MINUTE / 2)
    assert len(model.requests) == 5 and shut.skipped_breaker == 4
    assert await store.summary_states(range(1, 100)) == {}  # a failed call is no attempt
    usage = await store.llm_usage(NOW.date())
    assert usage["fallback:server_error"] == 5
    assert "calls" not in usage
    model.always = None  # the model is back: the trial call closes the breaker
    for _ in range(3):
        at += MINUTE
        await summarizer.run_once(at)
    assert summarizer.breaker.state == "closed"
    assert len(await store.glosses(range(1, 100))) == 4
    assert len(model.requests) == 9


async def test_retry_after_is_honoured(newsroom_store: Store, tmp_path: Path) -> None:
    store = newsroom_store
    model = ScriptedModel(ModelError(RATE_LIMITED, "HTTP 429", retry_after=150))
    summarizer = worker(store, model, settings_for(tmp_path))
    first = await summarizer.run_once(NOW)
    assert len(model.requests) == 1 and first.skipped_breaker == 3
    for later in (MINUTE, 2 * MINUTE):  # Retry-After: 150 s
        assert (await summarizer.run_once(NOW + later)).skipped_breaker == 4
    assert len(model.requests) == 1
    report = await summarizer.run_once(NOW + 3 * MINUTE)
    assert report.calls == 4 and report.ready == 4
    assert (await store.llm_usage(NOW.date()))["fallback:rate_limited"] == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Sure! Here is the summary you asked for", "invalid_json"),
        ('{"summary": "x", "extra": 1}', "schema"),
        (saying("{good} https://evil.example/x"), "link"),
        (saying("@everyone {good}"), "mention"),
        (saying("Short."), "too_short"),
    ],
)
async def test_refused_answers_are_stored_as_failed_and_counted(
    newsroom_store: Store, tmp_path: Path, answer: Step, reason: str
) -> None:
    store = newsroom_store
    model = ScriptedModel(always=answer)
    summarizer = worker(store, model, settings_for(tmp_path, concurrency=1))
    report = await summarizer.run_once(NOW)
    assert report.calls == 4 and report.ready == 0
    states = await store.summary_states(range(1, 100))
    assert {(s.status, s.attempts) for s in states.values()} == {("failed", 1)}
    assert await store.glosses(range(1, 100)) == {}  # no reader sees it
    usage = await store.llm_usage(NOW.date())
    refused = {k: v for k, v in usage.items() if k.startswith("fallback:")}
    assert refused == {f"fallback:{reason}": 4}
    assert report.refused == {reason: 4}
    # Asked again once, 30 minutes later; then given up.
    assert (await summarizer.run_once(NOW + MINUTE)).calls == 0
    assert (await summarizer.run_once(NOW + 31 * MINUTE)).calls == 4
    assert (await summarizer.run_once(NOW + 90 * MINUTE)).calls == 0
    states = await store.summary_states(range(1, 100))
    assert {(s.status, s.attempts) for s in states.values()} == {("failed", 2)}


@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_never_more_calls_at_once_than_the_setting(
    categorised_store: Store, tmp_path: Path, concurrency: int
) -> None:
    store = categorised_store
    await newsroom(store)
    for n in range(2):
        await add_article(
            store,
            url=f"https://more.example/{n}",
            title=f"Flood warning number {n} issued",
            now=NOW,
        )
    model = ScriptedModel(suspend=5)
    report = await worker(store, model, settings_for(tmp_path, concurrency=concurrency)).run_once(
        NOW
    )
    assert report.calls == 8
    assert model.peak == concurrency


async def test_a_store_fault_ends_the_pass_without_raising(
    newsroom_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, model = newsroom_store, ScriptedModel()
    await store._db.execute("DROP TABLE story_summaries")
    await store._db.commit()
    with caplog.at_level(logging.WARNING, logger="digestbot.summaries"):
        report = await worker(store, model, settings_for(tmp_path)).run_once(NOW)
    assert report.error is not None and "story_summaries" in report.error
    assert model.requests == []
    assert len([r for r in caplog.records if "store failed" in r.getMessage()]) == 1


async def test_an_adapter_bug_and_hostile_usage_do_not_escape(
    newsroom_store: Store, tmp_path: Path
) -> None:
    store = newsroom_store
    model = ScriptedModel(KeyError("choices"), ModelError("\u202egibberish\x00", "?"))
    summarizer = worker(store, model, settings_for(tmp_path, concurrency=1))
    summarizer.breaker = Breaker(jitter=lambda: 0.0)
    report = await summarizer.run_once(NOW)
    assert report.refused == {"error": 1}
    report = await summarizer.run_once(NOW + MINUTE)
    assert report.refused == {"error": 1}  # an unknown reason is counted as an error

    class Hostile(ScriptedModel):
        async def complete(self, request: ModelRequest) -> Completion:
            done = await super().complete(request)
            return replace(done, prompt_tokens=10**5000, completion_tokens=-7)

    summarizer.model = Hostile()
    report = await summarizer.run_once(NOW + 2 * MINUTE)
    # The absurd figure is kept to MAX_REPORTED, which spends the day's budget at once.
    assert (report.ready, report.skipped_budget) == (1, 3)
    assert (report.prompt_tokens, report.completion_tokens) == (MAX_REPORTED, 0)
    usage = await store.llm_usage(NOW.date())
    assert usage["prompt_tokens"] == MAX_REPORTED and "completion_tokens" not in usage


async def test_nothing_to_do_without_readers(categorised_store: Store, tmp_path: Path) -> None:
    store = categorised_store
    await add_article(store, url="https://desk.example/x", title=TITLES[0], now=NOW)
    model = ScriptedModel()
    report = await worker(store, model, settings_for(tmp_path)).run_once(NOW)
    assert (report.planned, len(model.requests)) == (0, 0)


async def test_reader_languages_are_cached_for_minutes(
    newsroom_store: Store, tmp_path: Path
) -> None:
    store, model = newsroom_store, ScriptedModel()
    summarizer = worker(store, model, settings_for(tmp_path))
    await summarizer.run_once(NOW)
    reader = await store.upsert_subscriber("telegram", "de0", now=NOW, language="de")
    await store.subscribe(reader.id, ["climate"], now=NOW)
    assert (await summarizer.run_once(NOW + MINUTE)).calls == 0  # not seen yet
    german = "Mehrere Zeitungen berichten, dass sich die Lage am Tag schnell entwickelte."
    model.always = saying(german)
    report = await summarizer.run_once(NOW + 11 * MINUTE)
    assert sorted(lang for lang, _ in model.asked()[4:]) == ["de", "de"]
    assert report.calls == 2
