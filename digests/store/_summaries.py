"""Store part for model summaries (``digests.summaries``): which languages each category's
readers read, what is stored per (story, language), the glosses a digest shows, and the
model's daily use counters (``llm_usage``), which the budget and the stats read.

Error contract: a record for a story that no longer exists (retention deleted it while
the model was busy) is dropped without error; a malformed record or counter (a status
other than ready/failed, a ready record without a summary, a negative count) is a
programming error and raises ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from digests.models import Article, Gloss, SummaryRecord, SummaryState
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import from_db, to_db

READY = "ready"
FAILED = "failed"
# A counter's name is a fixed word or ``fallback:<reason>``; a longer one is cut.
USAGE_NAME_LENGTH = 64
# A count above this is no count the API reports (a hostile usage figure): refused, so a
# counter can never overflow a 64-bit integer on either engine.
USAGE_COUNT_MAX = 2**48

# What a failed attempt keeps of the row: the summary readers may already be shown.
_KEPT_WHEN_FAILED = (
    "title",
    "summary",
    "translated",
    "model",
    "prompt_tokens",
    "completion_tokens",
)
_REPLACED_WHEN_READY = ",\n    ".join(
    f"{c} = CASE WHEN excluded.status = '{READY}' THEN excluded.{c} ELSE story_summaries.{c} END"
    for c in _KEPT_WHEN_FAILED
)
# One upsert per outcome. A new input hash starts the attempts again; a failed attempt
# records why, but keeps a summary (and its title, model, tokens) already shown to readers.
# INSERT ... SELECT ... WHERE EXISTS: a story retention deleted meanwhile gets no row.
_SAVE = f"""
INSERT INTO story_summaries (story_id, language, input_hash, article_ids, status, attempts,
                             title, summary, translated, model, prompt_tokens,
                             completion_tokens, reason, updated_at)
SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
       CAST(? AS TEXT), 1, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER),
       CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT),
       CAST(? AS TEXT)
WHERE EXISTS (SELECT 1 FROM stories WHERE id = ?)
ON CONFLICT (story_id, language) DO UPDATE SET
    attempts = CASE WHEN story_summaries.input_hash = excluded.input_hash
                    THEN story_summaries.attempts + 1 ELSE 1 END,
    input_hash = excluded.input_hash,
    article_ids = excluded.article_ids,
    status = excluded.status,
    reason = excluded.reason,
    updated_at = excluded.updated_at,
    {_REPLACED_WHEN_READY}
"""

# The summary_languages queries. ``+s.active``: no index on (active, paused) for these
# reads; SQLite walks the table in id order instead of visiting rows at random through
# subscribers_due (four times slower here). CROSS JOIN fixes SQLite's join order (the
# readers first, then their subscriptions by the primary key's index); PostgreSQL plans
# it as any join.
_COMMON_LANGUAGE = """
SELECT language, COUNT(*) AS readers
FROM (SELECT s.language FROM subscribers s WHERE +s.active = 1 AND +s.paused = 0
      ORDER BY s.id DESC LIMIT 1000) AS newest
GROUP BY language ORDER BY readers DESC, language LIMIT 1
"""
_CATEGORIES_READ_IN = """
SELECT k.slug FROM categories k
WHERE k.retired_at IS NULL AND EXISTS (
    SELECT 1 FROM subscriptions c CROSS JOIN subscribers s
    WHERE c.category = k.slug AND s.id = c.subscriber_id
      AND s.language = ? AND s.active = 1 AND s.paused = 0)
