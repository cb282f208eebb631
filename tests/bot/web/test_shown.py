"""``bot.web.shown``: Telegram HTML and Discord markdown and embeds drawn as safe HTML.

Every drawing is checked two ways: what it shows, and that the only tags and attributes
in it are the ones the module may write (``live_markup`` parses the output back)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.web.shown import (
    discord,
    discord_markdown,
    embed,
    safe_url,
    telegram,
    telegram_html,
    visible,
)
from digests.outgoing import OutgoingMessage

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ALLOWED_TAGS = {
    "strong", "em", "u", "s", "code", "pre", "blockquote", "span", "a", "br",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"class", "href", "rel", "target", "title"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def live_markup(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The tags in ``html``, checked: only the allowed ones, links only to http(s)/tg."""
    reader = _Tags()
    reader.feed(html)
    for tag, attrs in reader.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (attrs, html)
        if "href" in attrs:
            assert str(attrs["href"]).startswith(("https://", "http://", "tg://")), html
    return reader.tags


# --- Telegram --------------------------------------------------------------------------


def test_telegram_tags_are_drawn_and_newlines_break() -> None:
    html = telegram_html(
        "<b>📰 Digest</b>\n<i>2 Dec</i> <u>u</u> <s>s</s> <code>c</code>\n"
        '<a href="https://news.example/a?x=1&amp;y=2">Title &amp; more</a>'
        '<span class="tg-spoiler">hidden</span><tg-spoiler>too</tg-spoiler>'
        "<blockquote>quoted</blockquote><pre>a\nb</pre>"
    )
    assert "<strong>📰 Digest</strong><br>\n<em>2 Dec</em> <u>u</u> <s>s</s>" in html
    assert '<a href="https://news.example/a?x=1&amp;y=2" rel="noopener noreferrer"' in html
    assert ">Title &amp; more</a>" in html
    assert '<span class="tg-spoiler">hidden</span><span class="tg-spoiler">too</span>' in html
    assert '<blockquote class="tg-quote">quoted</blockquote><pre>a\nb</pre>' in html
    live_markup(html)


def test_a_hostile_title_is_text() -> None:
    html = telegram_html(f"<b>{HOSTILE}</b>")
    assert html == (
        "<strong>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</strong>"
    )
    assert [tag for tag, _ in live_markup(html)] == ["strong"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "https:",
        "\u202ehttps://evil.example",
        "",
    ],
)
def test_a_link_that_is_no_web_link_keeps_its_words_unlinked(href: str) -> None:
    html = telegram_html(f'<a href="{href}">words</a>')
    assert "<a" not in html and "words" in html
    live_markup(html)


def test_a_quote_in_a_url_stays_inside_the_attribute() -> None:
    html = telegram_html('<a href="https://x.example/&quot;onmouseover=&quot;alert(1)">t</a>')
    assert 'href="https://x.example/&#34;onmouseover=&#34;alert(1)"' in html
    (tag,) = live_markup(html)
    assert tag[1]["href"] == 'https://x.example/"onmouseover="alert(1)'


def test_tg_links_are_kept_and_other_tags_escaped() -> None:
    html = telegram_html('<a href="tg://user?id=1">me</a><div onclick="x">d</div><br/><!-- c -->')
    assert '<a href="tg://user?id=1"' in html
    assert "&lt;div onclick=&#34;x&#34;&gt;d&lt;/div&gt;&lt;br/&gt;&lt;!-- c --&gt;" in html


@pytest.mark.parametrize(
    ("text", "mark"),
    [("a\u202eb", "U+202E"), ("a\u2066b", "U+2066"), ("a\x07b", "U+0007"), ("a\x1bb", "U+001B")],
)
def test_bidi_and_control_characters_are_drawn_as_marks(text: str, mark: str) -> None:
    html = telegram_html(f"<b>{text}</b>")
    assert f'<span class="ctl" title="{mark}">{mark}</span>' in html
    assert text[1] not in html
    live_markup(html)


def test_a_lone_surrogate_is_drawn_as_a_mark_and_the_page_can_be_encoded() -> None:
    html = visible("a\ud800b")
    assert "U+D800" in html
    html.encode("utf-8")


def test_unclosed_misnested_and_deep_tags_stay_balanced() -> None:
    html = telegram_html("<b><i>one</b> two <script>never closed")
    assert html == "<strong><em>one</em></strong> two &lt;script&gt;never closed"
    deep = telegram_html("<b>" * 5000 + "x")
    assert deep.count("<strong>") == deep.count("</strong>") == 20
    assert deep.count("&lt;b&gt;") == 4980
    huge = telegram_html("<b>" * 100_000)  # no message Telegram takes: text, unread
    assert "<strong>" not in huge and huge.count("&lt;b&gt;") == 100_000


def test_a_5000_character_title_is_kept_whole() -> None:
    title = "Ư" * 5000
    assert telegram_html(f"<b>{title}</b>") == f"<strong>{title}</strong>"


def test_telegram_messages_name_their_preview() -> None:
    (drawn,) = telegram(
        [OutgoingMessage(text="<b>x</b>", parse_mode="HTML", preview_url="https://news.example/a")]
    )
    assert drawn.html == "<strong>x</strong>"
    assert drawn.preview == "https://news.example/a"
    assert drawn.preview_url == "https://news.example/a"
    (unsafe,) = telegram([OutgoingMessage(text="<b>x</b>", preview_url="javascript:1")])
    assert unsafe.preview_url is None and unsafe.preview == "javascript:1"
    assert unsafe.html == "&lt;b&gt;x&lt;/b&gt;"  # not HTML parse mode: plain text


