"""Store part for model summaries (``digests.summaries``): which languages each category's
readers read, what is stored per (story, language), the glosses a digest shows, and the
model's daily use counters (``llm_usage``), which the budget and the stats read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from digests.models import Article, Gloss, SummaryRecord, SummaryState
from digests.store._base import StoreBase


class SummaryStore(StoreBase):
    async def summary_languages(self) -> dict[str, frozenset[str]]:
        """Category slug → the languages of the active readers subscribed to it."""
        raise NotImplementedError

    async def summary_states(self, story_ids: Sequence[int]) -> dict[tuple[int, str], SummaryState]:
        """What is stored for these stories, by (story id, language)."""
        raise NotImplementedError

    async def save_summary(self, record: SummaryRecord) -> None:
        """Store one outcome (upsert by story and language); see SummaryRecord."""
        raise NotImplementedError

    async def glosses(
        self, story_ids: Iterable[int], languages: Iterable[str] | None = None
    ) -> dict[tuple[int, str], Gloss]:
        """The ready summaries of these stories (in these languages; None: all)."""
        return {}

    async def story_articles(self, story_id: int) -> list[Article]:
        """Every stored article of one story (oldest first); empty when it does not exist."""
        raise NotImplementedError

    async def add_llm_usage(self, day: date, counts: Mapping[str, int]) -> None:
        """Add to the day's counters (names such as calls, prompt_tokens, cache_hits,
        fallback:<reason>), creating them at need; zero counts are skipped."""
        return None

    async def llm_usage(self, day: date) -> dict[str, int]:
        """The day's counters by name (those never counted are absent)."""
        return {}
