"""The model's daily token budget (``LLM_DAILY_TOKEN_BUDGET``), per UTC day.

What is used comes from the usage the API reported, as stored in ``llm_usage``
(``prompt_tokens`` + ``completion_tokens`` of the day), read at the start of every pass: a
process that takes over the work sees what the last one spent. Before each call an estimate
is reserved (the request's characters / 3 + its ``max_tokens``), so calls running at the
same time cannot together overshoot by more than their estimates' error; after the call the
reservation is settled with the real usage. A call whose estimate does not fit in what is
left is not made; digests show the sources' own summaries until the next UTC day.

Being spent is logged once per day (``exhausted`` says when). The worker counts the metric
``fallback:budget`` once per (story, language) and day, however many passes skip it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from digests.summaries.model import ModelRequest

CHARS_PER_TOKEN = 3  # a cautious guess (English runs ~4; other scripts fewer)


def estimate_tokens(request: ModelRequest) -> int:
    """What a call may cost at most, roughly: the text sent (messages and schema) at three
    characters a token, plus the answer's cap."""
    chars = sum(len(str(m.get("content", ""))) for m in request.messages)
    chars += len(json.dumps(request.schema, ensure_ascii=False, default=str))
    return chars // CHARS_PER_TOKEN + max(0, request.max_tokens)


def used_tokens(usage: Mapping[str, int]) -> int:
    """The tokens a day's counters say the API reported."""
    return max(0, int(usage.get("prompt_tokens", 0))) + max(
        0, int(usage.get("completion_tokens", 0))
    )


class Budget:
    """One process's view of the day's budget: what was used, what is reserved."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.day: date | None = None
        self.used = 0
        self.reserved = 0
        self._told: date | None = None  # the day "spent" was last logged

    def start(self, day: date, usage: Mapping[str, int]) -> None:
        """Begin a pass on ``day`` with the day's stored counters."""
        self.day = day
        self.used = used_tokens(usage)
        self.reserved = 0  # passes never overlap (the job runs one at a time)

    @property
    def left(self) -> int:
        """Tokens that may still be reserved today."""
        return max(0, self.limit - self.used - self.reserved)

    def reserve(self, estimate: int) -> bool:
        """Reserve ``estimate`` tokens for a call; False (nothing reserved) when it does
        not fit in what is left."""
        if estimate > self.left:
            return False
        self.reserved += estimate
        return True

    def settle(self, estimate: int, prompt_tokens: int, completion_tokens: int) -> None:
        """A reserved call was answered: the real usage replaces the estimate."""
        self.reserved = max(0, self.reserved - estimate)
        self.used += max(0, prompt_tokens) + max(0, completion_tokens)

    def release(self, estimate: int) -> None:
        """A reserved call brought no usage (it failed before an answer)."""
        self.reserved = max(0, self.reserved - estimate)

    def exhausted(self) -> bool:
        """True once per day, when the first call is refused: log it then."""
        if self._told == self.day:
            return False
        self._told = self.day
        return True
