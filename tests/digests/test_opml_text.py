"""digests.opml_text and what parse_opml makes of real-world and hostile text: files in
another encoding, the slips of hand-built exports, OPML 1.0's ``url``, reader-app
schemes, and markup that an HTML tokenizer reads differently from XML (nesting hidden from
the byte scan, input on which it is quadratic)."""

from __future__ import annotations

import time
import unicodedata

import pytest

from digests.models import Category
from digests.opml import (
    MAX_DEPTH,
    MAX_SHOWN_URL,
    OpmlError,
    assign_categories,
    folder_index,
    parse_opml,
)
from digests.opml_text import MAX_PLACES

HEAD = '<opml version="2.0"><body>'
TAIL = "</body></opml>"


def feed(url: str, text: str = "A feed") -> str:
    return f'<outline type="rss" text="{text}" xmlUrl="{url}"/>'


@pytest.mark.parametrize(
    "opener",
    ['<outline text="<">', "<outline text=a/>"],
    ids=["lt-in-value", "unquoted-slash"],
)
def test_nesting_the_byte_scan_cannot_see_is_refused(opener: str) -> None:
    # listparser's HTML tokenizer nests these where a byte scan saw no tag or an empty
    # one; each feed below copied a 3,000-folder path (150 MB for this file).
    data = (HEAD + opener * 3000 + feed("https://a.example/") * 3000 + TAIL).encode()
    with pytest.raises(OpmlError):
        parse_opml(data)


def test_nesting_is_counted_on_what_xml_nests() -> None:
    deep = HEAD + '<outline text="f">' * (MAX_DEPTH - 3) + feed("https://a.example/")
    [one] = parse_opml((deep + "</outline>" * (MAX_DEPTH - 3) + TAIL).encode()).feeds
    assert len(one.paths[0]) == MAX_DEPTH - 3
    deeper = HEAD + '<outline text="f">' * MAX_DEPTH + "</outline>" * MAX_DEPTH + TAIL
    with pytest.raises(OpmlError, match=f"nested more than {MAX_DEPTH} deep"):
        parse_opml(deeper.encode())


@pytest.mark.parametrize(
    "body",
    [b"</" * 200_000, b"<?" * 200_000, b"<![CDATA[ ] ]> " + b"</" * 200_000 + b"]]>"],
    ids=["end-tags", "processing-instructions", "cdata"],
)
def test_input_the_html_tokenizer_is_quadratic_on_is_quick(body: bytes) -> None:
    # 400 KB of "</" took listparser a minute; 8 MB would take hours.
    started = time.perf_counter()
    try:
        assert parse_opml(HEAD.encode() + body + TAIL.encode()).feeds == ()
    except OpmlError as exc:
        assert "not well-formed XML" in str(exc) and "\n" not in str(exc)
    # Not a speed figure (bench/opml_import.py has those): a guard against the minute it
    # took, with room for a loaded machine.
    assert time.perf_counter() - started < 30


def test_comments_and_cdata_hold_no_feeds() -> None:
    data = (
        '<?xml version="1.0"?><!-- <outline xmlUrl="https://comment.example/"> -->'
        + HEAD
        + '<outline text="x"><![CDATA[<outline xmlUrl="https://cdata.example/"/>]]></outline>'
        + feed("https://real.example/")
        + TAIL
    ).encode()
    assert [f.url for f in parse_opml(data).feeds] == ["https://real.example/"]


CLIMATE = [Category("climate", "Khí hậu", "", 0)]


