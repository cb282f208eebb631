"""What the model is given for one story and language: the titles and summaries of the
story's articles, capped, and a hash that identifies it (the cache key). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.assemble import Story


@dataclass(frozen=True)
class SummaryInput:
    """One story's input for readers of ``language``. ``articles`` are (source, title,
    summary) triples, cleaned and capped; ``source_language`` is the story's own (its
    lead's) language, or "und" when unknown."""

    story_id: int
    language: str
    source_language: str
    articles: tuple[tuple[str, str, str], ...]
    article_ids: tuple[int, ...]
    input_hash: str

    @property
    def translate(self) -> bool:
        """True when the reader's language is not the story's."""
        return self.source_language != self.language

    @property
    def chars(self) -> int:
        """The size of the text sent, in characters."""
        return sum(len(s) + len(t) + len(u) for s, t, u in self.articles)


def story_input(story: Story, language: str) -> SummaryInput:
    """The capped input for ``story`` and readers of ``language``."""
    raise NotImplementedError  # stub: the helper "core" implements it