# --- Discord -------------------------------------------------------------------------


def test_discord_markdown_is_drawn() -> None:
    html = discord_markdown(
        "**bold** *it* _it2_ __under__ ~~gone~~ ||spoiler|| `code`\n"
        "[Source](https://news.example/a%28b%29) <https://news.example/c> https://bare.example/d.\n"
        "> quoted\n> again\nafter \\*not italic\\* \\[x\\]"
    )
    assert "<strong>bold</strong> <em>it</em> <em>it2</em> <u>under</u> <s>gone</s>" in html
    assert '<span class="dc-spoiler">spoiler</span> <code class="dc-code">code</code>' in html
    assert '<a href="https://news.example/a%28b%29" rel="noopener noreferrer"' in html
    assert ">Source</a>" in html and ">https://news.example/c</a>" in html
    assert ">https://bare.example/d</a>." in html
    assert '<blockquote class="dc-quote">quoted<br>\nagain</blockquote>' in html
    assert "after *not italic* [x]" in html
    live_markup(html)


def test_a_bold_masked_link_as_the_story_template_writes_it() -> None:
    html = discord_markdown("**[Floods \\*close\\* the \\[ferry\\]](https://news.example/f)**")
    assert html == (
        '<strong><a href="https://news.example/f" rel="noopener noreferrer" '
        'target="_blank">Floods *close* the [ferry]</a></strong>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](javascript:alert%281%29)",
        "[x](data:text/html,hi)",
        "<javascript:alert(1)>",
        "[x](https:)",
    ],
)
def test_a_masked_link_to_no_web_address_is_text(text: str) -> None:
    html = discord_markdown(text)
    assert "<a" not in html
    assert str(html).replace("&lt;", "<").replace("&gt;", ">") == text  # as typed
    live_markup(html)


def test_hostile_text_in_discord_is_text() -> None:
    html = discord_markdown(f"**{HOSTILE}** \u202eevil\x00")
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "U+202E" in html and "U+0000" in html
    assert [tag for tag, _ in live_markup(html)] == ["strong", "span", "span"]


def test_code_blocks_keep_their_text_literal() -> None:
    html = discord_markdown("before\n```py\n**not bold** <b>\n```\nafter")
    assert '<pre class="dc-pre"><code>**not bold** &lt;b&gt;</code></pre>' in html
    assert html.startswith("before") and html.endswith("after")


def test_deep_nesting_and_long_text_are_bounded() -> None:
    deep = discord_markdown("**" * 2000 + "x" + "**" * 2000)
    deep.encode("utf-8")
    live_markup(deep)
    long = discord_markdown("*" * 9000)
    assert long == "*" * 9000


def test_a_link_inside_a_link_is_text() -> None:
    html = discord_markdown("[see https://a.example/x](https://b.example/y)")
    assert html.count("<a ") == 1 and "see https://a.example/x</a>" in html


def test_an_embed_is_drawn_in_its_parts() -> None:
    drawn = embed(
        {
            "author": {"name": "Desk", "url": "https://news.example"},
            "title": "Climate **now**",
            "url": "https://news.example/c",
            "description": "**[T](https://news.example/t)**\nsummary",
            "color": 0x3498DB,
            "fields": [{"name": "Where", "value": "*Hanoi*", "inline": True}, "junk"],
            "image": {"url": "https://img.example/p.jpg"},
            "footer": {"text": "digestbot"},
            "timestamp": "2026-11-27T12:00:00+00:00",
        }
    )
    assert drawn.colour == "#3498db"
    assert drawn.author == "Desk" and drawn.author_url == "https://news.example"
    assert drawn.title == "Climate <strong>now</strong>" and drawn.url == "https://news.example/c"
    assert "<strong><a href" in drawn.description and "<br>\nsummary" in drawn.description
    assert len(drawn.fields) == 1 and drawn.fields[0].inline
    assert drawn.fields[0].value == "<em>Hanoi</em>"
    assert drawn.image == "https://img.example/p.jpg" and drawn.footer == "digestbot"
    assert drawn.timestamp == "2026-11-27 12:00 +0000"


@pytest.mark.parametrize(
    "data",
    [
        {"color": "red", "url": "javascript:alert(1)", "title": HOSTILE},
        {"color": True, "author": "not a dict", "fields": "nope", "timestamp": "tomorrow"},
        {"color": -1, "image": {"url": 'https://x.example/"onerror="alert(1)'}},
        {"color": 2**40, "footer": {"text": ["a list"]}, "timestamp": 1e300},
    ],
)
def test_a_strange_embed_is_drawn_safely(data: dict[str, object]) -> None:
    drawn = embed(data)  # type: ignore[arg-type]
    assert drawn.colour is None and drawn.url is None
    for part in (drawn.title, drawn.description, drawn.image, drawn.footer, drawn.timestamp):
        live_markup(str(part))
    assert "<script" not in drawn.title


def test_discord_messages_keep_their_order() -> None:
    drawn = discord(
        [
            OutgoingMessage(text="**intro**", embeds=({"title": "A"}, {"title": "B"})),
            OutgoingMessage(text="", embeds=({"title": "C"},)),
        ]
    )
    assert [m.content for m in drawn] == ["<strong>intro</strong>", ""]
    assert [e.title for m in drawn for e in m.embeds] == ["A", "B", "C"]


def test_safe_url() -> None:
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("tg://user?id=1", ("tg",)) == "tg://user?id=1"
    assert safe_url("tg://user?id=1") is None
    assert safe_url("https://[::1") is None  # malformed host
    assert safe_url("https://a.example/" + "x" * 5000) is None
    assert safe_url(None) is None
