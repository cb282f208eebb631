"""The pure decisions of ``digests.story_edits``, as tables."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.store._story_list import like_pattern
from digests.story_edits import (
    ALONE,
    MAX_ID,
    MOVED,
    SAME,
    Member,
    StoryEditRefused,
    StoryIdInvalid,
    check_split,
    merge_order,
    merged_seen,
    parse_id,
    remaining_title,
    saw_article,
    split_seen,
)
from tests.conftest import NOW

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), (" 42 ", 42), ("007", 7), (str(MAX_ID), MAX_ID)],
)
def test_ids_that_parse(text: str, value: int) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize(
    "text",
    [
        None,
        ["1"],
        "",
        "0",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "٣",  # an Arabic-Indic digit: isdigit, not ASCII
        "9" * 5000,
        str(MAX_ID + 1),
        "\ud800",
        "1\u202e",
        "1\x00",
    ],
)
def test_ids_that_do_not(text: object) -> None:
    with pytest.raises(StoryIdInvalid):
        parse_id(text)


@pytest.mark.parametrize(
    ("story", "expected", "members", "reason"),
    [
        (5, None, [1, 2], None),
        (5, 5, [1, 2], None),
        (5, None, [1], ALONE),
        (5, 6, [1, 2], MOVED),
        (5, 6, [1], MOVED),
    ],
)
def test_check_split(story: int, expected: int | None, members: list[int], reason: str) -> None:
    if reason is None:
        check_split(story, expected, members)
        return
    with pytest.raises(StoryEditRefused) as refused:
        check_split(story, expected, members)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("a", "b", "order"), [(1, 2, (1, 2)), (9, 3, (3, 9))])
def test_merge_keeps_the_older_id(a: int, b: int, order: tuple[int, int]) -> None:
    assert merge_order(a, b) == order


def test_a_story_is_not_merged_with_itself() -> None:
    with pytest.raises(StoryEditRefused) as refused:
        merge_order(4, 4)
    assert refused.value.reason == SAME


@pytest.mark.parametrize(
    ("kept", "absorbed", "result"),
    [
        ((NOW - 5 * H, NOW - H), (NOW - 3 * H, NOW), (NOW - 5 * H, NOW)),
        ((NOW - 2 * H, NOW - 2 * H), (NOW - 9 * H, NOW - 8 * H), (NOW - 9 * H, NOW - 2 * H)),
    ],
)
def test_merged_seen(kept: tuple, absorbed: tuple, result: tuple) -> None:  # type: ignore[type-arg]
    assert merged_seen(kept, absorbed) == result


def member(n: int, title: str, published_hours_ago: int, fetched_hours_ago: int) -> Member:
    return Member(n, title, NOW - published_hours_ago * H, NOW - fetched_hours_ago * H)


@pytest.mark.parametrize(
    ("article", "seen"),
    [
        (member(1, "a", 3, 2), (NOW - 3 * H, NOW - 2 * H)),
        # A feed that dates an article after it was fetched: never last seen before it.
        (member(1, "a", 1, 2), (NOW - H, NOW - H)),
    ],
)
def test_split_seen(article: Member, seen: tuple) -> None:  # type: ignore[type-arg]
    assert split_seen(article) == seen


@pytest.mark.parametrize(
    ("old_title", "split", "remaining", "title"),
    [
        ("Ferry", member(1, "Ferry", 5, 5), [member(2, "B", 3, 3), member(3, "C", 4, 4)], "C"),
        ("Budget", member(1, "Ferry", 5, 5), [member(2, "B", 3, 3)], "Budget"),
        ("Ferry", member(1, "Ferry", 5, 5), [], "Ferry"),
    ],
)
def test_remaining_title(old_title: str, split: Member, remaining: list, title: str) -> None:  # type: ignore[type-arg]
    assert remaining_title(old_title, split, remaining) == title


@pytest.mark.parametrize(
    ("received", "stored", "saw"),
    [(NOW, NOW - H, True), (NOW, NOW, True), (NOW - H, NOW, False)],
)
def test_saw_article(received: object, stored: object, saw: bool) -> None:
    assert saw_article(received, stored) is saw  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word", "pattern"),
    [
        ("flood", "%flood%"),
        ("50%", "%50\\%%"),
        ("snake_case", "%snake\\_case%"),
        ("a\\b", "%a\\\\b%"),
    ],
)
def test_like_pattern_takes_the_words_literally(word: str, pattern: str) -> None:
    assert like_pattern(word) == pattern
