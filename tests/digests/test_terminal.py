"""Text from strangers printed on an operator's terminal: escaped, never interpreted."""

from __future__ import annotations

import pytest

from digests.terminal import printable, unsafe_char


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("Tiếng Việt — ok", "Tiếng Việt — ok"),
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("a\r\nforged line\tx", "a\\r\\nforged line\\tx"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("file\u202egnp.exe", "file\\u202egnp.exe"),
        ("\u2066iso\u2069", "\\u2066iso\\u2069"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("sep\u2028arator", "sep\\u2028arator"),
        ("lone \ud800", "lone \\ud800"),
        (None, ""),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(raw: str | None, shown: str) -> None:
    assert printable(raw) == shown
    printable(raw).encode("utf-8")  # always writable, even with a lone surrogate


def test_unsafe_char_names_the_first_control_or_bidi_character() -> None:
    assert unsafe_char("Climate Desk") is None
    assert unsafe_char("👩\u200d💻 Desk") is None  # a joiner inside an emoji is fine
    assert unsafe_char("Desk\x1b[31m") == "U+001B"
    assert unsafe_char("Desk\u202e") == "U+202E"
