"""Text from strangers made safe to print on an operator's terminal.

An audit line's target, a feed's title or a server's error message can carry ANSI escape
sequences (which colour or clear the terminal), a newline (which forges a second line) or
bidi controls (which reorder what is shown). ``printable`` escapes every such character,
visibly, as ``\\x1b`` or ``\\u202e``, so the operator sees what was sent and nothing more.
"""

from __future__ import annotations

import unicodedata

# Cc: C0/C1 controls (ESC, CSI, newline); Cf: format characters, bidi controls among them;
# Cs: lone surrogates, which cannot even be encoded for output; Zl/Zp: line and paragraph
# separators, which some terminals break lines at.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str | None) -> str:
    """``text`` with every control, format, surrogate and separator character escaped."""
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        _escape(char) if unicodedata.category(char) in _UNSAFE else char for char in text
    )


# Bidi embedding, override and isolate controls, and the marks: in a name or a link they can
# make text read differently from what it is ("exe.gnp" shown as "png.exe").
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def unsafe_char(text: str) -> str | None:
    """The first control or bidi character in ``text`` as ``U+XXXX``, or None.

    For names and identifiers that have no reason to hold one; prose is cleaned instead.
    """
    for char in text:
        if char in BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None
