"""Checks on a model's answer before any reader sees it: JSON against the schema, length,
language, no links, mentions or markup, no sign of obeying an instruction planted in an
article. Pure; a refused answer names its reason (counted as ``fallback:<reason>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.summaries.inputs import SummaryInput


@dataclass(frozen=True)
class Checked:
    """The verdict on one answer. ``checks`` lists each check by name with whether it
    passed (for ``digestbot summarize``); ``reason`` is the first failed one's reason."""

    ok: bool
    reason: str | None
    summary: str | None
    title: str | None
    checks: tuple[tuple[str, bool], ...]


def check_output(text: str, summary_input: SummaryInput) -> Checked:
    """Parse and check the model's answer ``text`` for ``summary_input``."""
    raise NotImplementedError  # stub: the helper "core" implements it
