"""The request sent for one story: instructions, the articles as data, and the JSON schema
of the answer. Pure.
"""

from __future__ import annotations

from digests.summaries.inputs import SummaryInput
from digests.summaries.model import ModelRequest


def build_request(summary_input: SummaryInput, *, max_tokens: int = 300) -> ModelRequest:
    """The chat-completions request for ``summary_input``."""
    raise NotImplementedError  # stub: the helper "core" implements it
