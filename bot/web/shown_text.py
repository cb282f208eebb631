"""Text and links made safe to show in a console page, shared by the Telegram and Discord
drawings (``bot.web.shown``): every function returns ``Markup`` built only from escaped
text and fixed tags, or a plain string checked for what it may be used as."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# Invisible characters that matter: C0/C1 controls (but tab and newline), bidi marks,
# embeddings, overrides and isolates, the byte-order mark, and lone surrogates (which
# could not even be encoded into the page).
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
LINK_ATTRIBUTES = Markup(' rel="noopener noreferrer" target="_blank"')


def visible(text: str, *, breaks: bool = True) -> Markup:
    """``text`` escaped, invisible characters drawn as marks, newlines as ``<br>`` (or,
    with ``breaks=False``, kept as newlines, for ``<pre>`` and attributes)."""
    parts: list[Markup] = []
    last = 0
    text = text.replace("\r\n", "\n")
    for found in _HIDDEN.finditer(text):
        parts.append(_escaped(text[last : found.start()], breaks))
        parts.append(_mark(found.group()))
        last = found.end()
    parts.append(_escaped(text[last:], breaks))
    return joined(parts)


def joined(parts: Iterable[Markup]) -> Markup:
    """Safe pieces as one: ``str.join`` (``Markup.join`` would escape each piece again,
    a cost that adds up over a long or deeply nested message)."""
    return Markup("".join(parts))


def _escaped(text: str, breaks: bool) -> Markup:
    escaped = str(escape(text))  # no "<" is left in it, so the breaks are the only tags
    return Markup(escaped.replace("\n", "<br>\n") if breaks else escaped)


def _mark(char: str) -> Markup:
    code = f"U+{ord(char):04X}"
    return Markup('<span class="ctl" title="{0}">{0}</span>').format(code)


def clean(text: str) -> str:
    """``text`` as a plain string safe to encode and to show (for attributes and for
    templates that escape it themselves): lone surrogates become U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8")


def safe_url(url: object, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """``url`` when it is a link worth making live: one of ``schemes``, no whitespace or
    invisible characters (a browser strips some of them, so ``java\\tscript:`` must not
    pass), a host for http(s). Otherwise None, and the caller shows it as text."""
    if not isinstance(url, str) or not url or len(url) > 4096 or _HIDDEN.search(url):
        return None
    if any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes or (scheme in ("http", "https") and not parts.netloc):
        return None
    return url


def link(url: str, inner: Markup) -> Markup:
    """An ``<a>`` to an already checked ``url``, opening apart from the console."""
    return Markup('<a href="{}"{}>{}</a>').format(url, LINK_ATTRIBUTES, inner)
