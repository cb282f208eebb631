"""Benchmark: a day of model summaries (calls, tokens) and the dispatch with them ready.

Usage: python -m bench.summaries [--readers N] [--stories N] [--categories N]
                                 [--joined SHARE] [--vietnamese SHARE] [--budget TOKENS]
                                 [--rounds N] [--profile]

``--readers`` (default 100,000), ``--vietnamese`` of them (0.4) reading Vietnamese and
the others English, each subscribed to 1–3 of ``--categories`` (5), all due at 23:30 UTC.
``--stories`` (300) English stories arrive over a simulated day (fake clock, one CMS
import an hour); ``--joined`` of them (0.3) get a second outlet's report 1–4 hours later,
a third of those a third one later still (a source joins). After each batch the real
``Summarizer.run_once`` calls the real ``OpenAiModel`` (official ``openai`` client) over
HTTP to the fake OpenAI-compatible server (``tests.fakes.openai_api``) on 127.0.0.1.
Printed: the calls the fake received against the bound "one per story and language, plus
one per language each time a source joins", tokens (the fake's count, characters/4) and
the day's ``llm_usage``. Then the digests due at 23:30 are dispatched from copies of that
SQLite database, each in a fresh process, with the model on (summaries ready) and off
(today's path), interleaved off/on/on/off (``--rounds 2``) after a warm-up, best kept.
Goal: with summaries within 10 % of without. ``--profile``: cProfile of one more dispatch
with summaries, and the summaries' own part of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import multiprocessing
import pstats
import random
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import add_categories, insert_subscribers, options, scratch
from bench.dispatch import cpu_seconds
from bot.llm.client import OpenAiModel
from digests.dispatch import dispatch_due
from digests.ingest.importer import import_records
from digests.llm_settings import LlmSettings
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from digests.summaries.worker import Summarizer
from digests.timeutil import to_db
from tests.fakes.openai_api import serving

DAY = datetime(2026, 11, 27, tzinfo=UTC)  # the simulated day's midnight (UTC)
DISPATCH = DAY + timedelta(hours=23, minutes=30)  # every reader's digest minute
NAMED = ["world", "business", "technology", "science", "sport"]
STORY_WINDOW = timedelta(hours=48)
INSERT_CHUNK = 50_000
# Headline words in five slots of prime sizes: story i takes word i mod size in each, so
# two stories of fewer than 31*37*41 share at most two slots and never cluster by chance.
SUBJECTS = (
    "farmers teachers doctors engineers regulators investors workers students researchers "
    "nurses drivers pilots miners bankers judges voters scientists officials lawmakers unions "
    "retailers airlines fishermen builders artists athletes coaches mayors ministers police "
    "firefighters tenants landlords exporters growers designers brewers bakers sailors "
    "plumbers economists"
).split()[:41]
VERBS = (
    "approve reject delay expand question support oppose review cancel announce welcome "
    "criticise extend launch debate fund pause revise test defend challenge adopt block "
    "praise propose finish restart limit double cut raise"
).split()[:31]
OBJECTS = (
    "budget bridge railway harbour vaccine reform tariff pension school airport stadium "
    "pipeline satellite museum festival highway subsidy contract merger election curriculum "
    "clinic tunnel reservoir library factory ferry canal orchard vineyard telescope "
    "laboratory dam market park mine tramway lighthouse greenhouse seawall wetland warehouse "
    "observatory"
).split()[:43]
TOPICS = (
    "drought flooding protests inflation shortages heatwave strikes layoffs wildfires "
    "earthquake landslide blackout recession fraud scandal lawsuit audit boycott "
    "epidemic famine hurricane typhoon snowstorm cyclone tsunami eruption outage deficit "
    "backlash rumours riots complaints setbacks surplus demand tourism migration pollution "
    "congestion erosion corruption shortfall smog unrest sanctions vandalism gridlock"
).split()[:47]
PLACES = (
    "Hanoi Lisbon Nairobi Oslo Lima Quito Dakar Perth Osaka Kyiv Tbilisi Porto Leeds Lyon "
    "Turin Krakow Accra Cebu Hue Medan Tunis Rabat Cusco Gdansk Bergen Aarhus Malmo Basel "
    "Graz Split Riga Tartu Vilnius Sofia Varna Izmir Haifa"
).split()[:37]


def headline(story: int, source: int) -> tuple[str, str]:
    """The title and summary outlet ``source`` (0, 1, 2) gives story ``story``: the same
    significant words each time, worded differently, so ingest groups them into one story."""
    who = SUBJECTS[story % len(SUBJECTS)]
    verb = VERBS[story % len(VERBS)]
    what = OBJECTS[story % len(OBJECTS)]
    why = TOPICS[story % len(TOPICS)]
    where = PLACES[story % len(PLACES)]
    titles = (
        f"{who.capitalize()} in {where} {verb} {what} over {why}",
        f"{where}: {who} {verb} {what} after {why}",
        f"Over {why}, {who} in {where} {verb} {what}",
    )
    summary = (
        f"The {who} of {where} {verb} the {what} as the {why} weighs on the region. "
        "Officials expect a final decision within weeks."
    )
    return titles[source], summary


def day_plan(stories: int, joined: float, rng: random.Random) -> dict[int, list[tuple[int, int]]]:
    """(story, source) reports by hour of the day: the stories spread over 24 hours; a
    share ``joined`` of those with hours left get a second source 1–4 hours later, a third
    of those a third source later still."""
    plan: dict[int, list[tuple[int, int]]] = {hour: [] for hour in range(24)}
    for story in range(stories):
        hour = story * 24 // stories
        plan[hour].append((story, 0))
        if hour < 23 and rng.random() < joined:
            second = min(23, hour + rng.randint(1, 4))
            plan[second].append((story, 1))
            if second < 23 and rng.random() < 1 / 3:
                plan[min(23, second + rng.randint(1, 4))].append((story, 2))
    return plan


def category_slugs(count: int) -> list[str]:
    """``count`` category slugs: five named ones, then numbered topics."""
    return [*NAMED, *(f"topic-{i:02d}" for i in range(len(NAMED), count))][:count]


def record(story: int, source: int, hour: int, slugs: list[str]) -> dict[str, str]:
    title, summary = headline(story, source)
    published = DAY + timedelta(hours=hour) - timedelta(minutes=5 + source)
    return {
        "url": f"https://outlet{source}.example/{story}",
        "title": title,
        "summary": summary,
        "category": slugs[story % len(slugs)],
        "source": f"Outlet {source}",
        "published_at": published.isoformat(),
        "language": "en",
    }


def reader_rows(
    count: int, vietnamese: float, slugs: list[str], rng: random.Random
) -> tuple[list[dict[str, object]], list[tuple[int, str]]]:
    """Reader rows (all due at DISPATCH) and their 1–3 subscriptions each."""
    rows: list[dict[str, object]] = []
    subscriptions: list[tuple[int, str]] = []
    for i in range(1, count + 1):
        rows.append(
            {
                "id": i,
                "platform": "telegram",
                "chat_id": str(i),
                "language": "vi" if rng.random() < vietnamese else "en",
                "timezone": "UTC",
                "digest_time": DISPATCH.strftime("%H:%M"),
                "next_digest_at": to_db(DISPATCH),
            }
        )
        subscriptions.extend((i, c) for c in sorted(rng.sample(slugs, rng.randint(1, 3))))
    return rows, subscriptions


async def add_readers(store: Store, args: Any) -> Counter[str]:
    """Store the readers; return how many read each language."""
    slugs = category_slugs(args.categories)
    rows, subscriptions = reader_rows(args.readers, args.vietnamese, slugs, random.Random(14))
    await add_categories(store, slugs)
    for start in range(0, len(rows), INSERT_CHUNK):
        part = rows[start : start + INSERT_CHUNK]
        first, last = part[0]["id"], part[-1]["id"]
        mine = [s for s in subscriptions if first <= s[0] <= last]  # type: ignore[operator]
        await insert_subscribers(store, part, now=DAY, subscriptions=mine)
    return Counter(str(row["language"]) for row in rows)


async def article_counts(store: Store) -> dict[int, int]:
    rows = await store._fetchall(
        "SELECT story_id, COUNT(*) AS n FROM articles WHERE story_id IS NOT NULL GROUP BY story_id"
    )
    return {int(r["story_id"]): int(r["n"]) for r in rows}


async def import_hour(
    store: Store, hour: int, reports: list[tuple[int, int]], slugs: list[str]
) -> int:
    """Import one hour's reports; return how many joined a story stored before."""
    before = await article_counts(store)
    numbered = [(n, record(s, src, hour, slugs)) for n, (s, src) in enumerate(reports)]
    now = DAY + timedelta(hours=hour)
    await import_records(store, numbered, now=now, story_window=STORY_WINDOW)
    after = await article_counts(store)
    return sum(after[i] - n for i, n in before.items() if after.get(i, 0) > n)


