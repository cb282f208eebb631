"""JSON from strangers: one loader for the API, CMS import and JSON Feed.

``json.loads`` alone lets a hostile document through in ways that fail later, far from the
input, as a traceback: 100,000-deep nesting (RecursionError), a 5,000-digit number
(ValueError from int(), or an int SQLite cannot hold), ``NaN``, and ``"\\ud800"`` escapes
that decode to lone surrogates and then fail when written as UTF-8. ``loads`` refuses all of
these up front with a ``JSONInputError`` whose message is one line meant for the sender.

``find_problem`` checks an already-decoded value, so that a caller holding a list of items
(a JSON Feed) can drop one bad item instead of the whole document.
"""

from __future__ import annotations

import json
from typing import Any

from digests.errors import InputError

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40


class JSONInputError(InputError, ValueError):
    """The document is not JSON we accept; the message says why in one line."""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONInputError(f"number too long ({len(text)} digits)")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONInputError(f"number too long ({len(text)} characters)")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JSONInputError("number out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not a JSON number")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def find_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` is unacceptable (too deep, a lone surrogate), or None when it is fine.

    Walks iteratively, so the check itself cannot overflow the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return "text contains a lone surrogate (invalid Unicode)"
        elif isinstance(item, dict | list):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
    return None


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, check: bool = True) -> Any:
    """Decode JSON, refusing what would fail later (see the module docstring).

    Bytes must be UTF-8 (a BOM is allowed). With ``check=False`` the depth and surrogate
    walk is left to the caller (``find_problem`` per item); numbers, constants and the
    parser's own recursion limit are still enforced.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            data,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise JSONInputError(f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        msg = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise JSONInputError(msg) from None
    if check:
        problem = find_problem(value, max_depth=max_depth)
        if problem:
            raise JSONInputError(problem)
    return value