@pytest.mark.parametrize(
    ("encoding", "declared", "folder", "name"),
    [
        ("iso-8859-1", "ISO-8859-1", "climate", "Café"),
        ("windows-1252", "windows-1252", "CLIMATE", "Café “quoted”"),
        ("cp1258", "windows-1258", "Khí hậu", "Tin Khí hậu"),  # Vietnamese
        ("koi8-r", "KOI8-R", "climate", "Новости"),
    ],
)
def test_a_file_in_the_encoding_its_declaration_names_is_decoded(
    encoding: str, declared: str, folder: str, name: str
) -> None:
    text = (
        f'<?xml version="1.0" encoding="{declared}"?>'
        + HEAD
        + f'<outline text="{folder}">'
        + feed("https://a.example/", name)
        + "</outline>"
        + TAIL
    )
    if encoding == "cp1258":  # it holds "â" but writes the dot below as a combining mark
        text = text.replace("ậ", "â\u0323")
    data = text.encode(encoding)
    [one] = parse_opml(data).feeds
    assert unicodedata.normalize("NFC", one.name or "") == name
    assert assign_categories(one.paths, folder_index(CLIMATE)) == ("climate",)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_byte_order_marks_and_utf_16_without_one(encoding: str) -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        + HEAD
        + feed("https://a.example/", "Tin Khí hậu")
        + TAIL
    )
    [one] = parse_opml(text.encode(encoding)).feeds
    assert (one.url, one.name) == ("https://a.example/", "Tin Khí hậu")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<?xml version="1.0" encoding="x-nonesuch"?><opml t="\xe9"/>', "unknown text encoding"),
        (b'<?xml version="1.0" encoding="rot13"?><opml t="\xe9"/>', "unknown text encoding"),
        (b'<?xml version="1.0" encoding="utf-8"?><opml t="\xe9"/>', "not UTF-8 text"),
        (b'<?xml version="1.0" encoding="ascii"?><opml t="\xe9"/>', "not ascii text"),
    ],
)
def test_an_encoding_that_cannot_be_used_is_one_line(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        parse_opml(data)


def test_slips_of_hand_built_exports_are_repaired() -> None:
    data = (
        HEAD
        + feed("https://a.example/feed?a=1&b=2", "News&nbsp;&amp; more &copy; &bogus; &")
        + feed("https://b.example/?x=&#0;&#xD800;&#99999999999;", "raw\x01control")
        + TAIL
    ).encode()
    first, second = parse_opml(data).feeds
    assert (first.url, first.name) == (
        "https://a.example/feed?a=1&b=2",
        "News & more © &bogus; &",
    )
    assert second.url == "https://b.example/?x=%EF%BF%BD%EF%BF%BD%EF%BF%BD"
    assert second.name == "raw\ufffdcontrol"


def test_an_opml_1_feed_named_in_url_is_a_feed_not_a_folder() -> None:
    data = (
        HEAD
        + '<outline text="Old" type="rss" url="https://old.example/rss"/>'
        + '<outline text="Atom" type="Atom" URL="https://atom.example/feed"/>'
        + '<outline text="Page" type="link" url="https://page.example/list.opml"/>'
        + TAIL
    ).encode()
    parsed = parse_opml(data)
    assert [f.url for f in parsed.feeds] == ["https://old.example/rss", "https://atom.example/feed"]
    assert [s.reason for s in parsed.skipped] == ["a link to another list, not fetched"]


@pytest.mark.parametrize(
    ("written", "url"),
    [
        ("feed://news.example/rss", "http://news.example/rss"),
        ("FEED:https://news.example/rss", "https://news.example/rss"),
        ("itpc://pod.example/feed.xml", "http://pod.example/feed.xml"),
        ("pcast://pod.example/feed.xml", "http://pod.example/feed.xml"),
    ],
)
def test_reader_app_schemes_are_their_web_address(written: str, url: str) -> None:
    assert [f.url for f in parse_opml((HEAD + feed(written) + TAIL).encode()).feeds] == [url]


def test_a_100_000_character_url_is_a_skip_shown_cut() -> None:
    long_url = "https://a.example/" + "x" * 100_000
    [skip] = parse_opml((HEAD + feed(long_url) + TAIL).encode()).skipped
    assert skip.reason == "longer than 2,048 characters"
    assert len(skip.url) == MAX_SHOWN_URL + 1 and skip.url.endswith("…")


@pytest.mark.parametrize(
    "folder",
    ["  KHÍ   HẬU ", unicodedata.normalize("NFD", "khí hậu"), "ＫＨÍ ＨẬＵ"],
    ids=["spaces-and-case", "decomposed", "full-width"],
)
def test_a_folder_matches_a_category_name_in_any_case_spacing_or_unicode_form(
    folder: str,
) -> None:
    assert assign_categories([(folder,)], folder_index(CLIMATE)) == ("climate",)


def test_a_feed_named_in_too_many_places_is_refused() -> None:
    # listparser compares each of a feed's folder paths and categories with the ones it
    # already has: 40,000 categories on one outline took 76 s, 5,000 folders 5 s.
    many_categories = (
        feed("https://a.example/")[:-2] + f' category="{",".join(map(str, range(40_000)))}"/>'
    )
    one_feed_everywhere = "".join(
        f'<outline text="f{i}">{feed("https://a.example/")}</outline>' for i in range(5000)
    )
    for body, message in [
        (many_categories, f"names more than {MAX_PLACES - 1} categories"),
        (one_feed_everywhere, f"one feed is in more than {MAX_PLACES} folders"),
    ]:
        with pytest.raises(OpmlError, match=message):
            parse_opml((HEAD + body + TAIL).encode())


def test_a_feed_in_many_spellings_and_folders_keeps_each_path_once() -> None:
    body = "".join(
        f'<outline text="f{i}">{feed(f"https://a.example/?utm_source={i}")}</outline>'
        f'<outline text="f{i}">{feed(f"https://A.example/?utm_medium={i}")}</outline>'
        for i in range(2500)
    )
    [one] = parse_opml((HEAD + body + TAIL).encode()).feeds
    assert one.url == "https://a.example/"
    assert one.paths == tuple((f"f{i}",) for i in range(2500))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf_16_without_a_mark_or_declaration_starting_with_white_space(encoding: str) -> None:
    text = "\n  " + HEAD + feed("https://a.example/", "Tin Khí hậu") + TAIL
    [one] = parse_opml(text.encode(encoding)).feeds
    assert one.name == "Tin Khí hậu"


def test_utf_8_declared_as_latin_1_is_read_as_utf_8() -> None:
    # Tools that write UTF-8 under a copied declaration: read as Latin-1, every accent
    # would turn into two letters (Khí → KhÃ­).
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        + HEAD
        + feed("https://a.example/", "Khí hậu")
        + TAIL
    )
    [one] = parse_opml(text.encode("utf-8")).feeds
    assert one.name == "Khí hậu"


def test_a_file_of_bare_ampersands_is_refused_once_repaired() -> None:
    # Each "&" becomes "&amp;": five times the text, which expat then read for seconds.
    data = (HEAD + '<outline text="' + "&" * 4_000_000 + '"/>' + TAIL).encode()
    with pytest.raises(OpmlError, match="repaired, exceeds"):
        parse_opml(data)
