"""The background summary worker: one pass finds the recent stories whose summary is missing
or whose sources changed, and asks the model for each (story, language) some reader reads.

Work is per story and language, never per reader. It runs on the leader, outside the
dispatch path: a digest shows whatever is ready, so a slow or dead model delays nothing.
Each job: breaker and budget gate → ``build_request`` → ``Model.complete`` →
``check_output`` → ``save_summary`` (ready, or failed with the check's reason) → the day's
counters (``llm_usage``). A call that brought no answer (``ModelError``) is counted as
``fallback:<reason>`` and feeds the breaker, and is no attempt: nothing is stored, the next
pass plans it again. A pair kept from the model by the budget or the open breaker is
counted (``fallback:budget``, ``fallback:breaker_open``) once per UTC day, however many
passes skip it, so the counters read "summaries that waited today". ``calls`` counts the
calls the model answered (failed ones are in their fallback counters).

``run_once`` never raises for a model or an input problem (one log line); a store error
ends the pass (one log line) and the next pass starts over.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from digests.assemble import Story
from digests.compose import load_pool
from digests.language import detector_loaded, load_detector
from digests.models import SummaryRecord
from digests.settings import Settings
from digests.store import Store, StoreError
from digests.summaries.breaker import OPEN, Breaker
from digests.summaries.budget import Budget, estimate_tokens
from digests.summaries.check import Checked, check_output
from digests.summaries.inputs import SummaryInput, story_input
from digests.summaries.model import (
    CALL_FAILURES,
    REFUSED,
    Completion,
    Model,
    ModelError,
    ModelRequest,
)
from digests.summaries.plan import MAX_JOBS, REFRESH, RETRY, plan_jobs
from digests.summaries.prompt import build_request

log = logging.getLogger("digestbot.summaries")
# The model's name as stored (what the endpoint reported, cut).
MAX_MODEL_NAME = 200

# summary_languages scans the subscribers: read again at most this often.
LANGUAGES_TTL = timedelta(minutes=10)
MAX_TOKENS = 300  # the answer's cap: two sentences of 300 characters and a title fit
MAX_REPORTED = 10_000_000  # tokens one call can report: a hostile figure stays storable
STORE_ERRORS = (StoreError, sqlite3.Error, OSError)
BUDGET = "budget"
BREAKER_OPEN = "breaker_open"
ERROR = "error"  # the model adapter raised something else than ModelError (a bug)


@dataclass
class SummaryReport:
    """What one pass did. ``refused`` counts by reason: the checks' refusals of answers
    and the calls that brought none (``digests.summaries.model``'s reasons)."""

    planned: int = 0
    calls: int = 0
    ready: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    skipped_budget: int = 0
    skipped_breaker: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # the store error that ended the pass
    last_failure: str | None = None  # the last failed call's error, for the log line

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _safe_input(story: Story, language: str) -> SummaryInput | None:
    try:
        return story_input(story, language)
    except Exception as exc:  # one odd story must not stop the others' summaries
        log.warning("summaries: story %d left out: %s", story.story_id, _one_line(exc))
        return None


class Summarizer:
    """Runs passes; holds what lasts between them (breaker, budget, caches)."""

    def __init__(
        self,
        store: Store,
        model: Model,
        settings: Settings,
        *,
        breaker: Breaker | None = None,
        limit: int = MAX_JOBS,
    ) -> None:
        self.store = store
        self.model = model
        self.settings = settings
        self.limit = limit
        self.breaker = breaker or Breaker()
        self.budget = Budget(settings.llm.daily_token_budget)
        self._languages: dict[str, frozenset[str]] | None = None
        self._languages_at: datetime | None = None
        self._waited: set[tuple[str, int, str]] = set()  # (reason, story, language) today
        self._waited_day: date | None = None
        # Inputs the endpoint refused (a 400 for this request: content filter, context
        # length): (story, language, input hash) → (refusals, not before). A refusal is no
        # attempt (nothing is stored), so without this the next pass asks again, every
        # minute. Asked again after RETRY, doubling up to REFRESH, never given up for good:
        # REFUSED also names account-wide refusals (quota, a wrong key) that end. In
        # memory on purpose: those must not burn every story's stored attempts.
        self._refused: dict[tuple[int, str, str], tuple[int, datetime]] = {}

    async def run_once(self, now: datetime) -> SummaryReport:
        """One pass at ``now``: plan, then run the jobs, at most LLM_CONCURRENCY at once."""
        report = SummaryReport()
        try:
            jobs = await self._plan(now)
            report.planned = len(jobs)
            if jobs:
                await self._run(jobs, now, report)
        except STORE_ERRORS as exc:
            report.error = _one_line(exc)
            log.warning("summaries: the store failed, the pass ends: %s", report.error)
        _log_pass(report)
        return report

    async def _plan(self, now: datetime) -> list[SummaryInput]:
        languages = await self._reader_languages(now)
        categories = sorted(slug for slug, found in languages.items() if found)
        if not categories:
            return []
        pool = await load_pool(self.store, categories, now=now, limits=self.settings.digest)
        stories = [story for stories in pool.by_category.values() for story in stories]
        if not stories:
            return []
        if not detector_loaded():
            # The inputs and the checks guess languages; the identifier takes seconds to
            # load, which on the loop would hold up every dispatch tick of the process.
            await asyncio.to_thread(load_detector)
        states = await self.store.summary_states(sorted({s.story_id for s in stories}))
        self.budget.start(now.date(), await self.store.llm_usage(now.date()))
        if self._waited_day != now.date():
            self._waited_day = now.date()
            self._waited.clear()
        return plan_jobs(
            stories,
            languages,
            states,
            now,
            limit=self.limit,
            make_input=lambda story, language: self._unless_refused(story, language, now),
        )

    def _unless_refused(self, story: Story, language: str, now: datetime) -> SummaryInput | None:
        made = _safe_input(story, language)
        if made is None:
            return None
        held = self._refused.get((made.story_id, made.language, made.input_hash))
        if held is not None and now < held[1]:
            return None
        return made

    def _hold(self, job: SummaryInput, now: datetime) -> None:
        """The endpoint refused ``job``'s request: not again before RETRY, doubling each
        time up to REFRESH."""
        if len(self._refused) > 10_000:  # stories age out of the pool; so does this
            self._refused.clear()
        key = (job.story_id, job.language, job.input_hash)
        count = self._refused.get(key, (0, now))[0] + 1
        self._refused[key] = (count, now + min(RETRY * 2 ** min(count - 1, 8), REFRESH))

    async def _reader_languages(self, now: datetime) -> dict[str, frozenset[str]]:
        at = self._languages_at
        if self._languages is None or at is None or not at <= now < at + LANGUAGES_TTL:
            self._languages = await self.store.summary_languages()
            self._languages_at = now
        return self._languages

    async def _run(self, jobs: list[SummaryInput], now: datetime, report: SummaryReport) -> None:
        slots = asyncio.Semaphore(self.settings.llm.concurrency)
        waited: Counter[str] = Counter()

        async def one(job: SummaryInput) -> None:
            async with slots:
                if report.error is not None:  # the store failed: start no more calls
                    return
                try:
                    await self._job(job, now, report, waited)
                except STORE_ERRORS as exc:
                    report.error = report.error or _one_line(exc)
                    raise

        results = await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)
        for result in results:  # a store error ends the pass once all jobs have stopped
            if isinstance(result, BaseException):
                raise result
        if waited:
            await self.store.add_llm_usage(
                now.date(), {f"fallback:{k}": n for k, n in waited.items()}
            )

    async def _job(
        self, job: SummaryInput, now: datetime, report: SummaryReport, waited: Counter[str]
    ) -> None:
        try:
            request = build_request(job, max_tokens=MAX_TOKENS)
        except Exception as exc:  # an input the prompt cannot take: skipped, not a crash
            log.warning("summaries: story %d left out: %s", job.story_id, _one_line(exc))
            return
        if not self.breaker.allow(now):
            report.skipped_breaker += 1
            self._wait(BREAKER_OPEN, job, waited)
            return
        estimate = estimate_tokens(request)
        if not self.budget.reserve(estimate):
            self.breaker.cancel()
            report.skipped_budget += 1
            self._wait(BUDGET, job, waited)
            if self.budget.exhausted():
                log.warning(
                    "summaries: the day's token budget is spent (%d of %d used); digests "
                    "show the sources' own summaries until the next UTC day",
                    self.budget.used,
                    self.budget.limit,
                )
            return
        completion = await self._call(request, now, report)
        if isinstance(completion, str):
            self.budget.release(estimate)
            if completion == REFUSED:
                self._hold(job, now)
            return
        prompt, answer = _tokens(completion.prompt_tokens), _tokens(completion.completion_tokens)
        self.budget.settle(estimate, prompt, answer)
        self.breaker.succeeded()
        await self._answered(job, completion, (prompt, answer), now, report)

    def _wait(self, reason: str, job: SummaryInput, waited: Counter[str]) -> None:
        key = (reason, job.story_id, job.language)
        if key not in self._waited:
            self._waited.add(key)
            waited[reason] += 1

    async def _call(
        self, request: ModelRequest, now: datetime, report: SummaryReport
    ) -> Completion | str:
        """The model's answer, or the failure's reason (counted, fed to the breaker) when
        it brought none."""
        try:
            return await self.model.complete(request)
        except ModelError as exc:
            reason = exc.reason if exc.reason in CALL_FAILURES else ERROR
            retry_after, detail = exc.retry_after, _one_line(exc)
        except Exception as exc:  # the adapter's bug must not end the pass
            reason, retry_after, detail = ERROR, None, _one_line(exc)
        was_open = self.breaker.state == OPEN
        self.breaker.failed(now, reason, retry_after)
        report.refused[reason] += 1
        report.last_failure = detail
        if self.breaker.state == OPEN and not was_open:
            log.warning(
                "summaries: model calls paused until %s after %d failures in a row (last: %s)",
                self.breaker.open_until,
                self.breaker.failures,
                detail,
            )
        await self.store.add_llm_usage(now.date(), {f"fallback:{reason}": 1})
        return reason

    async def _answered(
        self,
        job: SummaryInput,
        completion: Completion,
        tokens: tuple[int, int],
        now: datetime,
        report: SummaryReport,
    ) -> None:
        """Check the answer, store it (ready or failed) and count it."""
        prompt, answer = tokens
        checked = _check(completion.text, job)
        counts = {"calls": 1, "prompt_tokens": prompt, "completion_tokens": answer}
        report.calls += 1
        report.prompt_tokens += prompt
        report.completion_tokens += answer
        if checked.ok:
            report.ready += 1
        else:
            report.refused[checked.reason or "invalid"] += 1
            counts[f"fallback:{checked.reason or 'invalid'}"] = 1
        # Counted before the save: the endpoint billed the call whether or not the store
        # then keeps its answer, and the budget reads these counters.
        await self.store.add_llm_usage(now.date(), counts)
        model = completion.model or self.settings.llm.model
        await self.store.save_summary(record_of(job, checked, now, model, tokens))


