"""Hostile JSON gets one clear error, never a traceback from deep inside the program."""

from __future__ import annotations

import pytest

from digests.safejson import JSONInputError, find_problem, loads


def test_ordinary_documents_load() -> None:
    assert loads(b'\xef\xbb\xbf{"a": [1, 2.5, "x\\u00e9"], "b": null}') == {
        "a": [1, 2.5, "xé"],
        "b": None,
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ("[" * 65 + "]" * 65, "nested deeper"),
        ('{"n": ' + "9" * 5000 + "}", "number too long"),
        ('{"n": 1' + "0" * 5000 + ".5}", "number too long"),
        ('{"n": 1e999}', "out of range"),
        ('{"n": NaN}', "NaN is not a JSON number"),
        ('{"t": "\\ud800"}', "lone surrogate"),
        ('{"\\udfff": 1}', "lone surrogate"),
        ('{"t": ', "invalid JSON"),
    ],
)
def test_hostile_documents_are_refused_in_one_line(text: str, reason: str) -> None:
    with pytest.raises(JSONInputError, match=reason) as caught:
        loads(text)
    assert "\n" not in str(caught.value)


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(JSONInputError, match="not UTF-8"):
        loads(b'{"a": "\xff"}')


def test_unchecked_load_leaves_items_to_the_caller() -> None:
    doc = loads('{"items": [{"t": "ok"}, {"t": "\\ud800"}]}', check=False)
    problems = [find_problem(item) for item in doc["items"]]
    assert problems == [None, "text contains a lone surrogate (invalid Unicode)"]
