"""Discord messages drawn as Discord draws them: the content and embed descriptions read as
Discord markdown, and each embed's parts (colour bar, author, title, description, fields,
image, footer, timestamp) ready for ``templates/console/_discord.html.j2``.

The markdown reader is deliberately small: what Discord renders in messages and embeds
(bold, italic, underline, strike, spoilers, code, quotes, small headings, masked links,
``<url>`` and bare links, backslash escapes), read once, left to right. A link is live
only to an http(s) address; anything else, such as ``[x](javascript:alert(1))``, is shown
as the text Discord would show. Everything else is escaped text (``shown_text.visible``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from bot.web.shown_text import joined, link, safe_url, visible
from digests.outgoing import OutgoingMessage

# Discord caps content at 2,000 characters and a description at 4,096: a longer text did
# not come from a renderer, and is shown as plain text rather than read as markdown (so a
# hostile text cannot make the reader's lazy patterns scan it over and over).
MARKDOWN_CHARS = 8_000
# Emphasis inside emphasis, as deep as a person would write it; deeper is shown as text.
MAX_NESTING = 8
EMBED_TEXT_CHARS = 6_000

_INLINE = re.compile(
    r"""
      \\(?P<esc>[^\w\s])
    | (?P<tick>`+)(?P<code>.+?)(?P=tick)
    | \[(?P<ltext>(?:\\.|[^\\\[\]])+)\]\(<?(?P<lurl>[^()\s<>]+)>?\)
    | <(?P<aurl>https?://[^\s>]+)>
    | <(?P<mention>@[!&]?\d{1,20}|\#\d{1,20})>
    | (?P<url>https?://[^\s<]*[^\s<.,:;"'\])])
    | \*\*(?P<b>(?:\\.|[^\\])+?)\*\*
    | __(?P<u>(?:\\.|[^\\])+?)__
    | ~~(?P<s>(?:\\.|[^\\])+?)~~
    | \|\|(?P<sp>(?:\\.|[^\\])+?)\|\|
    | \*(?P<i>[^\s*\\](?:\\.|[^\\*])*?)\*
    | (?<!\w)_(?P<i2>[^\s_\\](?:\\.|[^\\_])*?)_(?!\w)
    """,
    re.VERBOSE | re.DOTALL,
)
_WRAP = {
    "b": ("<strong>", "</strong>"),
    "u": ("<u>", "</u>"),
    "s": ("<s>", "</s>"),
    "sp": ('<span class="dc-spoiler">', "</span>"),
    "i": ("<em>", "</em>"),
    "i2": ("<em>", "</em>"),
}
_FENCE = re.compile(r"```(?:([A-Za-z0-9_+-]{1,20})\n)?(.*?)```", re.DOTALL)
_HEADING = re.compile(r"(#{1,3}) (.+)")
_LIST = re.compile(r"(\s*)[-*] (.+)")


def _inline(text: str, depth: int = 0, in_link: bool = False) -> Markup:
    """One line's inline markdown."""
    if depth > MAX_NESTING:
        return visible(text)
    parts: list[Markup] = []
    last = 0
    for found in _INLINE.finditer(text):
        parts.append(visible(text[last : found.start()]))
        parts.append(_token(found, depth, in_link))
        last = found.end()
    parts.append(visible(text[last:]))
    return joined(parts)


def _token(found: re.Match[str], depth: int, in_link: bool) -> Markup:
    kind = found.lastgroup if found.lastgroup != "tick" else "code"
    groups = found.groupdict()
    if groups["esc"] is not None:
        return visible(groups["esc"])
    if groups["code"] is not None:
        return Markup('<code class="dc-code">{}</code>').format(visible(groups["code"]))
    if groups["mention"] is not None:
        shown = "#channel" if groups["mention"].startswith("#") else "@mention"
        return Markup('<span class="dc-mention">{}</span>').format(shown)
    for name in ("lurl", "aurl", "url"):
        if groups[name] is not None:
            return _link(found, name, depth, in_link)
    for name, (opening, closing) in _WRAP.items():
        if groups[name] is not None:
            inner = _inline(groups[name], depth + 1, in_link)
            return Markup(opening) + inner + Markup(closing)
    raise AssertionError(f"a markdown token without a kind: {kind}")


def _link(found: re.Match[str], name: str, depth: int, in_link: bool) -> Markup:
    url = safe_url(found.group(name))
    if url is None or in_link:  # not a link Discord would make: the text, as typed
        return visible(found.group(0))
    if name == "lurl":
        return link(url, _inline(found.group("ltext"), depth + 1, in_link=True))
    return link(url, visible(url))


def _lines(text: str) -> Markup:
    """Text outside code blocks: quotes (``> `` a line, ``>>> `` the rest), headings, list
    items, then each line's inline markdown."""
    drawn: list[tuple[bool, Markup]] = []
    rest_quoted = False
    for line in text.split("\n"):
        quoted = rest_quoted
        if line.startswith(">>> ") and not rest_quoted:
            rest_quoted = quoted = True
            line = line[4:]
        elif line.startswith("> "):
            quoted, line = True, line[2:]
        drawn.append((quoted, _line(line)))
    return _grouped(drawn)


def _line(line: str) -> Markup:
    heading = _HEADING.fullmatch(line)
    if heading:
        level = len(heading.group(1))
        return Markup('<span class="dc-h{}">{}</span>').format(level, _inline(heading.group(2)))
    item = _LIST.fullmatch(line)
    if item:
        return Markup('<span class="dc-li">• {}</span>').format(_inline(item.group(2)))
    return _inline(line)


def _grouped(lines: list[tuple[bool, Markup]]) -> Markup:
    """Lines joined by breaks, each run of quoted lines inside one quote block."""
    out: list[Markup] = []
    index = 0
    while index < len(lines):
        quoted = lines[index][0]
        run = []
        while index < len(lines) and lines[index][0] == quoted:
            run.append(lines[index][1])
            index += 1
        lines_run = Markup("<br>\n").join(run)
        if quoted:
            out.append(Markup('<blockquote class="dc-quote">{}</blockquote>').format(lines_run))
        else:
            out.append(lines_run)  # a quote that follows is a block: it starts its own line
    return joined(out)


def discord_markdown(text: str) -> Markup:
    """Discord markdown (a message's content, an embed's description or field value) as
    safe HTML."""
    if len(text) > MARKDOWN_CHARS:
        return visible(text)
    parts: list[Markup] = []
    last = 0
    for fence in _FENCE.finditer(text):
        parts.append(_lines(text[last : fence.start()].strip("\n")))
        code = visible(fence.group(2).strip("\n"), breaks=False)
        parts.append(Markup('<pre class="dc-pre"><code>{}</code></pre>').format(code))
        last = fence.end()
    parts.append(_lines(text[last:].strip("\n") if last else text))
    return joined(part for part in parts if part)


# --- embeds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldShown:
    name: Markup
    value: Markup
    inline: bool


@dataclass(frozen=True)
class EmbedShown:
    """One embed's parts, each already safe: ``colour`` is ``#rrggbb`` or None (Discord's
    grey bar), URLs are None unless they are http(s) links, texts are Markup."""

    colour: str | None
    author: Markup
    author_url: str | None
    title: Markup
    url: str | None
    description: Markup
    fields: tuple[FieldShown, ...]
    image: Markup  # the picture's address, named; empty when there is none
    thumbnail: Markup
    footer: Markup
    timestamp: Markup  # as shown, with its offset
    timestamp_iso: str  # for <time datetime="...">, empty when there is none


@dataclass(frozen=True)
class DiscordShown:
    content: Markup
    embeds: tuple[EmbedShown, ...]


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)[:EMBED_TEXT_CHARS]


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _colour(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
        return f"#{value:06x}"
    return None


def _picture(value: object) -> Markup:
    """A picture's address, named as text (never loaded: the console's pages load no
    outside pictures); empty when there is none."""
    return visible(_text(value), breaks=False)


def _when(value: object) -> tuple[Markup, str]:
    """The timestamp as shown, and as ISO 8601 for ``<time>`` (empty when unreadable)."""
    text = _text(value)
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        return visible(text), ""
    return visible(moment.strftime("%Y-%m-%d %H:%M %z")), moment.isoformat()


def _fields(value: object) -> tuple[FieldShown, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(
        FieldShown(
            name=discord_markdown(_text(field.get("name"))),
            value=discord_markdown(_text(field.get("value"))),
            inline=field.get("inline") is True,
        )
        for field in value[:25]
        if isinstance(field, dict)
    )


def embed(data: dict[str, Any]) -> EmbedShown:
    """One embed in the API's JSON shape (as ``OutgoingMessage.embeds`` holds it), drawn."""
    author = _part(data, "author")
    when, iso = _when(data.get("timestamp"))
    return EmbedShown(
        colour=_colour(data.get("color")),
        author=visible(_text(author.get("name"))),
        author_url=safe_url(author.get("url")),
        # A title is one line, and a link itself when the embed has a url: no links inside.
        title=_inline(" ".join(_text(data.get("title")).split()), in_link=True),
        url=safe_url(data.get("url")),
        description=discord_markdown(_text(data.get("description"))),
        fields=_fields(data.get("fields")),
        image=_picture(_part(data, "image").get("url")),
        thumbnail=_picture(_part(data, "thumbnail").get("url")),
        footer=visible(_text(_part(data, "footer").get("text"))),
        timestamp=when,
        timestamp_iso=iso,
    )


def discord(messages: list[OutgoingMessage]) -> list[DiscordShown]:
    """Discord messages (content and embeds) drawn, in order."""
    return [
        DiscordShown(
            content=discord_markdown(message.text),
            embeds=tuple(embed(e) for e in message.embeds[:10] if isinstance(e, dict)),
        )
        for message in messages
    ]