"""
_LIVE_CATEGORIES = "SELECT slug FROM categories WHERE retired_at IS NULL"
_OTHER_LANGUAGES = """
SELECT DISTINCT s.language, c.category
FROM subscribers s CROSS JOIN subscriptions c
WHERE c.subscriber_id = s.id AND +s.active = 1 AND +s.paused = 0 AND s.language <> ?
"""

_ADD_USAGE = """
INSERT INTO llm_usage (day, name, value) VALUES (?, ?, ?)
ON CONFLICT (day, name) DO UPDATE SET value = llm_usage.value + excluded.value
"""


def _text(value: str | None) -> str | None:
    """Model output as the store keeps it: without NUL characters (PostgreSQL refuses
    them) and with lone surrogates (a JSON ``\\ud800`` escape) replaced, so no engine
    fails to encode it."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _read_text(value: object) -> str | None:
    """A stored text column as text: SQLite keeps whatever a row was given (a BLOB, a
    number, from an older version or an operator's hand), and a digest must not fail on
    it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return _text(bytes(value).decode("utf-8", "replace"))
    return str(value)


def _ids(text: str) -> tuple[int, ...]:
    """The JSON list of article ids a row keeps; a damaged one reads as none (the input
    hash still decides whether the story changed)."""
    try:
        found = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(found, list):
        return ()
    return tuple(i for i in found if isinstance(i, int) and not isinstance(i, bool))


def _tokens(count: int) -> int:
    """A token count as a row keeps it: a figure no API reports (negative, or beyond any
    counter) is clamped, so an odd usage report cannot fail the store."""
    return max(0, min(int(count), USAGE_COUNT_MAX))


def _unique(values: Iterable[object]) -> list[object]:
    return list(dict.fromkeys(values))


def usage_rows(day: date, counts: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """The (day, name, count) rows to add (pure): zero counts left out, names cut to
    USAGE_NAME_LENGTH (and cleared of NULs). Raises ValueError on a negative or
    out-of-range count: counters only go up."""
    rows: dict[str, int] = {}
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"llm usage count {name!r} is not a whole number")
        if count < 0 or count > USAGE_COUNT_MAX:
            raise ValueError(f"llm usage count {name!r} is out of range")
        if count:
            key = (_text(name) or "")[:USAGE_NAME_LENGTH]
            rows[key] = rows.get(key, 0) + count
    return [(day.isoformat(), name, count) for name, count in sorted(rows.items())]


class SummaryStore(StoreBase):
    async def summary_languages(self) -> dict[str, frozenset[str]]:
        """Category slug → the languages of the active, unpaused readers subscribed to it
        (retired categories left out: nobody reads them).

        Without an index on the readers' language, one pass over the subscribers table is
        the floor; the join to their subscriptions is what costs (a million subscriptions
        looked up). So the language most readers share (guessed from the newest thousand
        readers) is settled per category with an EXISTS that stops at its first reader,
        and only the other languages' readers are joined to their subscriptions. A wrong
        guess costs time, never correctness. bench/summary_languages.py (600,000
        subscriptions, one reader in ten Vietnamese, a loaded machine): 200,000 readers
        on SQLite 0.31 s against 1.33 s for the plain join; 100,000 on PostgreSQL 0.71 s
        against 2.70 s; with half the readers in the second language, as slow as the
        plain join. Call it once per worker pass at most and cache the answer for
        minutes: a category's languages change when readers come and go, rarely.
        """
        common = await self._common_language()
        found: dict[str, set[str]] = {}
        if common is not None:
            rows = await self._fetchall(_CATEGORIES_READ_IN, (common,))
            for row in rows:
                found.setdefault(row["slug"], set()).add(common)
        live = {row["slug"] for row in await self._fetchall(_LIVE_CATEGORIES)}
        for row in await self._fetchall(_OTHER_LANGUAGES, (common or "",)):
            if row["category"] in live:
                found.setdefault(row["category"], set()).add(row["language"])
        return {slug: frozenset(languages) for slug, languages in sorted(found.items())}

    async def _common_language(self) -> str | None:
        """The language most of the newest active readers read (None: no reader)."""
        row = await self._fetchone(_COMMON_LANGUAGE)
        return str(row["language"]) if row else None

    async def summary_states(self, story_ids: Sequence[int]) -> dict[tuple[int, str], SummaryState]:
        """What is stored for these stories, by (story id, language); stories with
        nothing stored are absent."""
        states: dict[tuple[int, str], SummaryState] = {}
        for part in chunks(_unique(story_ids)):
            rows = await self._fetchall(
                f"""SELECT story_id, language, input_hash, article_ids, status, attempts,
                           updated_at
                    FROM story_summaries WHERE story_id IN ({placeholders(part)})""",
                list(part),
            )
            for r in rows:
                states[(r["story_id"], r["language"])] = SummaryState(
                    story_id=r["story_id"],
                    language=r["language"],
                    input_hash=r["input_hash"],
                    article_ids=_ids(r["article_ids"]),
                    status=r["status"],
                    attempts=int(r["attempts"]),
                    updated_at=from_db(r["updated_at"]),  # type: ignore[arg-type]
                )
        return states

    async def save_summary(self, record: SummaryRecord) -> None:
        """Store one outcome (upsert by story and language); see SummaryRecord.

        attempts: the stored count + 1 when the stored input hash is the record's, else 1.
        A "ready" record replaces the summary, title, translated flag, model and tokens; a
        "failed" one records its reason, hash and article ids but keeps a summary stored
        before (readers go on seeing it). A story that no longer exists: nothing stored.
        """
        if record.status not in (READY, FAILED):
            raise ValueError(f"summary status must be {READY!r} or {FAILED!r}")
        ready = record.status == READY
        if ready and not record.summary:
            raise ValueError("a ready summary record needs its summary")
        params = (
            record.story_id,
            record.language,
            record.input_hash,
            json.dumps(list(record.article_ids)),
            record.status,
            _text(record.title) if ready else None,
            _text(record.summary) if ready else None,
            int(bool(record.translated and ready)),
            _text(record.model) or "",
            _tokens(record.prompt_tokens) if ready else 0,
            _tokens(record.completion_tokens) if ready else 0,
            _text(record.reason),
            to_db(record.at),
            record.story_id,
        )
        async with self._transaction() as db:
            await db.execute(_SAVE, params)

    async def glosses(
        self, story_ids: Iterable[int], languages: Iterable[str] | None = None
    ) -> dict[tuple[int, str], Gloss]:
        """The summaries these stories have (in these languages; None: all), whatever
        the latest attempt's status: a later failed attempt keeps the summary shown."""
        wanted = None if languages is None else _unique(languages)
        if wanted == []:
            return {}
        among = "" if wanted is None else f" AND language IN ({placeholders(wanted)})"
        found: dict[tuple[int, str], Gloss] = {}
        for part in chunks(_unique(story_ids)):
            rows = await self._fetchall(
                f"""SELECT story_id, language, summary, title, translated
                    FROM story_summaries
                    WHERE story_id IN ({placeholders(part)}) AND summary IS NOT NULL{among}""",
                [*part, *(wanted or ())],
            )
            for r in rows:
                summary = _read_text(r["summary"])
                if summary:
                    found[(r["story_id"], r["language"])] = Gloss(
                        r["story_id"],
                        r["language"],
                        summary,
                        _read_text(r["title"]),
                        bool(r["translated"]),
                    )
        return found

    async def story_articles(self, story_id: int) -> list[Article]:
        """Every stored article of one story (oldest first, as the rest of the store reads
        articles); empty when it does not exist."""
        return await self.articles_of_story(story_id)  # type: ignore[attr-defined, no-any-return]

    async def add_llm_usage(self, day: date, counts: Mapping[str, int]) -> None:
        """Add to the day's counters (names such as calls, prompt_tokens, cache_hits,
        fallback:<reason>), creating them at need; zero counts are skipped. Each add is
        one upsert adding to the stored value, so concurrent adds (tasks, processes) lose
        nothing. Raises ValueError on a negative or out-of-range count."""
        rows = usage_rows(day, counts)
        if not rows:
            return
        async with self._transaction() as db:
            await db.executemany(_ADD_USAGE, rows)

    async def llm_usage(self, day: date) -> dict[str, int]:
        """The day's counters by name (those never counted are absent)."""
        rows = await self._fetchall(
            "SELECT name, value FROM llm_usage WHERE day = ? ORDER BY name", (day.isoformat(),)
        )
        return {r["name"]: int(r["value"]) for r in rows}
