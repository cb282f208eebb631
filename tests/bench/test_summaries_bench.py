"""``bench/summaries.py``: its day of news groups as intended (each story's outlets into one
story, never two stories into one), and the whole benchmark runs at a tiny size against the
fake OpenAI-compatible server, staying within its call bound. Figures are printed, never
asserted."""

from __future__ import annotations

import asyncio
import random
import re
import sys
from itertools import combinations
from pathlib import Path

import pytest

from bench import summaries
from digests.ingest.cluster import same_event, title_key


def test_the_outlets_of_one_story_word_it_differently_but_group_together() -> None:
    for story in (0, 7, 299):
        titles = [summaries.headline(story, source)[0] for source in range(3)]
        assert len(set(titles)) == 3
        keys = [title_key(t) for t in titles]
        assert all(same_event(keys[0], other) for other in keys[1:])


def test_two_stories_of_a_day_never_look_like_one_event() -> None:
    slots = (summaries.SUBJECTS, summaries.VERBS, summaries.OBJECTS, summaries.TOPICS)
    assert sorted(len(words) for words in (*slots, summaries.PLACES)) == [31, 37, 41, 43, 47]
    keys = [title_key(summaries.headline(story, 0)[0]) for story in range(300)]
    assert not [(a, b) for a, b in combinations(range(300), 2) if same_event(keys[a], keys[b])]


def test_the_day_plan_spreads_stories_and_sources_join_later() -> None:
    plan = summaries.day_plan(48, 0.5, random.Random(3))
    hour_of = {story: hour for hour, reports in plan.items() for story, src in reports if src == 0}
    assert sorted(hour_of) == list(range(48))
    assert set(hour_of.values()) == set(range(24))
    later = [(hour, story, src) for hour, reports in plan.items() for story, src in reports if src]
    assert later  # half the stories asked for a second source: some got one
    for hour, story, source in later:
        assert hour > hour_of[story]
        if source == 2:
            assert any(s == story and h < hour for h, s, src in later if src == 1)


def test_the_benchmark_runs_at_a_tiny_size_within_its_call_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(summaries, "scratch", lambda prefix: tmp_path)
    # Each dispatch runs here rather than in a fresh process: the same code, without the
    # seconds a spawned interpreter takes to import the project.
    in_process = lambda db, with_model, profile=False: asyncio.run(  # noqa: E731
        summaries._dispatch(db, with_model, profile)
    )
    monkeypatch.setattr(summaries, "dispatch_in_child", in_process)
    argv = ["bench.summaries", "--readers", "40", "--stories", "10", "--rounds", "1", "--profile"]
    monkeypatch.setattr(sys, "argv", argv)
    summaries.main()
    out = capsys.readouterr().out
    calls = int(re.search(r"model calls: +(\d+) received", out).group(1))  # type: ignore[union-attr]
    bound = re.search(r"bound: +(\d+) = (\d+) stories × 2 \+ (\d+) joins", out)
    assert bound is not None, out
    assert int(bound.group(2)) == 10
    assert 0 < calls <= int(bound.group(1))
    assert "fallbacks: none" in out
    assert re.search(r"dispatch model off \(today\): 40 digests", out)
    assert re.search(r"dispatch summaries ready: +40 digests", out)
    hits = re.search(r"cache hits: +(\d+) \(story, language\) pairs shown", out)
    assert hits is not None and int(hits.group(1)) > 0
    assert "ratio:" in out and "caveat:" in out
    assert re.search(r"profile of one more dispatch.*\n.*function calls", out)
    assert not list(tmp_path.glob("dispatch-*.db"))  # each copy removed after its dispatch
