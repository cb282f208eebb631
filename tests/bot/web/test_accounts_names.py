"""The rules for account names and chosen passwords (pure), shared by the accounts page
and ``digestbot console-user``."""

from __future__ import annotations

import pytest

from bot.web.passwords import clean_name, name_problem, password_problem


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("ed", True),
        ("an.nguyen_2-x", True),
        ("hoàng", True),
        ("x" * 64, True),
        ("", False),
        ("x" * 65, False),
        ("a b", False),
        ("ed\u202e", False),
        ("ed\u200b", False),
        ("ed\x00", False),
        ("ed\ud800", False),
        ("<script>", False),
        ("ed@home", False),
    ],
)
def test_names(name: str, ok: bool) -> None:
    assert (name_problem(clean_name(name)) is None) is ok


def test_a_refused_name_never_echoes_the_character() -> None:
    problem = name_problem("ed\u202e")
    assert problem is not None and "U+202E" in problem and "\u202e" not in problem


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("twelve chars", True),
        ("mật khẩu dài đủ rồi", True),
        ("eleven char", False),
        ("x" * 1025, False),
        ("twelve chars\x00", False),
        ("twelve chars\udcff", False),
    ],
)
def test_passwords(password: str, ok: bool) -> None:
    assert (password_problem(password) is None) is ok
