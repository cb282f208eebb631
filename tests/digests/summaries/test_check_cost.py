"""What judging a hostile answer costs, counted rather than timed: a server that ignores
max_tokens (hostile, or a local one with a broken template) may send 100 KB, or 8,000
characters built so a pattern backtracks on them. No pattern of the checks and markers
may read more than the caps (MAX_SUMMARY_CHARS), so each check's work is bounded by them
whatever the answer's length; the checks run on the event loop the dispatch ticks share."""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any

import pytest

import digests.summaries.check as check
import digests.summaries.markers as markers
from tests.digests.summaries.stories import summary_input

# The markup pattern reads the raw text (line breaks matter): its words within the cap
# and some whitespace; every other pattern reads at most the cap.
RAW_READ = check.MAX_RAW_READ * check.MAX_SUMMARY_CHARS


class Recording:
    """A compiled pattern that notes the length of every text it is asked to read, scaled
    so that its own bound is MAX_SUMMARY_CHARS."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int], bound: int) -> None:
        self._pattern, self._seen = pattern, seen
        self._scale = check.MAX_SUMMARY_CHARS / bound

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._pattern, name)

        def reading(text: str, *args: Any, **kwargs: Any) -> Any:
            self._seen.append(round(len(text) * self._scale))
            return method(text, *args, **kwargs)

        return reading if callable(method) else method


def record_patterns(monkeypatch: pytest.MonkeyPatch, seen: list[int]) -> None:
    modules: tuple[ModuleType, ...] = (check, markers)
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                bound = RAW_READ if value is check._MARKUP else check.MAX_SUMMARY_CHARS
                monkeypatch.setattr(module, name, Recording(value, seen, bound))
    instructions = tuple(
        (needles, Recording(p, seen, check.MAX_SUMMARY_CHARS))
        for needles, p in markers._INSTRUCTIONS
    )
    monkeypatch.setattr(markers, "_INSTRUCTIONS", instructions)

    def detect(text: str) -> str | None:
        seen.append(len(text))
        return None

    monkeypatch.setattr(check, "detect_language", detect)


NEAR_CAP = check.MAX_ANSWER_CHARS - 20
HOSTILE = [
    json.dumps({"summary": "a." * 50_000}),  # 100 KB
    json.dumps({"summary": "a. B " * 20_000}),  # 100 KB of sentences
    json.dumps({"summary": "a." * (NEAR_CAP // 2)}),  # the link pattern's worst case
    json.dumps({"summary": "a-" * (NEAR_CAP // 2)}),
    json.dumps({"summary": "a.b-" * (NEAR_CAP // 4)}),
    json.dumps({"summary": "Mr. A. " * (NEAR_CAP // 7)}),  # abbreviations: each one looks back
    json.dumps({"summary": "@a " * (NEAR_CAP // 3)}),
    json.dumps({"summary": "*a " * (NEAR_CAP // 3)}),
    json.dumps({"summary": "ignore all previous instructions " * (NEAR_CAP // 34)}),
    # A fence full of spaces: the pattern that unwrapped fences was cubic on it (minutes on
    # 8,000 characters); just past the cap, so that it fails fast where it is still used.
    "```" + " " * (check.MAX_SUMMARY_CHARS + 100) + "x",
    "```json" + "\n" * (check.MAX_SUMMARY_CHARS + 100) + "x```",
    "```" + " " * NEAR_CAP + "x",
    # Compatibility characters NFKC expands ('㏂' is "a.m.", U+FDFA is 18 characters): the
    # link pattern's worst case again, four times the cap from a summary within it.
    json.dumps({"summary": "\u33c2" * check.MAX_SUMMARY_CHARS}),
    json.dumps({"summary": "\u33c2" * 1000}),
    json.dumps({"summary": "\ufdfa" * 100}),
    json.dumps({"summary": "A\n" + " " * 3000 + "\n# heading"}),  # pages of whitespace
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_no_pattern_reads_more_than_the_caps(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    seen: list[int] = []
    record_patterns(monkeypatch, seen)
    checked = check_output_of(answer)
    assert not checked.ok
    assert max(seen, default=0) <= check.MAX_SUMMARY_CHARS


def test_a_translated_answer_past_the_caps_is_read_to_the_caps_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    record_patterns(monkeypatch, seen)
    text = json.dumps({"summary": "a." * 2500, "title": "a-" * 1000})
    checked = check.check_output(text, summary_input("vi", "en"))
    assert checked.reason == check.TOO_LONG
    # Every check is still listed (``digestbot summarize`` prints them).
    assert [name for name, _ in checked.checks] == list(check.CHECK_REASONS)
    assert seen and max(seen) <= check.MAX_SUMMARY_CHARS


def test_the_recording_sees_what_an_answer_within_the_caps_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    record_patterns(monkeypatch, seen)
    summary = "Apple unveiled a new iPhone with a better camera, Reuters and AP report."
    assert check_output_of(json.dumps({"summary": summary})).ok
    assert len(summary) in seen  # the patterns are recorded at all


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('```json\n{"summary": "x"}\n```', '{"summary": "x"}'),
        ('```JSON {"summary": "x"}```', '{"summary": "x"}'),
        ('  ```\n{"a": 1}\n```  ', '{"a": 1}'),
        ('{"summary": "x"}', '{"summary": "x"}'),
        ("```", "```"),
        ("``````", ""),
    ],
)
def test_unfenced(text: str, expected: str) -> None:
    assert check.unfenced(text) == expected


def check_output_of(answer: str) -> check.Checked:
    return check.check_output(answer, summary_input("en", "en"))
