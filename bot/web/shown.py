"""Messages drawn as each platform shows them, for the console's preview and breaking pages.

``telegram(messages)`` turns Telegram HTML (parse mode HTML) into safe HTML in a chat
bubble; ``discord(messages)`` turns Discord content and embeds into what Discord draws
(Discord's markdown and embeds are read in ``bot.web.shown_discord``). Every function
here is pure and returns ``Markup`` built only from escaped text and a fixed list of tags
and attributes: a message's text may hold anything an article, a model or an operator's
template put there, and it must never become live markup in an editor's browser.

Characters that would change what the editor sees without being visible (controls, bidi
overrides and isolates, lone surrogates) are drawn as a visible ``U+XXXX`` mark rather
than passed on, so a reversed or hidden piece of text shows up in the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import Markup

from bot.web.shown_discord import DiscordShown, EmbedShown, discord, discord_markdown, embed
from bot.web.shown_text import LINK_ATTRIBUTES, joined, safe_url, visible
from digests.outgoing import OutgoingMessage

# Telegram's nesting is shallow in practice; deeper input is shown as text rather than
# growing an unbounded stack of open tags.
MAX_DEPTH = 20
# Five times Telegram's 4,096 (entities add to the HTML): beyond it, no parse.
MAX_TELEGRAM_CHARS = 20_000

# --- Telegram ---------------------------------------------------------------------------

# Telegram's HTML tags (parse mode HTML) and the tag each is drawn as.
_TELEGRAM_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "em",
    "em": "em",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
}
TELEGRAM_SCHEMES = ("http", "https", "tg")


def _telegram_open(tag: str, attrs: dict[str, str | None]) -> tuple[Markup, Markup] | None:
    """The opening and closing HTML for one of Telegram's tags, or None for any other."""
    if tag in _TELEGRAM_TAGS:
        name = _TELEGRAM_TAGS[tag]
        return Markup(f"<{name}>"), Markup(f"</{name}>")
    if tag == "blockquote":
        kind = " expandable" if "expandable" in attrs else ""
        return Markup(f'<blockquote class="tg-quote{kind}">'), Markup("</blockquote>")
    if tag == "tg-spoiler" or (tag == "span" and attrs.get("class") == "tg-spoiler"):
        return Markup('<span class="tg-spoiler">'), Markup("</span>")
    if tag == "tg-emoji":  # a custom emoji: its text is the plain emoji it falls back to
        return Markup('<span class="tg-emoji">'), Markup("</span>")
    if tag == "a":
        url = safe_url(attrs.get("href"), TELEGRAM_SCHEMES)
        if url is None:  # Telegram would refuse the message; the words stay, unlinked
            return Markup('<span class="refused-link">'), Markup("</span>")
        return Markup('<a href="{}"{}>').format(url, LINK_ATTRIBUTES), Markup("</a>")
    return None


class _TelegramReader(HTMLParser):
    """Reads Telegram HTML into safe HTML: Telegram's tags redrawn, everything else text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Markup] = []
        self.open: list[tuple[str, Markup]] = []
        self.in_pre = 0

    def set_cdata_mode(self, elem: str) -> None:
        # <script> and <style> are not Telegram's: what follows them is read as any other
        # text (html.parser would otherwise hold it back, and drop it if never closed).
        return

    def _text(self, text: str) -> None:
        self.out.append(visible(text, breaks=not self.in_pre))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        drawn = _telegram_open(tag, dict(attrs)) if len(self.open) < MAX_DEPTH else None
        if drawn is None:
            self._text(self.get_starttag_text() or "")
            return
        self.out.append(drawn[0])
        self.open.append((tag, drawn[1]))
        self.in_pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._text(self.get_starttag_text() or "")  # Telegram has no empty tags

    def handle_endtag(self, tag: str) -> None:
        if all(name != tag for name, _close in self.open):
            self._text(f"</{tag}>")
            return
        while self.open:  # close what was left open inside it, as a browser would
            name, close = self.open.pop()
            self.out.append(close)
            self.in_pre -= name == "pre"
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_comment(self, data: str) -> None:
        self._text(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._text(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self._text(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self._text(f"<?{data}>")

    def drawn(self) -> Markup:
        self.close()
        closes = [close for _name, close in reversed(self.open)]
        return joined(self.out + closes)


def telegram_html(text: str) -> Markup:
    """Telegram HTML (parse mode HTML) as safe HTML: Telegram's own tags kept, links only
    to http, https and tg addresses, every other tag and character shown as text, and
    newlines as line breaks. A text far beyond Telegram's 4,096 is no message Telegram
    would take: it is shown as text, unread."""
    if len(text) > MAX_TELEGRAM_CHARS:
        return visible(text)
    reader = _TelegramReader()
    reader.feed(text)
    return reader.drawn()


@dataclass(frozen=True)
class TelegramShown:
    """One Telegram message as drawn: its text, and the page Telegram previews large above
    it (named, not fetched: its picture is on a page the console does not load)."""

    html: Markup
    preview: Markup  # the previewed address as text; empty when there is none
    preview_url: str | None  # the same address when it is an http(s) link worth making live


def telegram(messages: list[OutgoingMessage]) -> list[TelegramShown]:
    """Telegram messages drawn, in order (a message not in HTML parse mode is plain text)."""
    shown = []
    for message in messages:
        text = message.text
        html = telegram_html(text) if message.parse_mode == "HTML" else visible(text)
        address = message.preview_url or ""
        shown.append(TelegramShown(html, visible(address), safe_url(address)))
    return shown


__all__ = [
    "DiscordShown",
    "EmbedShown",
    "TelegramShown",
    "discord",
    "discord_markdown",
    "embed",
    "safe_url",
    "telegram",
    "telegram_html",
    "visible",
]
