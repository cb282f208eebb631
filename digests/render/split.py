"""Cut a rendered digest into messages at story boundaries, within a platform's limit.

Templates mark where one block (a header, a story, a footer) starts with ``block_marker``;
the splitter never cuts inside a block, so never inside a tag or a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import unescape

BLOCK = "\x1e"
ID_END = "\x1f"
JOINER = "\n\n"

TELEGRAM_LIMIT = 4096
DISCORD_CONTENT_LIMIT = 2000
PLAIN_LIMIT = 4096

_TAG = re.compile(r"<[^>]*>")


def block_marker(story_id: int | None = None) -> str:
    """What a template writes at the start of each block (story id, if it is a story)."""
    return f"{BLOCK}{story_id if story_id is not None else ''}{ID_END}"


@dataclass(frozen=True)
class Block:
    text: str
    story_id: int | None


def parse_blocks(rendered: str) -> list[Block]:
    """Split a template's output at its block markers; empty blocks are dropped."""
    blocks = []
    for piece in rendered.split(BLOCK):
        head, sep, body = piece.partition(ID_END)
        if not sep:
            head, body = "", piece
        text = body.strip()
        if text:
            blocks.append(Block(text, int(head) if head else None))
    return blocks


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def telegram_length(html: str) -> int:
    """Length as Telegram counts it: UTF-16 units of the text after entity parsing."""
    return utf16_length(unescape(_TAG.sub("", html)))


class Remembered:
    """``measure`` (Telegram's length by default) remembered per text, up to ``size``
    texts: a story's block is measured once however many digests of a dispatch carry it."""

    def __init__(self, measure: Callable[[str], int] = telegram_length, size: int = 20_000) -> None:
        self._measure, self._size = measure, size
        self._known: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._known.get(text)
        if found is None:
            if len(self._known) >= self._size:
                self._known.clear()
            found = self._known[text] = self._measure(text)
        return found


def pack(
    blocks: Sequence[Block],
    *,
    limit: int,
    measure: Callable[[str], int],
    shrink: Callable[[Block], Block] | None = None,
) -> list[list[Block]]:
    """Group blocks into messages whose joined text measures at most ``limit``.

    A block too long on its own is passed to ``shrink`` (which must return a block that
    fits); without one, ValueError is raised rather than send something the platform
    would reject.
    """
    messages: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    gap = measure(JOINER)
    for block in blocks:
        size = measure(block.text)
        if size > limit:
            if shrink is None:
                raise ValueError(f"a block of {size} exceeds the limit of {limit}")
            block = shrink(block)
            size = measure(block.text)
            if size > limit:
                raise ValueError(f"shrunk block of {size} still exceeds the limit of {limit}")
        extra = size if not current else gap + size
        if current and used + extra > limit:
            messages.append(current)
            current, used = [], 0
            extra = size
        current.append(block)
        used += extra
    if current:
        messages.append(current)
    return messages


def join(blocks: Sequence[Block]) -> str:
    return JOINER.join(b.text for b in blocks)
