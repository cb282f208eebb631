"""The CLI's progress bar: tqdm on stderr, drawn only when stderr is a terminal, so that
piped or logged output stays free of carriage returns."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress_bar(total: int | None, unit: str, desc: str, **options: Any) -> tqdm[Any]:
    """A bar of ``total`` ``unit`` labelled ``desc`` (``options`` go to tqdm)."""
    return tqdm(
        total=total,
        unit=unit,
        desc=desc,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        **options,
    )