async def simulate_day(db: Path, args: Any, base_url: str) -> dict[str, Any]:
    """Import the day's batches hour by hour, running the summary worker after each;
    return what the figures need."""
    store = await Store.open(db)
    languages = await add_readers(store, args)
    llm = LlmSettings(base_url=base_url, model="fake-model", daily_token_budget=args.budget)
    summarizer = Summarizer(store, OpenAiModel(llm), Settings(database_path=db, llm=llm))
    plan = day_plan(args.stories, args.joined, random.Random(27))
    joins = passes = 0
    started = time.perf_counter()
    for hour, reports in plan.items():
        now = DAY + timedelta(hours=hour)
        joins += await import_hour(store, hour, reports, category_slugs(args.categories))
        while True:  # a pass takes at most summarizer.limit jobs: run until none is left
            report = await summarizer.run_once(now)
            passes += 1
            if report.planned < summarizer.limit or report.error:
                break
    elapsed = time.perf_counter() - started  # the day's imports and model calls
    await summarizer.model.close()
    counts = await article_counts(store)
    usage = await store.llm_usage(DAY.date())
    ready = "SELECT COUNT(*) FROM story_summaries WHERE status = 'ready'"
    pairs = (await store._fetchone(ready))[0]
    await store.close()
    return {
        "languages": languages,
        "stories": len(counts),
        "articles": sum(counts.values()),
        "joins": joins,
        "passes": passes,
        "usage": usage,
        "ready": pairs,
        "seconds": elapsed,
    }


