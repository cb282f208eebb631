"""Checks on a model's answer before any reader sees it: JSON against the schema, length,
language, no links, mentions or markup, no sign of obeying an instruction planted in an
article. Pure; a refused answer names its reason (counted as ``fallback:<reason>``).

The checks run in the order of CHECK_REASONS and each is named by the reason it gives;
``reason`` is the first that failed, and ``checks`` lists them all (``digestbot
summarize`` prints it). The title (asked for when translating) gets the checks that make
sense for a title: all but the sentence count.

The language: ``detect_language`` must name the reader's language for the text without its
words that hold a capital (names, which sway the detector: "Nguyễn Phú Trọng met the U.S.
president" reads as Vietnamese whole). When the detector is unsure (too short, or no
language above its threshold), the text passes only if all its letters are of the
language's script, and for Vietnamese if its lower-case words carry Vietnamese accents, for
English if they carry no letter only Vietnamese uses (a text of names and numbers alone,
such as the title "Apple iPhone 17", passes on its script).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from digests.language import detect_language
from digests.safejson import JSONInputError, loads
from digests.summaries.inputs import SummaryInput
from digests.summaries.markers import shares_run, talks_like_a_model

INVALID_JSON = "invalid_json"
SCHEMA = "schema"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
SENTENCES = "sentences"
CONTROL = "control"
WRONG_LANGUAGE = "wrong_language"
LINK = "link"
MENTION = "mention"
MARKUP = "markup"
INJECTION = "injection"
CHECK_REASONS = (
    INVALID_JSON,
    SCHEMA,
    TOO_SHORT,
    TOO_LONG,
    SENTENCES,
    CONTROL,
    WRONG_LANGUAGE,
    LINK,
    MENTION,
    MARKUP,
    INJECTION,
)

MIN_SUMMARY_CHARS = 20
# Letters an accepted text must hold: braille blanks, emoji or digits alone read as nothing.
MIN_SUMMARY_LETTERS = 10
MIN_TITLE_LETTERS = 1
MAX_SUMMARY_CHARS = 300
MIN_TITLE_CHARS = 2
MAX_TITLE_CHARS = 200
MAX_SENTENCES = 2
# How much longer than the caps the raw text (before whitespace is collapsed) may be, and
# how much of it the checks read: its words in NFKC (at most the cap) and that whitespace.
RAW_FACTOR = 2
MAX_RAW_READ = RAW_FACTOR + 1
# An answer longer than this is not one we asked for (max_tokens caps it far below).
MAX_ANSWER_CHARS = 8000


@dataclass(frozen=True)
class Checked:
    """The verdict on one answer. ``checks`` lists each check by name with whether it
    passed (for ``digestbot summarize``); ``reason`` is the first failed one's reason.
    ``summary`` and ``title`` are the accepted text (whitespace collapsed), None when
    refused."""

    ok: bool
    reason: str | None
    summary: str | None
    title: str | None
    checks: tuple[tuple[str, bool], ...]


# --- parsing ---------------------------------------------------------------------------

FENCE = "```"


def unfenced(text: str) -> str:
    """``text`` without the markdown code fence (```json ... ```) some local servers wrap
    their JSON in even when asked for JSON. String operations, not a pattern: a lazy
    pattern between two ``\\s*`` is cubic on a fence full of spaces (minutes on 8,000)."""
    stripped = text.strip()
    if len(stripped) < 2 * len(FENCE) or not (
        stripped.startswith(FENCE) and stripped.endswith(FENCE)
    ):
        return text
    inner = stripped[len(FENCE) : -len(FENCE)]
    if inner[:4].lower() == "json":
        inner = inner[4:]
    return inner.strip()


def parse_answer(text: str, translate: bool) -> tuple[str, str | None] | str:
    """(summary, title) from the answer, or the reason it is unusable (INVALID_JSON or
    SCHEMA). Hostile JSON (deep, huge numbers, lone surrogates) is INVALID_JSON."""
    if len(text) > MAX_ANSWER_CHARS:
        return INVALID_JSON
    try:
        value = loads(unfenced(text))
    except JSONInputError:
        return INVALID_JSON
    expected = {"summary", "title"} if translate else {"summary"}
    if not isinstance(value, dict) or set(value) != expected:
        return SCHEMA
    if not all(isinstance(field, str) for field in value.values()):
        return SCHEMA
    return value["summary"].strip(), value["title"].strip() if translate else None


# --- sentences -------------------------------------------------------------------------

# Sentence-ending punctuation, what may close a quote after it, then a space.
_BOUNDARY = re.compile(r"([.!?…。]+)[\"'”’)\]»]*\s+")
_INITIALISM = re.compile(r"(?:\w\.)+\w|\w")
# Words a period follows without ending a sentence (English and Vietnamese: "TP. Hồ Chí
# Minh", "ThS."), compared lower-cased without the period.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft inc ltd co corp vs etc eg ie no nos gen gov sen rep "
    "jan feb mar apr jun jul aug sep sept oct nov dec approx est dept fig vol pp ca "
    "tp ths ts pgs gs tt".split()
)


def _is_abbreviation(before: str) -> bool:
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip("\"'“‘([")
    return _INITIALISM.fullmatch(word) is not None or word.lower() in _ABBREVIATIONS


def count_sentences(text: str) -> int:
    """How many sentences ``text`` has. A boundary is ., !, ? or … before a space and a
    word that does not start lower-case; a period after an initial ("U.S."), an
    abbreviation ("Dr.") or inside a number ("3.5") is no boundary."""
    count = 1 if text.strip() else 0
    for match in _BOUNDARY.finditer(text):
        following = text[match.end() : match.end() + 1]
        if not following or following.islower():
            continue
        if match.group(1) == "." and _is_abbreviation(text[: match.start()]):
            continue
        count += 1
    return count


# --- characters, language --------------------------------------------------------------

_ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control(text: str) -> bool:
    """True when ``text`` holds a control, format (bidi, zero-width) or surrogate character
    other than tab and line breaks."""
    return any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in _ALLOWED_CONTROLS
        for ch in text
    )


# The scripts whose letters a language's text may hold (first word of the Unicode name).
_SCRIPTS = {
    "en": frozenset({"LATIN"}),
    "vi": frozenset({"LATIN"}),
    "de": frozenset({"LATIN"}),
    "es": frozenset({"LATIN"}),
    "fr": frozenset({"LATIN"}),
    "id": frozenset({"LATIN"}),
    "pt": frozenset({"LATIN"}),
    "ru": frozenset({"CYRILLIC", "LATIN"}),
}
# Letters only Vietnamese uses: the Latin Extended Additional block's Vietnamese range and
# the few outside it.
_VIETNAMESE_ONLY = re.compile("[\u1ea0-\u1ef9ăĂđĐơƠưƯĩĨũŨ]")


def script_ok(text: str, language: str) -> bool:
    """True when every letter of ``text`` is of ``language``'s script (any letter when the
    language's script is not listed)."""
    scripts = _SCRIPTS.get(language)
    if scripts is None:
        return True
    for ch in text:
        if ch.isalpha() and unicodedata.name(ch, "?").split(" ", 1)[0] not in scripts:
            return False
    return True


