"""Escaping for each platform's markup, used as Jinja filters.

Telegram HTML escaping is Jinja's autoescape; these cover Discord markdown (including
mentions, which must never fire from article text) and plain text.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()<])")
# These only mean something at the start of a line (headings, lists, quotes).
_MD_LINE_START = re.compile(r"^(\s*)([#\-+])")
_MD_ORDERED = re.compile(r"^(\s*\d+)\.")
_MENTION = re.compile(r"@(?=(everyone|here|[!&]?\d|\S))", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ZERO_WIDTH_SPACE = "\u200b"


def strip_control(text: str) -> str:
    """Remove control characters (our block markers among them) from article text."""
    return _CONTROL.sub("", text)


def discord_escape(text: str) -> str:
    """Make article text inert in Discord markdown: formatting characters are escaped and
    every ``@`` gets a zero-width space, so ``@everyone`` or ``<@&123>`` cannot ping."""
    flat = " ".join(strip_control(text).split())
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    escaped = _MD_ORDERED.sub(r"\1\\.", _MD_LINE_START.sub(r"\1\\\2", escaped))
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, escaped)


# In Discord markdown as our templates write it: an escaped character, a link, or bold.
_MD_PLAIN = re.compile(r"\\(.)|\[((?:\\.|[^\\\]])*)\]\(([^)\s]*)\)|\*\*", re.DOTALL)


def discord_plain(markdown: str, *, unfurl: bool = True) -> str:
    """Discord markdown made by our templates as plain text: ``[text](url)`` becomes
    ``text (url)``, bold markers go, and each escaped character is itself again (so an
    article's own backslashes stay). The zero-width spaces that defuse mentions stay.
    With ``unfurl=False`` each URL is written ``<url>``, which Discord shows as the link
    alone, without the page's preview and picture."""

    def plain(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        if match.group(3) is not None:
            url = match.group(3) if unfurl else f"<{match.group(3)}>"
            return f"{discord_plain(match.group(2), unfurl=unfurl)} ({url})"
        return ""

    return _MD_PLAIN.sub(plain, markdown)


def discord_url(url: str) -> str:
    """A URL safe inside ``[text](url)``: the characters that would end it are encoded."""
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def one_line(text: str, limit: int = 200) -> str:
    """The first sentence of a summary, or its first ``limit`` characters at a word end."""
    text = " ".join(strip_control(text).split())
    if len(text) <= limit:
        return text
    for end in (". ", "! ", "? ", "。"):
        cut = text.find(end, 40, limit)
        if cut != -1:
            return text[: cut + 1]
    space = text.rfind(" ", 0, limit - 1)
    return text[: space if space > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    text = strip_control(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
