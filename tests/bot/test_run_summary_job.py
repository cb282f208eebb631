"""The summary worker's job in ``digestbot run`` (bot.runner.summaries): scheduled only when
LLM_BASE_URL is set, run by the leader alone, brought forward after a poll stored articles,
and never in the dispatch path: a model that never answers delays no digest. The app makes
the model and closes it."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path

from bot.run import Runner
from bot.runner.summaries import JOB_ID, SOON, TICK
from bot.wiring import open_app
from digests.ingest.pipeline import PollReport
from digests.llm_settings import LlmSettings
from digests.models import Category, Feed, IngestCounts
from digests.settings import Settings
from digests.store import Store
from digests.summaries.model import Completion, ModelRequest
from digests.timeutil import FakeClock
from tests.builders import add_article, due_reader
from tests.conftest import NOW

LLM = LlmSettings(base_url="http://127.0.0.1:9/v1")  # nothing listens: never called here


class Answering:
    """A Model that answers every request well; ``hold`` makes every call wait for it."""

    def __init__(self, hold: asyncio.Event | None = None) -> None:
        self.hold = hold
        self.requests: list[ModelRequest] = []
        self.closed = False

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        if self.hold is not None:
            await self.hold.wait()
        data = json.loads(request.messages[-1]["content"])
        answer = {"summary": "Several outlets report that the heat pump market grew fast."}
        if data["translate"]:
            answer["title"] = "Heat pumps in brief"
        return Completion(json.dumps(answer), 300, 30, "answering")

    async def close(self) -> None:
        self.closed = True


def settings(tmp_path: Path, llm: LlmSettings | None = None) -> Settings:
    return Settings(database_path=tmp_path / "s.db", llm=llm or LlmSettings())


async def newsroom(store: Store) -> int:
    await store.upsert_category(Category("climate", "Climate"))
    await add_article(store, url="https://cms.example/heat", title="Heat pumps boom", now=NOW)
    return await due_reader(store, "telegram", "555", ["climate"], now=NOW)


def a_feed() -> Feed:
    return Feed(
        1,
        "https://feeds.example/a.xml",
        ("climate",),
        None,
        None,
        timedelta(hours=1),
        0,
        None,
        None,
        0,
        None,
        None,
        None,
        None,
        False,
        None,
    )


async def test_without_a_model_no_job_is_scheduled(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path), clock=FakeClock(NOW)) as app:
        runner = Runner(app, io.StringIO())
        assert app.model() is None and runner.summaries.summarizer is None
        assert runner._scheduler().get_job(JOB_ID) is None
        await runner.roles.step()
        await runner.summaries.run()  # does nothing, raises nothing


async def test_the_leader_alone_runs_the_passes(tmp_path: Path) -> None:
    model = Answering()
    async with open_app(settings(tmp_path, LLM), clock=FakeClock(NOW), model=model) as app:
        await newsroom(app.store)
        runner = Runner(app, io.StringIO())
        job = runner._scheduler().get_job(JOB_ID)
        assert job is not None and job.max_instances == 1
        assert job.trigger.interval == TICK
        await runner.summaries.run()  # not leading yet: no call
        assert model.requests == []
        await runner.roles.step()  # alone on the database: it leads
        await runner.summaries.run()
        assert len(model.requests) == 1  # one story, one language (one English reader)
        assert len(await app.store.glosses(range(1, 10))) == 1
    assert model.closed  # the app closes the model it was given


async def test_a_model_that_never_answers_delays_no_digest(tmp_path: Path) -> None:
    model = Answering(hold=asyncio.Event())
    async with open_app(settings(tmp_path, LLM), clock=FakeClock(NOW), model=model) as app:
        await newsroom(app.store)
        runner = Runner(app, io.StringIO())
        await runner.roles.step()
        stuck = asyncio.create_task(runner.summaries.run())
        while not model.requests:  # the call is under way, and will not end
            await asyncio.sleep(0)
        # A guard against a hang, not a measure of speed: the dispatch awaits no model.
        await asyncio.wait_for(runner.dispatch(), timeout=60)
        assert await app.store.outbox_counts() == {"telegram": {"queued": 1}}
        assert not stuck.done() and runner.summaries.running
        stuck.cancel()
        await asyncio.gather(stuck, return_exceptions=True)
        assert not runner.summaries.running


async def test_a_poll_with_new_articles_brings_the_next_pass_forward(tmp_path: Path) -> None:
    async with open_app(settings(tmp_path, LLM), clock=FakeClock(NOW), model=Answering()) as app:
        runner = Runner(app, io.StringIO())
        scheduler = runner._scheduler()
        scheduler.start(paused=True)
        try:
            job = scheduler.get_job(JOB_ID)
            far = job.next_run_time + timedelta(hours=1)
            job.modify(next_run_time=far)
            logged: list[int] = []
            done = runner.summaries.after_poll(lambda f, r: logged.append(r.counts.new))
            done(a_feed(), PollReport(counts=IngestCounts(new=2)))
            assert scheduler.get_job(JOB_ID).next_run_time == far  # not leading: unchanged
            await runner.roles.step()
            # Becoming the leader brings a pass forward too (a take-over summarises soon).
            assert scheduler.get_job(JOB_ID).next_run_time < far - timedelta(minutes=30)
            scheduler.get_job(JOB_ID).modify(next_run_time=far)
            done(a_feed(), PollReport(counts=IngestCounts(unchanged=5)))
            assert scheduler.get_job(JOB_ID).next_run_time == far  # nothing new: unchanged
            done(a_feed(), PollReport(counts=IngestCounts(new=2)))
            assert scheduler.get_job(JOB_ID).next_run_time < far - timedelta(minutes=30)
            assert logged == [2, 0, 2]  # the poll's own logging still runs every time
        finally:
            scheduler.shutdown(wait=False)
    assert SOON < TICK


async def test_the_app_makes_the_openai_model_and_closes_it(tmp_path: Path) -> None:
    from bot.llm.client import OpenAiModel  # the adapter under test, loaded with openai

    async with open_app(settings(tmp_path, LLM), clock=FakeClock(NOW)) as app:
        model = app.model()
        assert isinstance(model, OpenAiModel)
        assert app.model() is model  # made once
        runner = Runner(app, io.StringIO())
        assert runner.summaries.summarizer is not None
        assert runner.summaries.summarizer.model is model
