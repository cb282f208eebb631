"""A strict checker for Telegram's HTML parse mode, used to prove our output is accepted.

Only the tags Telegram documents, properly nested; ``a`` needs an http(s) href; every
other ``<``, ``>`` and ``&`` must be escaped.
"""

from __future__ import annotations

import re
from html import unescape

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
    "span",
}
_TOKEN = re.compile(
    r"<(?P<close>/)?(?P<tag>[a-z][a-z-]*)(?P<attrs>(?:\s+[a-z-]+=\"[^\"<>]*\")*)\s*>"
    r"|&(?P<entity>lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);"
    r"|(?P<bad>[<>&])"
)


class InvalidTelegramHTML(AssertionError):
    pass


def check(html: str) -> str:
    """Raise InvalidTelegramHTML if Telegram would reject ``html``; return its visible text."""
    stack: list[str] = []
    for match in _TOKEN.finditer(html):
        if match.group("bad"):
            start = max(0, match.start() - 20)
            raise InvalidTelegramHTML(
                f"unescaped {match.group('bad')!r} near {html[start : match.end() + 20]!r}"
            )
        tag = match.group("tag")
        if tag is None:
            continue
        if tag not in ALLOWED:
            raise InvalidTelegramHTML(f"tag <{tag}> is not allowed")
        if match.group("close"):
            if not stack or stack.pop() != tag:
                raise InvalidTelegramHTML(f"</{tag}> closes nothing open")
            continue
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', match.group("attrs")))
        if tag == "a":
            href = unescape(attrs.get("href", ""))
            if not re.match(r"https?://", href) or set(attrs) != {"href"}:
                raise InvalidTelegramHTML(f"bad link attributes {attrs}")
        elif attrs and tag not in ("span", "tg-emoji", "code", "pre", "blockquote"):
            raise InvalidTelegramHTML(f"<{tag}> takes no attributes")
        stack.append(tag)
    if stack:
        raise InvalidTelegramHTML(f"unclosed tags {stack}")
    return unescape(re.sub(r"<[^>]*>", "", html))
