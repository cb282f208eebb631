from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.ingest.normalise import (
    InvalidURL,
    canonical_url,
    clean_title,
    html_to_text,
    read_minutes,
    resolve_published,
    summarise,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.COM/a?utm_source=x&utm_medium=y&id=3#frag", "https://example.com/a?id=3"),
        ("http://example.com:80/path", "http://example.com/path"),
        ("https://example.com:8443/path", "https://example.com:8443/path"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?fbclid=1&gclid=2&b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("https://example.com/a?UTM_Campaign=z&q=", "https://example.com/a?q="),
        ("  https://example.com/Case/Path  ", "https://example.com/Case/Path"),
        ("https://xn--bcher-kva.example./x", "https://xn--bcher-kva.example/x"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        # Dot segments are resolved (RFC 3986 §5.2.4).
        ("https://example.com/a/../b", "https://example.com/b"),
        ("https://example.com/a/./b/../../c/", "https://example.com/c/"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../../x", "https://example.com/x"),
        ("https://example.com/a/%2E%2E/b", "https://example.com/b"),
        ("https://example.com/a..b/.c", "https://example.com/a..b/.c"),
        # The query is kept as written, in order, minus tracking parameters.
        ("https://example.com/s?q=a%20b", "https://example.com/s?q=a%20b"),
        ("https://example.com/s?q=a+b", "https://example.com/s?q=a+b"),
        ("https://example.com/s?flag", "https://example.com/s?flag"),
        ("https://example.com/s?flag&utm_source=x&b=", "https://example.com/s?flag&b="),
        ("https://example.com/s?next=/a/b&x=1", "https://example.com/s?next=/a/b&x=1"),
        ("https://example.com/s?a=1&&b=2&", "https://example.com/s?a=1&b=2"),
        ("https://example.com/s?utm_source=x", "https://example.com/s"),
        ("https://example.com/s?", "https://example.com/s"),
        # Escapes: upper-case hex, unreserved characters decoded, the rest encoded once.
        ("https://example.com/%7euser/%c3%a9", "https://example.com/~user/%C3%A9"),
        ("https://example.com/café?q=thé", "https://example.com/caf%C3%A9?q=th%C3%A9"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
        ('https://example.com/a"b<c>', "https://example.com/a%22b%3Cc%3E"),
        # International host names in their ASCII (punycode) form.
        ("https://Bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
        ("https://[::1]:8080/a", "https://[::1]:8080/a"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/a/../b", "https://example.com/b"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://example.com/%7Ex", "https://example.com/~x"),
    ],
)
def test_spellings_of_one_address_are_one_key(one: str, other: str) -> None:
    assert canonical_url(one) == canonical_url(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/s?flag", "https://example.com/s?flag="),
        ("https://example.com/s?q=a%20b", "https://example.com/s?q=a+b"),
        ("https://example.com/a%2Fb", "https://example.com/a/b"),
    ],
)
def test_addresses_a_server_may_tell_apart_stay_apart(one: str, other: str) -> None:
    assert canonical_url(one) != canonical_url(other)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "example.com/a",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https:///nohost",
        "https://exa mple.com/",
        "http://[::1",
        "https://exa\ud800mple.com/",  # a lone surrogate
        "https://example.com/\udfff",
        "https://bü..example/",  # an empty label
        "https://bü" + "x" * 70 + ".example/",  # a label over 63 characters
    ],
)
def test_canonical_url_rejects(raw: str) -> None:
    with pytest.raises(InvalidURL):
        canonical_url(raw)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hello <b>world</b></p><p>Again</p>", "Hello world Again"),
        ("Fish &amp; chips &lt;3 &#x1F41F;", "Fish & chips <3 🐟"),
        ("<script>alert('x')</script>Safe<style>p{}</style>", "Safe"),
        ("line\n\n\t  break", "line break"),
        ("&amp;lt;b&amp;gt; double-escaped", "<b> double-escaped"),
        ("a<br>b", "a b"),
        ("zero\u200bwidth\x00 and\x1e markers", "zerowidth and markers"),
        # Bidi embeddings, overrides and isolates: a title cannot pose as "invoice.pdf".
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2066a\u2067b\u2068c\u2069 \u202a\u202b\u202c\u202d\u200e\u200f\u061c", "abc"),
        ("soft\xadhyphen, word\u2060joiner, tag\U000e0041s", "softhyphen, wordjoiner, tags"),
        ("C1\x9bcontrol\x85next", "C1control next"),
        # ZWNJ and ZWJ stay: Persian words and emoji sequences need them.
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f4bb",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f4bb",
        ),
        (None, ""),
    ],
)
def test_html_to_text(html: str | None, text: str) -> None:
    assert html_to_text(html) == text


def test_summary_cuts_at_a_sentence_near_the_target() -> None:
    sentence = "This sentence has exactly some words in it. "
    text = sentence * 20
    summary = summarise(text, 300)
    assert summary.endswith("in it.")
    assert 150 <= len(summary) <= 360


def test_summary_without_sentences_cuts_at_a_word_with_ellipsis() -> None:
    text = "word " * 200
    summary = summarise(text.strip(), 300)
    assert summary.endswith("…") and len(summary) <= 300
    assert not summary[:-1].endswith(" ")


def test_short_text_is_left_alone() -> None:
    assert summarise("Short. Text.") == "Short. Text."


def test_title_is_one_line_and_capped() -> None:
    assert clean_title("<em>Big</em>\n news") == "Big news"
    assert len(clean_title("x" * 1000)) == 300


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (100, 1), (460, 2), (2300, 10)])
def test_read_minutes(words: int, minutes: int) -> None:
    assert read_minutes(words) == minutes


@pytest.mark.parametrize(
    ("published", "first_import", "feed_updated", "expected"),
    [
        (NOW - timedelta(hours=3), True, None, (NOW - timedelta(hours=3), True)),
        (NOW + timedelta(days=30), False, None, (NOW, True)),
        (None, False, None, (NOW, True)),
        (None, True, NOW - timedelta(days=300), (NOW - timedelta(days=300), False)),
        (None, True, None, (NOW, False)),
    ],
)
def test_resolve_published(
    published: datetime | None,
    first_import: bool,
    feed_updated: datetime | None,
    expected: tuple[datetime, bool],
) -> None:
    assert (
        resolve_published(published, now=NOW, first_import=first_import, feed_updated=feed_updated)
        == expected
    )


def test_every_invisible_format_character_but_zwnj_and_zwj_leaves_a_title() -> None:
    import sys
    import unicodedata

    kept = {"\u200c", "\u200d"}
    format_chars = [
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
    ]
    assert len(format_chars) > 150
    left = [f"U+{ord(c):04X}" for c in format_chars if c not in kept and c in clean_title(f"a{c}b")]
    assert left == []