def record_of(
    job: SummaryInput,
    checked: Checked,
    now: datetime,
    model: str,
    tokens: tuple[int, int],
) -> SummaryRecord:
    """What the store keeps of one answered call (ready, or failed with its reason); the
    worker and ``digestbot summarize --save`` both store this."""
    return SummaryRecord(
        story_id=job.story_id,
        language=job.language,
        input_hash=job.input_hash,
        article_ids=job.article_ids,
        status="ready" if checked.ok else "failed",
        at=now,
        summary=checked.summary if checked.ok else None,
        title=checked.title if checked.ok else None,
        translated=job.translate,
        model=model[:MAX_MODEL_NAME],
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        reason=None if checked.ok else checked.reason,
    )


def _tokens(reported: int) -> int:
    """A usage figure as the API reported it, kept to what one call can cost."""
    return min(max(0, int(reported)), MAX_REPORTED)


def _check(text: str, job: SummaryInput) -> Checked:
    try:
        return check_output(text, job)
    except Exception as exc:  # a checker's bug refuses the answer; it never reaches a reader
        log.warning("summaries: checking story %d failed: %s", job.story_id, _one_line(exc))
        return Checked(False, "invalid", None, None, ())


def _log_pass(report: SummaryReport) -> None:
    if not (report.calls or report.refused):
        return  # a quiet pass (nothing to do, or everything waiting) logs nothing
    log.info(
        "summaries: %d planned, %d calls, %d ready, refused %s, %d waited for the budget, "
        "%d for the breaker, %d tokens%s",
        report.planned,
        report.calls,
        report.ready,
        dict(sorted(report.refused.items())) or "none",
        report.skipped_budget,
        report.skipped_breaker,
        report.tokens,
        f"; last failure: {report.last_failure}" if report.last_failure else "",
    )
