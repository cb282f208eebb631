"""bench.opml_import measures what it says: its largest file is accepted and sits at the
caps, and each of its hostile files is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.opml_import import hostile, largest
from bot.cli.opml import read_capped
from digests.opml import MAX_OPML_BYTES, MAX_OUTLINES, OpmlError, check_shape, parse_opml


def test_the_largest_file_is_at_the_caps_and_accepted() -> None:
    data = largest(20)
    assert MAX_OPML_BYTES * 0.9 < len(data) <= MAX_OPML_BYTES
    assert data.count(b"<outline ") == MAX_OUTLINES
    check_shape(data)


@pytest.mark.parametrize("name", list(hostile()))
def test_each_hostile_file_is_refused_before_parsing(tmp_path: Path, name: str) -> None:
    path = tmp_path / "hostile.opml"
    hostile()[name](path)
    with pytest.raises(OpmlError):
        parse_opml(read_capped(path))
