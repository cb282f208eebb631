"""``canonical_url`` refuses what no one can fetch (red-team findings 16 and 17): a
punycode label that decodes to nothing, an empty label, a link over 2048 characters."""

from __future__ import annotations

import pytest

from digests.urls import MAX_URL_CHARS, InvalidURL, canonical_url


@pytest.mark.parametrize(
    "url",
    [
        "http://xn--/a",
        "https://xn--zz.example/",
        "https://news.xn--a.example/",
        "https://xn--abc-.example/",
        "https://a..b/",
        "https://.example/",
        "https://b\u00fccher..example/",
    ],
)
def test_invalid_hosts_are_refused(url: str) -> None:
    with pytest.raises(InvalidURL, match="not a valid host name"):
        canonical_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://xn--bcher-kva.example/x", "https://xn--bcher-kva.example/x"),
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example/"),
        ("https://XN--LS8H.la/", "https://xn--ls8h.la/"),
        ("https://example.com./", "https://example.com/"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://127.0.0.1/x", "http://127.0.0.1/x"),
    ],
)
def test_valid_hosts_still_pass(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_a_link_at_the_cap_passes_and_one_over_it_is_refused() -> None:
    at_cap = "https://x.example/" + "a" * (MAX_URL_CHARS - len("https://x.example/"))
    assert canonical_url(at_cap) == at_cap
    with pytest.raises(InvalidURL, match=r"URL too long \(2049 characters; at most 2048\)"):
        canonical_url(at_cap + "a")
    # Percent-encoding can make a short text a long link: the cap applies to the result.
    with pytest.raises(InvalidURL, match="URL too long"):
        canonical_url("https://x.example/" + "\u00e9" * 1000)


def test_the_message_of_an_overlong_link_stays_short() -> None:
    with pytest.raises(InvalidURL) as caught:
        canonical_url("https://x.example/" + "a" * 100_000)
    assert len(str(caught.value)) < 200
