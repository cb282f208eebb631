"""What the feeds page decides about each feed without I/O (``bot.web.feed_rows``): its
state, its texts made safe and short, its times in the page's language, the order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.web import i18n
from bot.web.feed_rows import ERROR_CHARS, feed_row, feed_rows, reason_text, shown, when
from digests.models import Feed
from digests.store import REMOVED_REASON
from digests.store._feed_health import FeedHealth
from tests.conftest import NOW

FEED = Feed(
    id=1,
    url="https://f.example/",
    categories=("climate",),
    name=None,
    title="Title",
    interval=timedelta(minutes=30),
    priority=0,
    etag=None,
    last_modified=None,
    consecutive_errors=0,
    last_error=None,
    last_error_at=None,
    last_fetched_at=None,
    next_fetch_at=NOW + timedelta(minutes=10),
    disabled=False,
    disabled_reason=None,
)


def row(**changes: object) -> object:
    return feed_row(
        FeedHealth(replace(FEED, **changes), 12345),  # type: ignore[arg-type]
        {"climate": "Climate"},
        now=NOW,
        language="en",
    )


@pytest.mark.parametrize(
    ("changes", "state", "text"),
    [
        ({}, "ok", "ok"),
        ({"consecutive_errors": 3}, "failing", "failing (errors in a row: 3)"),
        ({"disabled": True, "disabled_reason": "gone (410)"}, "disabled", "disabled: gone (410)"),
        ({"disabled": True, "disabled_reason": None}, "disabled", "disabled"),
        (
            {"disabled": True, "disabled_reason": REMOVED_REASON, "consecutive_errors": 2},
            "disabled",
            "disabled: removed from the feed list",
        ),
    ],
)
def test_a_feeds_state(changes: dict[str, object], state: str, text: str) -> None:
    made = row(**changes)
    assert (made.state, made.state_text) == (state, text)  # type: ignore[attr-defined]


def test_texts_are_cut_and_their_controls_shown() -> None:
    assert shown(None) == ""
    assert shown("a\u202eb\x1b[31m") == "a\\u202eb\\x1b[31m"
    cut = shown("y" * 500, ERROR_CHARS)
    assert cut == "y" * ERROR_CHARS + "…"
    assert reason_text("disabled in the console by e\u202ed") == (
        "disabled in the console by e\\u202ed"
    )


def test_times_are_relative_and_exact() -> None:
    assert when(None, NOW, "en") is None
    now = when(NOW, NOW, "en")
    assert now is not None and now.relative == "just now"  # not "in 0 seconds"
    soon = when(NOW + timedelta(minutes=3), NOW, "en")
    assert soon is not None and soon.relative == "in 3 minutes" and soon.exact.endswith(" UTC")
    token = i18n.current_language.set("vi")
    try:
        late = when(NOW - timedelta(minutes=3), NOW, "vi")
        assert late is not None and late.relative == "3 phút trước"
    finally:
        i18n.current_language.reset(token)
    far = when(NOW.replace(year=9999), NOW, "en")
    assert far is not None and "9999" in far.exact


def test_a_row_says_what_the_table_shows() -> None:
    made = row()
    assert made.name == "Title" and made.categories == ("Climate",)  # type: ignore[attr-defined]
    assert made.articles_text == "12,345" and made.link  # type: ignore[attr-defined]
    assert not made.due_now and made.next_poll.relative == "in 10 minutes"  # type: ignore[attr-defined]
    assert row(next_fetch_at=None).due_now  # type: ignore[attr-defined]
    assert not row(url="javascript:alert(1)").link  # type: ignore[attr-defined]
    gone = row(disabled=True)
    assert not gone.due_now and gone.next_poll is None  # type: ignore[attr-defined]


def test_failing_feeds_come_first_then_by_name() -> None:
    health = [
        FeedHealth(replace(FEED, id=1, name="b"), 0),
        FeedHealth(replace(FEED, id=2, name="Z", disabled=True), 0),
        FeedHealth(replace(FEED, id=3, name="c", consecutive_errors=1), 0),
        FeedHealth(replace(FEED, id=4, name="A"), 0),
    ]
    rows = feed_rows(health, {}, now=NOW, language="en")
    assert [r.id for r in rows] == [3, 4, 1, 2]