def _accents_ok(plain: str, language: str) -> bool:
    if not any(ch.isalpha() for ch in plain):
        return True  # names and numbers only ("Apple iPhone 17"): nothing to tell by
    if language == "vi":
        return any(ch.isalpha() and not ch.isascii() for ch in plain)
    if language == "en":
        return _VIETNAMESE_ONLY.search(plain) is None
    return True


def without_names(text: str) -> str:
    """``text`` without its words that hold a capital ("Nguyễn", "iPhone", "GPT-5"): names,
    and each sentence's first word."""
    return " ".join(word for word in text.split() if not any(ch.isupper() for ch in word))


def language_ok(text: str, language: str) -> bool:
    """True when ``text`` is in ``language`` (see the module docstring)."""
    plain = without_names(text)
    guess = detect_language(plain)
    if guess is not None:
        return guess == language
    return script_ok(text, language) and _accents_ok(plain, language)


# --- links, mentions, markup ---------------------------------------------------------------

# Top-level domains: Telegram links every IANA one (.zip, .mov, .vip, .casino, ...), so any
# run of 2-24 letters counts, and punycode ones. ".js", ".ts" and ".HCM" are no domains
# ("Node.js", "TP.HCM"); a shipped copy of the IANA list would be exact.
_TLDS = r"[a-z]{2,24}|xn--[a-z0-9-]{1,59}"
_LINK = re.compile(
    r"\b[a-z][a-z0-9+.-]*://|\bwww\.|\b(?:mailto|javascript|data|tg):"
    # A bare domain, also after "name@": an e-mail address is a link too (Telegram marks it
    # as one, Discord makes it a mailto: link).
    rf"|(?<![\w.-])(?:[^\W_](?:[\w-]{{0,61}}[^\W_])?\.)+(?!(?:js|ts|hcm)\b)(?:{_TLDS})(?![\w-])",
    re.IGNORECASE,
)
_MENTION = re.compile(
    r"@(?:everyone|here)\b|<[@#][!&]?\d+>|<@|(?<![\w.])@[a-z0-9_]{2,32}\b"
    # A Telegram bot command ("/start") is a tap away from being sent.
    r"|(?<![\w/<])/[a-z][a-z0-9_]{0,31}(?:@\w+)?(?![\w/])",
    re.IGNORECASE,
)
_MARKUP = re.compile(
    r"`|\*\*|__|~~|\|\|"  # code, bold, underline, strike, spoiler
    r"|(?<![\w*])\*(?=\S)[^*\n]*?\S\*(?![\w*])|(?<!\w)_(?=\S)[^_\n]*?\S_(?!\w)"  # italic
    r"|\[[^\]\n]*\]\("  # [text](url)
    r"|</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>|<!--|&(?:#\d+|#x[0-9a-f]+|[a-z]+);"  # HTML
    r"|<[^<>\s]*:[^<>\s]*>"  # Discord's <t:1>, <:emoji:1>, <https://...>
    r"|(?:^|\n)\s*(?:#{1,6}|>|-#)\s"  # heading, quote, Discord subtext
    r"|(?<![\w&#])#[^\W\d_]\w*",  # hashtag (a link in Telegram)
    re.IGNORECASE,
)