async def _dispatch(db: Path, with_model: bool, profile: bool) -> dict[str, Any]:
    # A model that is configured but never called: the dispatcher only reads what is stored.
    llm = LlmSettings(base_url="http://127.0.0.1:9/v1") if with_model else LlmSettings()
    settings = Settings(database_path=db, llm=llm)
    store = await Store.open(db)
    profiler = cProfile.Profile() if profile else None
    cpu, started = cpu_seconds(), time.perf_counter()
    with profiler or contextlib.nullcontext():
        report = await dispatch_due(store, RenderCache(Renderer()), settings, now=DISPATCH)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    usage = await store.llm_usage(DISPATCH.date())
    payloads = await store._fetchone("SELECT COUNT(*), AVG(LENGTH(body)) FROM payloads")
    await store.close()
    stats = io.StringIO()
    if profiler:
        found = pstats.Stats(profiler, stream=stats)
        found.sort_stats("tottime").print_stats(15)
        found.sort_stats("cumulative").print_stats("gloss|pool_for")  # the summaries' share
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "enqueued": report.enqueued,
        "payloads": (payloads[0], payloads[1] or 0),
        "usage": usage,
        "profile": stats.getvalue(),
    }


def _dispatch_child(db: Path, with_model: bool, profile: bool, answer: Any) -> None:
    answer.send(asyncio.run(_dispatch(db, with_model, profile)))


def dispatch_in_child(db: Path, with_model: bool, profile: bool = False) -> dict[str, Any]:
    """One dispatch in a fresh process (no memory or caches left by the others)."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    child = context.Process(target=_dispatch_child, args=(db, with_model, profile, theirs))
    child.start()
    found = mine.recv() if mine.poll(3600) else None
    child.join()
    if child.exitcode != 0 or found is None:
        raise SystemExit(f"a dispatch failed (exit code {child.exitcode})")
    return found  # type: ignore[no-any-return]


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (its WAL included)."""
    a, b = sqlite3.connect(source), sqlite3.connect(target)
    a.backup(b)
    for connection in (a, b):
        connection.close()
    return target


def compare_dispatch(db: Path, rounds: int) -> dict[bool, list[dict[str, Any]]]:
    """Off and on, interleaved (off, on, on, off, ...) after one warm-up run that is not
    kept (the first dispatch after the set-up ran slow), each on a copy made before any."""
    order = [False] + [
        flag for r in range(rounds) for flag in ((False, True), (True, False))[r % 2]
    ]
    copies = [copy_database(db, db.with_name(f"dispatch-{n}.db")) for n in range(len(order))]
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for n, (copy, with_model) in enumerate(zip(copies, order, strict=True)):
        found = dispatch_in_child(copy, with_model)
        copy.unlink()
        if n:
            runs[with_model].append(found)
    return runs


