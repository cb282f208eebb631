"""The newsroom's analytics tags on outgoing links (``digests.linktags``), as a table."""

from __future__ import annotations

import pytest

from digests.linktags import host_is_tagged, tag_link
from digests.settings import load_settings
from digests.urls import canonical_url

TAGS = (("utm_source", "digestbot"), ("utm_medium", "{platform}"))
HOSTS = frozenset({"news.example"})
ADDED = "utm_source=digestbot&utm_medium=telegram"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a", f"https://news.example/a?{ADDED}"),
        # A subdomain is covered; a host that merely ends in the same letters is not.
        ("https://www.news.example/a", f"https://www.news.example/a?{ADDED}"),
        ("https://badnews.example/a", "https://badnews.example/a"),
        ("https://news.example.evil/a", "https://news.example.evil/a"),
        ("https://other.example/a", "https://other.example/a"),
        # Other parameters keep their order and form; a tag already there is replaced.
        ("https://news.example/a?id=7&q=a+b", f"https://news.example/a?id=7&q=a+b&{ADDED}"),
        ("https://news.example/a?utm_source=x&id=7", f"https://news.example/a?id=7&{ADDED}"),
        ("https://news.example/a?utm_medium=a&utm_medium=b", f"https://news.example/a?{ADDED}"),
        ("https://news.example/a?utm%5Fsource=x", f"https://news.example/a?{ADDED}"),
        # The fragment stays, after the query.
        ("https://news.example/a?x=1#top", f"https://news.example/a?x=1&{ADDED}#top"),
        ("https://NEWS.example:8443/a", f"https://NEWS.example:8443/a?{ADDED}"),
        # Not a web link, or not a link at all: unchanged.
        ("mailto:desk@news.example", "mailto:desk@news.example"),
        ("https://[::1/a", "https://[::1/a"),
        ("", ""),
    ],
)
def test_tag_link(url: str, expected: str) -> None:
    assert tag_link(url, TAGS, HOSTS, platform="telegram") == expected


def test_nothing_is_tagged_without_tags_or_hosts() -> None:
    url = "https://news.example/a"
    assert tag_link(url, (), HOSTS, platform="discord") == url
    assert tag_link(url, TAGS, frozenset(), platform="discord") == url


def test_the_platform_fills_its_placeholder_and_values_are_encoded() -> None:
    tags = (("utm_campaign", "{platform}-{weekly}"),)
    assert (
        tag_link("https://news.example/", tags, HOSTS, platform="discord")
        == "https://news.example/?utm_campaign=discord-%7Bweekly%7D"
    )


def test_tagging_twice_changes_nothing_more() -> None:
    once = tag_link("https://news.example/a?x=1", TAGS, HOSTS, platform="plain")
    assert tag_link(once, TAGS, HOSTS, platform="plain") == once


@pytest.mark.parametrize(
    ("host", "tagged"),
    [
        ("news.example", True),
        ("a.b.news.example", True),
        ("news.example.", True),
        ("xnews.example", False),
    ],
)
def test_host_is_tagged(host: str, tagged: bool) -> None:
    assert host_is_tagged(host, HOSTS) is tagged


def test_a_host_given_in_its_own_script_tags_the_stored_punycode_links() -> None:
    reach = load_settings(
        {"LINK_TAGS": "utm_source=digestbot", "LINK_TAG_HOSTS": "Bücher.Example"}
    ).reach
    assert reach.link_tag_hosts == {"xn--bcher-kva.example"}
    url = canonical_url("https://bücher.example/a")
    tagged = tag_link(url, reach.link_tags, reach.link_tag_hosts, platform="telegram")
    assert tagged == "https://xn--bcher-kva.example/a?utm_source=digestbot"