# Dots NFKC leaves alone that IDNA (browsers, chat apps' link finders) reads as '.'.
_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})


def _folded(text: str) -> str:
    """``text`` as a link finder may read it: NFKC (full-width '．', '＠', '／' and letters
    are the ASCII ones) and the ideographic dots as '.'."""
    return unicodedata.normalize("NFKC", text).translate(_DOTS)


def has_link(text: str) -> bool:
    """True when ``text`` holds a URL, ``www.`` or a bare domain (``bit.ly/x``, ``t.me``),
    also in full-width or ideographic look-alikes."""
    return _LINK.search(_folded(text)) is not None


def has_mention(text: str) -> bool:
    """True when ``text`` holds ``@everyone``, ``@here``, ``<@123>``, ``<#1>`` or ``@name``
    (also in full-width look-alikes)."""
    return _MENTION.search(_folded(text)) is not None


def has_markup(text: str) -> bool:
    """True when ``text`` holds HTML, markdown or Telegram/Discord markup, or a hashtag."""
    return _MARKUP.search(text) is not None


# --- the checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    raw_summary: str
    raw_title: str | None
    summary: str
    title: str | None
    source: SummaryInput

    def fields(self) -> tuple[str, ...]:
        return (self.summary,) if self.title is None else (self.summary, self.title)

    def capped(self) -> _Answer:
        """The answer as the checks after the length ones read it: in NFKC (what link
        finders and the markers read: full-width '．' is '.', '㏂' is "a.m."), cut to the
        caps. On an answer that passed the length checks nothing is cut."""
        return _Answer(
            _compat(self.raw_summary, MAX_RAW_READ * MAX_SUMMARY_CHARS),
            None
            if self.raw_title is None
            else _compat(self.raw_title, MAX_RAW_READ * MAX_TITLE_CHARS),
            _compat(self.summary, MAX_SUMMARY_CHARS),
            None if self.title is None else _compat(self.title, MAX_TITLE_CHARS),
            self.source,
        )


