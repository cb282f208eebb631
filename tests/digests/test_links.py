"""What a /start payload names: the shapes of codes and slugs."""

from __future__ import annotations

import pytest

from digests.feedsfile import SLUG
from digests.links import check_source, new_code, payload_kind


def test_codes_never_have_the_shape_of_a_slug() -> None:
    for _ in range(2_000):
        code = new_code()
        assert payload_kind(code) == "code" and not SLUG.fullmatch(code)


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ("ai-frontier", "slug"),
        ("x" * 64, "slug"),
        ("x" * 65, "invalid"),
        ("", "invalid"),
        ("ai\u202efrontier", "invalid"),
        ("ai frontier", "invalid"),
        ("\ud800", "invalid"),
        ("Kabcdef", "code"),
        ("Kabcde", "slug"),  # too short for a code: looked up as a slug, and not found
    ],
)
def test_payload_kinds(payload: str, kind: str) -> None:
    assert payload_kind(payload) == kind


@pytest.mark.parametrize("source", ["", " web", "a" * 65, "web\u202e", "-web"])
def test_a_bad_source_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="1-64 characters"):
        check_source(source)
