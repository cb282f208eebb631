"""What a reply may quote back of what a chat member typed.

A reply that echoes an argument ("Unknown time zone …") must stay far under the platform's
message limit and must not let the argument rearrange or forge the reply: a 4,080-character
argument made Telegram refuse the whole reply ("Message is too long"), and a bidi override
in it reordered the text around it. ``excerpt`` is the one way replies quote input: control,
format (bidi among them), surrogate and separator characters are removed, runs of white
space become one space, and what is left is cut to ``limit`` characters with "…".
"""

from __future__ import annotations

import unicodedata

# How much of one argument a reply quotes: enough to recognise it, far under any limit.
EXCERPT_CHARS = 60

# Cc controls, Cf format characters (bidi controls among them), Cs lone surrogates, Zl/Zp
# separators: none of them has a reason to be shown back.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` made safe to quote in a reply and at most ``limit`` characters long."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _DROPPED
    )
    words = " ".join(kept.split())
    if len(words) <= limit:
        return words
    return words[: max(limit - 1, 0)].rstrip() + "…"


def excerpts(items: list[str], limit: int = EXCERPT_CHARS, count: int = 5) -> str:
    """Several quoted names, duplicates removed, at most ``count`` of them and "…" for more."""
    unique = list(dict.fromkeys(excerpt(item, limit) for item in items))
    shown = ", ".join(unique[:count])
    return shown + (", …" if len(unique) > count else "")