def _compat(text: str, limit: int) -> str:
    # Cut before and after NFKC: one character may become 18 ("\ufdfa").
    return unicodedata.normalize("NFKC", text[:limit])[:limit]


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _lengths_short(a: _Answer) -> bool:
    summary_ok = len(a.summary) >= MIN_SUMMARY_CHARS and _letters(a.summary) >= MIN_SUMMARY_LETTERS
    return summary_ok and (
        a.title is None
        or (len(a.title) >= MIN_TITLE_CHARS and _letters(a.title) >= MIN_TITLE_LETTERS)
    )


def _fits(raw: str | None, flat: str | None, limit: int) -> bool:
    if raw is None or flat is None:
        return True
    # Measured in NFKC, the form the later checks read; the raw text (whose line breaks
    # the markup check reads) may hold some more whitespace, not pages of it.
    return len(raw) <= RAW_FACTOR * limit and len(unicodedata.normalize("NFKC", flat)) <= limit


def _lengths_long(a: _Answer) -> bool:
    return _fits(a.raw_summary, a.summary, MAX_SUMMARY_CHARS) and _fits(
        a.raw_title, a.title, MAX_TITLE_CHARS
    )


def _language(a: _Answer) -> bool:
    language = a.source.language
    return language_ok(a.summary, language) and (a.title is None or language_ok(a.title, language))


def _injection(a: _Answer) -> bool:
    return not any(
        talks_like_a_model(field) or shares_run(field, a.source.dropped) for field in a.fields()
    )


_Check = tuple[str, Callable[[_Answer], bool]]
_LENGTH_CHECKS: tuple[_Check, ...] = ((TOO_SHORT, _lengths_short), (TOO_LONG, _lengths_long))
# These read the answer cut to the caps: an answer past them is refused already, and some
# are quadratic on hostile text (the link pattern on "a.a.a.", the sentence count), which
# on 8,000 characters held the event loop the dispatch ticks share for seconds.
_CHECKS: tuple[_Check, ...] = (
    (SENTENCES, lambda a: count_sentences(a.summary) <= MAX_SENTENCES),
    (CONTROL, lambda a: not any(has_control(f or "") for f in (a.raw_summary, a.raw_title))),
    (WRONG_LANGUAGE, _language),
    (LINK, lambda a: not any(map(has_link, a.fields()))),
    (MENTION, lambda a: not any(map(has_mention, a.fields()))),
    (MARKUP, lambda a: not any(has_markup(f) for f in (a.raw_summary, a.raw_title or ""))),
    (INJECTION, _injection),
)


def _flat(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def check_output(text: str, summary_input: SummaryInput) -> Checked:
    """Parse and check the model's answer ``text`` for ``summary_input``."""
    parsed = parse_answer(text, summary_input.translate)
    if isinstance(parsed, str):
        checks = ((INVALID_JSON, parsed != INVALID_JSON),)
        if parsed == SCHEMA:
            checks += ((SCHEMA, False),)
        return Checked(False, parsed, None, None, checks)
    summary, title = parsed
    answer = _Answer(
        summary, title, _flat(summary), None if title is None else _flat(title), summary_input
    )
    capped = answer.capped()
    ran = tuple((name, check(answer)) for name, check in _LENGTH_CHECKS) + tuple(
        (name, check(capped)) for name, check in _CHECKS
    )
    results = ((INVALID_JSON, True), (SCHEMA, True), *ran)
    reason = next((name for name, passed in results if not passed), None)
    if reason is not None:
        return Checked(False, reason, None, None, results)
    return Checked(True, None, answer.summary, answer.title, results)