def print_day(day: dict[str, Any], args: Any) -> None:
    usage, languages = day["usage"], day["languages"]
    n_languages = len(languages)
    calls = day["calls"]
    bound = day["stories"] * n_languages + day["joins"] * n_languages
    tokens = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    shares = ", ".join(f"{lang} {n:,}" for lang, n in sorted(languages.items()))
    fallbacks = {k[9:]: v for k, v in sorted(usage.items()) if k.startswith("fallback:")}
    print(f"readers:           {args.readers:,} ({shares}; 1–3 of {args.categories} categories)")
    print(
        f"stories:           {day['stories']} in {day['articles']} articles over 24 hourly "
        f"batches (fake clock); languages: {n_languages}"
    )
    print(f"sources joined:    {day['joins']} times (a second or third outlet, hours later)")
    print(
        f"model calls:       {calls} received by the fake ({usage.get('calls', 0)} answered and "
        f"counted in llm_usage) in {day['passes']} worker passes, {day['seconds']:.1f} s"
    )
    print(
        f"bound:             {bound} = {day['stories']} stories × {n_languages} + "
        f"{day['joins']} joins × {n_languages} → calls/bound {calls / max(1, bound):.3f} "
        f"({'within' if calls <= bound else 'OVER'} the bound)"
    )
    print(
        f"tokens:            {tokens:,} ({usage.get('prompt_tokens', 0):,} prompt + "
        f"{usage.get('completion_tokens', 0):,} answer; the fake's count: characters/4) → "
        f"{tokens / max(1, day['stories']):,.0f} per story, {tokens / max(1, calls):,.0f} per "
        f"call; budget {args.budget:,}/day (LLM_DAILY_TOKEN_BUDGET's default: 300,000)"
    )
    print(f"summaries ready:   {day['ready']} (story, language); fallbacks: {fallbacks or 'none'}")


def print_dispatch(runs: dict[bool, list[dict[str, Any]]]) -> None:
    best = {flag: min(found, key=lambda r: r["seconds"]) for flag, found in runs.items()}
    for flag, label in ((False, "model off (today)"), (True, "summaries ready")):
        r = best[flag]
        every = "; ".join(
            f"{x['enqueued'] / x['seconds']:,.0f}/s CPU {x['cpu']:.2f} s" for x in runs[flag]
        )
        print(
            f"dispatch {label + ':':<19}{r['enqueued']:,} digests in {r['seconds']:.2f} s → "
            f"{r['enqueued'] / r['seconds']:,.0f} digests/s (best; runs: {every}); "
            "{:,} distinct payloads of {:,.0f} bytes on average".format(*r["payloads"])
        )
    on, off = best[True], best[False]
    ratio = (on["enqueued"] / on["seconds"]) / (off["enqueued"] / off["seconds"])
    cpu_on, cpu_off = (min(x["cpu"] for x in runs[flag]) for flag in (True, False))
    print(
        f"ratio:             with/without summaries {ratio:.3f} (digests/s, best wall time "
        f"each), {cpu_off / max(cpu_on, 1e-9):.3f} (digests per CPU-second, least CPU each); "
        "goal ≥ 0.90"
    )
    usage = on["usage"]
    print(
        f"cache hits:        {usage.get('cache_hits', 0)} (story, language) pairs shown with a "
        f"model summary, {usage.get('fallback:not_ready', 0)} without (llm_usage)"
    )
    print(
        "caveat:            a shared machine (2 cores, other work running): compare the "
        "two within this run, best of the interleaved runs each; each dispatch in a fresh "
        "process on its own copy of the same SQLite database"
    )


def main() -> None:
    args = options(
        __doc__,
        readers=100_000,
        stories=300,
        categories=5,
        joined=0.3,
        vietnamese=0.4,
        budget=2_000_000,
        rounds=2,
        profile=False,
    )
    db = scratch("summaries") / "bench.db"
    with serving() as fake:
        day = asyncio.run(simulate_day(db, args, fake.base_url))
        day["calls"] = len(fake.fake.completions)
    print_day(day, args)
    print_dispatch(compare_dispatch(db, max(1, args.rounds)))
    if args.profile:
        copy = copy_database(db, db.with_name("dispatch-profiled.db"))
        profiled = dispatch_in_child(copy, True, profile=True)
        copy.unlink()
        print("profile of one more dispatch with summaries (cProfile, top functions by own time):")
        print(profiled["profile"])


if __name__ == "__main__":
    main()
