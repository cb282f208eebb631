"""Suggestions ("did you mean …?") for names a person types: category slugs in the CLI,
feeds.toml and imports. Pure functions; callers put the text into their own one-line errors."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from digests.timeutil import short

# Below this WRatio a "suggestion" is more confusing than none ("sports" for "climate").
SCORE_CUTOFF = 70


def close_matches(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """Up to ``limit`` of ``choices`` close to ``word``, best first."""
    options = list(dict.fromkeys(choices))
    if not word or not options or len(word) > 200:
        return []
    lowered = {option.lower(): option for option in options}
    if word.lower() in lowered:
        return [lowered[word.lower()]]
    found = process.extract(
        word, options, scorer=fuzz.WRatio, limit=limit, score_cutoff=SCORE_CUTOFF
    )
    return [name for name, _score, _index in found]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'climate'?)`` or an empty string when nothing is close."""
    matches = close_matches(word, choices)
    if not matches:
        return ""
    return f" (did you mean {' or '.join(repr(m) for m in matches)}?)"


def unknown_categories(slugs: Iterable[str], known: Iterable[str]) -> str | None:
    """The one-line error for the slugs not in ``known``, with suggestions; None if all known."""
    known = list(known)
    missing = [s for s in slugs if s not in set(known)]
    if not missing:
        return None
    if len(missing) == 1:
        return f"unknown category: {short(missing[0])}{did_you_mean(missing[0], known)}"
    parts = [f"{short(s)}{did_you_mean(s, known)}" for s in missing]
    return f"unknown categories: {', '.join(parts)}"
