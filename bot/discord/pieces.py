"""Cut a long reply into Discord messages (2,000 characters of content each), as digests
are split: at line ends, a line longer than a message cut where it must. A reply that
would need more than ``MAX_PIECES`` messages ends with a line saying how much was left out,
so nobody mistakes a cut list for the whole of it (``/news list server:True`` showed 34 of
64 channels with no hint)."""

from __future__ import annotations

from digests.i18n import t

# One answer and nine follow-ups: 20,000 characters, a server's ~130 channels with their
# last change, few enough that one reply never floods the asker's view.
MAX_PIECES = 10


def _lines(text: str, limit: int) -> list[str]:
    """The reply's lines, each at most ``limit`` characters (long ones cut in pieces)."""
    lines: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            lines.append(line[:limit])
            line = line[limit:]
        lines.append(line)
    return lines


def split_reply(text: str, limit: int, language: str, max_pieces: int = MAX_PIECES) -> list[str]:
    """``text`` as at most ``max_pieces`` messages of at most ``limit`` characters."""
    pieces: list[list[str]] = [[]]
    used = 0
    for line in _lines(text, limit):
        extra = len(line) + (1 if pieces[-1] else 0)
        if pieces[-1] and used + extra > limit:
            pieces.append([])
            extra = len(line)
            used = 0
        pieces[-1].append(line)
        used += extra
    if len(pieces) <= max_pieces:
        return ["\n".join(p) for p in pieces]
    kept = pieces[:max_pieces]
    left_out = sum(len(p) for p in pieces[max_pieces:])
    note = t(language, "… and %(count)d more lines, not shown.", count=left_out)
    last = kept[-1]
    # Make room for the note in the last message by dropping lines from its end.
    while last and len("\n".join([*last, note])) > limit:
        left_out += 1
        last.pop()
        note = t(language, "… and %(count)d more lines, not shown.", count=left_out)
    return ["\n".join(p) for p in kept[:-1]] + ["\n".join([*last, note])]
