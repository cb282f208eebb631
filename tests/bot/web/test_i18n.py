"""The console's merged Vietnamese catalog keeps Vietnamese's plural rule (one form)."""

from __future__ import annotations

import pytest

from bot.web import i18n


@pytest.mark.parametrize("n", [1, 2, 5, 60])
def test_a_vietnamese_plural_is_vietnamese_for_every_count(n: int) -> None:
    token = i18n.current_language.set("vi")
    try:
        text = i18n.ngettext(
            "Too many attempts, try again in %(num)s minute.",
            "Too many attempts, try again in %(num)s minutes.",
            n,
        )
    finally:
        i18n.current_language.reset(token)
    assert text == f"Bạn đã thử quá nhiều lần, hãy thử lại sau {n} phút."
