"""The checks every new feed passes (``digests.feed_checks``), whoever adds it: here the
addresses no feed lives at."""

from __future__ import annotations

import pytest

from digests.feed_checks import LINK_LOCAL, FeedRefused, check_feed_fields, link_local


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://169.254.169.254/latest/meta-data/", True),
        ("http://[fe80::1]/feed.xml", True),
        ("http://[::ffff:169.254.1.1]/feed.xml", True),
        ("http://127.0.0.1:8080/feed.xml", False),  # a newsroom's own server may be here
        ("http://10.1.2.3/feed.xml", False),
        ("https://example.org/feed.xml", False),
        ("https://169.254.example.org/feed.xml", False),  # a name, not an address
    ],
)
def test_link_local_addresses_are_refused(url: str, refused: bool) -> None:
    assert link_local(url) is refused
    if refused:
        with pytest.raises(FeedRefused) as raised:
            check_feed_fields(url, name=None, interval=None)
        assert raised.value.reason == LINK_LOCAL
        assert "link-local" in str(raised.value)
    else:
        assert check_feed_fields(url, name=None, interval=None).url.startswith("http")
