"""digests.opml: the byte scan that refuses hostile files before parsing, the parse into
feeds with their folders, the folder-to-category rule, and the OPML 2.0 writer."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import listparser
import pytest

from digests.errors import InputError
from digests.models import Category
from digests.opml import (
    MAX_DEPTH,
    MAX_OPML_BYTES,
    MAX_OUTLINES,
    ExportFeed,
    OpmlError,
    assign_categories,
    build_opml,
    check_shape,
    folder_index,
    parse_opml,
    safe_name,
    xml_attr,
)

CATEGORIES = [
    Category("ai-frontier", "AI Frontier", "", 0),
    Category("climate", "Climate", "", 1),
    Category("markets", "Markets", "", 2),
]


def opml(body: str) -> bytes:
    return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()


def feed(url: str, text: str = "A feed", extra: str = "") -> str:
    return f'<outline type="rss" text="{text}" xmlUrl="{url}"{extra}/>'


def test_an_opml_error_is_an_input_error() -> None:
    assert issubclass(OpmlError, InputError)


def test_feeds_come_with_their_folder_paths_each_once() -> None:
    data = opml(
        '<outline text="Tech"><outline text="AI">'
        + feed("https://a.example/feed")
        + "</outline></outline>"
        + '<outline text="Climate">'
        + feed("https://a.example/feed?utm_source=x")  # the same feed, another spelling
        + feed("https://b.example/rss", extra=' category="/Markets,Misc/Deep"')
        + "</outline>"
    )
    parsed = parse_opml(data)
    first, second = parsed.feeds
    assert first.url == "https://a.example/feed"
    assert set(first.paths) == {("Tech", "AI"), ("Climate",)}
    assert set(second.paths) == {("Markets",), ("Misc", "Deep"), ("Climate",)}
    assert parsed.skipped == ()


@pytest.mark.parametrize(
    ("url", "reason", "shown"),
    [
        ("javascript:alert(1)", "not an http(s) feed URL", None),
        ("file:///etc/passwd", "not an http(s) feed URL", None),
        ("ftp://files.example/feed", "not an http(s) feed URL", None),
        # The report is printed: the password is not.
        (
            "https://user:secret@feeds.example/rss",
            "credentials in the URL",
            "https://feeds.example/rss",
        ),
    ],
)
def test_a_feed_url_that_is_not_http_is_skipped_with_its_reason(
    url: str, reason: str, shown: str | None
) -> None:
    parsed = parse_opml(opml(feed(url) + feed("https://ok.example/rss")))
    assert [f.url for f in parsed.feeds] == ["https://ok.example/rss"]
    [skip] = parsed.skipped
    assert (skip.url, skip.reason) == (shown or url, reason)


def test_lists_and_pages_without_a_feed_url_are_skipped() -> None:
    parsed = parse_opml(
        opml(
            '<outline text="More" type="include" url="https://lists.example/more.opml"/>'
            '<outline htmlUrl="https://page.example/"/>'
        )
    )
    assert parsed.feeds == ()
    assert [s.reason for s in parsed.skipped] == [
        "a link to another list, not fetched",
        "a web page without a feed URL",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t", "empty"),
        (b"just some text, not XML", "not an OPML file"),
        (b"<rss><channel/></rss>", "not an OPML file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        (opml(feed("https://a.example/\xe9")).replace(b"\xc3\xa9", b"\xe9"), "not UTF-8"),
        (b"<opml>\xed\xa0\x80</opml>", "not UTF-8"),  # an encoded lone surrogate
    ],
    ids=["empty", "blank", "text", "rss", "binary", "latin-1", "surrogate"],
)
def test_a_file_that_is_no_opml_is_one_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        parse_opml(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://a.example/&lol3;"/></body></opml>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/"/></body></opml>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL, b"<!doctype opml><opml/>"])
def test_entity_and_doctype_declarations_are_refused_before_parsing(data: bytes) -> None:
    with pytest.raises(OpmlError, match="DOCTYPE and ENTITY declarations are not accepted"):
        parse_opml(data)


def test_entities_that_reach_listparser_are_never_expanded_nor_fetched() -> None:
    # What the scan protects from anyway: the tokenizer listparser uses leaves them be.
    result = listparser.parse(BILLION_LAUGHS)
    assert "lol" not in result.feeds[0].title.replace("&lol3;", "")
    assert "root:" not in str(listparser.parse(EXTERNAL).feeds)


def test_nesting_past_the_cap_is_refused() -> None:
    deep = opml('<outline text="f">' * 10_000 + feed("https://a.example/") + "</outline>" * 10_000)
    with pytest.raises(OpmlError, match=f"nested more than {MAX_DEPTH} deep"):
        check_shape(deep)
    fine = opml('<outline text="f">' * 20 + feed("https://a.example/") + "</outline>" * 20)
    assert parse_opml(fine).feeds[0].paths == (("f",) * 20,)


def test_too_many_outlines_are_refused() -> None:
    many = opml("".join(feed(f"https://a.example/{i}") for i in range(100_000)))
    with pytest.raises(OpmlError, match=f"more than {MAX_OUTLINES:,} outlines"):
        check_shape(many)
    at_cap = opml("".join(feed(f"https://a.example/{i}") for i in range(MAX_OUTLINES)))
    assert len(parse_opml(at_cap).feeds) == MAX_OUTLINES


def test_other_elements_are_bounded_too() -> None:
    with pytest.raises(OpmlError, match="elements in one file"):
        check_shape(opml("<x/>" * 100_000))


def test_a_file_over_the_size_cap_is_refused() -> None:
    with pytest.raises(OpmlError, match="too large"):
        check_shape(b"x" * (MAX_OPML_BYTES + 1))


def test_the_scan_is_not_fooled_by_quotes_or_markup_in_attributes() -> None:
    # ">" and "/>" inside a quoted value neither close the tag nor make it empty.
    tricky = feed("https://a.example/", text='a &gt; b" data-x="/>" y="1')
    check_shape(opml('<outline text="x">' * (MAX_DEPTH - 3) + tricky + "</outline>" * 29))
    # An unclosed quote in a long file stays linear (each try stops at the next "<").
    started = time.perf_counter()
    check_shape(b'<opml><x a="' + b"<y/>" * 30_000 + b"</opml>")
    assert time.perf_counter() - started < 30  # a guard against a runaway, not a speed figure


def test_a_name_keeps_no_control_or_bidi_characters() -> None:
    assert safe_name("Evil\u202egnp.exe\x07  news\n", "https://a.example/") == "Evilgnp.exe news"
    assert safe_name("https://a.example/", "https://a.example/") is None
    assert safe_name("\x00\u200f", "https://a.example/") is None
    assert len(safe_name("x" * 1000, "u") or "") == 300


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ([("AI Frontier",)], ("ai-frontier",)),
        ([("ai-FRONTIER",)], ("ai-frontier",)),  # the slug, any case
        ([("  climate ",)], ("climate",)),
        ([("Climate", "Unsorted")], ("climate",)),  # else an outer folder's
        ([("Climate", "Markets")], ("markets",)),  # the innermost folder wins
        ([("Climate",), ("markets",)], ("climate", "markets")),  # two folders: both
        ([("Misc",)], ()),
        ([], ()),
    ],
)
def test_a_feed_goes_to_the_innermost_matching_folder_of_each_path(
    paths: list[tuple[str, ...]], expected: tuple[str, ...]
) -> None:
    assert assign_categories(paths, folder_index(CATEGORIES)) == expected


def test_xml_attr_escapes_markup_and_drops_what_xml_cannot_carry() -> None:
    assert xml_attr('a & <b> "c"\tline\n') == "a &amp; &lt;b&gt; &quot;c&quot;&#9;line&#10;"
    assert xml_attr("bell\x07nul\x00\ud800\uffff.") == "bellnul."


def test_the_export_is_opml_2_that_listparser_reads_back() -> None:
    groups = [
        (
            Category("ai-frontier", 'AI & "Frontier" <x>', "", 0),
            [
                ExportFeed("https://a.example/feed?x=1&y=2", "Lab\x01 Notes & more"),
                ExportFeed("https://b.example/rss", "Beta"),
            ],
        ),
        (
            Category("climate", "Climate\x1b[31m", "", 1),
            [ExportFeed("https://a.example/feed?x=1&y=2", "Lab")],
        ),
        (Category("markets", "Markets", "", 2), []),
    ]
    text = build_opml(groups, created=datetime(2026, 12, 2, 3, tzinfo=UTC))
    root = ET.fromstring(text.encode())  # well-formed XML, control characters dropped
    assert root.get("version") == "2.0"
    assert root.findtext("head/dateCreated") == "Wed, 02 Dec 2026 03:00:00 GMT"
    folders = root.findall("body/outline")
    assert [f.get("category") for f in folders] == ["ai-frontier", "climate", "markets"]
    assert folders[0].get("title") == 'AI & "Frontier" <x>'
    parsed = parse_opml(text.encode())
    by_url = {f.url: f for f in parsed.feeds}
    assert set(by_url) == {"https://a.example/feed?x=1&y=2", "https://b.example/rss"}
    cats = [
        Category("ai-frontier", 'AI & "Frontier" <x>', "", 0),
        Category("climate", "Climate[31m", "", 1),
    ]
    paths = by_url["https://a.example/feed?x=1&y=2"].paths
    assert assign_categories(paths, folder_index(cats)) == (
        "ai-frontier",
        "climate",
    )
    assert by_url["https://a.example/feed?x=1&y=2"].name == "Lab Notes & more"


@pytest.mark.parametrize(
    "date",
    [
        "Fri, 31 Dec 9999 23:59:59 -1200",
        "Mon, 01 Jan 0001 00:00:00 +1400",
        "9" * 5000,
        "Sat, 99 Foo 99999999999999999999 99:99:99 +9999",
    ],
)
def test_head_dates_and_character_references_never_stop_an_import(date: str) -> None:
    data = (
        f'<opml version="2.0"><head><dateCreated>{date}</dateCreated>'
        f"<dateModified>{date}</dateModified></head><body>"
        '<outline text="x&#0;&#xD800;" xmlUrl="https://a.example/&#xD800;"/></body></opml>'
    ).encode()
    [parsed] = parse_opml(data).feeds
    assert parsed.url == "https://a.example/%EF%BF%BD"  # a lone surrogate is no character
    assert parsed.name is not None and "\x00" not in parsed.name
    parsed.name.encode()  # stores and prints as UTF-8
