"""A server's address as a setting (digests.envurls): http(s) or ws(s), a host, a valid
port, nothing a platform library would turn into an error that prints a token."""

from __future__ import annotations

import pytest

from digests.envfields import SettingsError
from digests.envurls import Url


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (Url(path=True), "https://api.telegram.org/bot"),
        (Url(path=True), "http://[::1]:8081/bot"),
        (Url(path=True), "http://localhost/"),
        (Url(), "https://discord.com"),
        (Url(schemes=("ws", "wss")), "WSS://gateway.discord.gg/"),
    ],
)
def test_a_server_address_is_kept_as_written(kind: Url, text: str) -> None:
    assert kind.parse("NAME", text) == text and kind.show(text) == text


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        # A token appended to a bare host becomes its port, and httpx prints the port.
        (Url(path=True), "http://localhost", "NAME must have a path"),
        (Url(), "ftp://x", "NAME must be a URL starting with http:// or https://, got 'ftp://x'"),
        (Url(), "notaurl", "NAME must be a URL starting with http://"),
        (Url(), "http:/h/x", "NAME must be a URL starting with http://"),
        (Url(), "http://:8080/x", "with a host"),
        (Url(), "http://h:99999/x", "port 1-65535"),
        (Url(), "http://h:8o/x", "port 1-65535"),
        (Url(), "http://h:0/x", "NAME must have a port 1-65535"),
        (Url(), "http://[::1/x", "valid host"),
        (Url(), "http://h/x#top", "NAME must not have a query"),
        (Url(schemes=("ws", "wss")), "https://gateway.example", "starting with ws:// or wss://"),
        (Url(), "http://h/\u202ex", "without spaces or control characters"),
        (Url(), "http://h/\ud800", "without spaces or control characters"),
        (Url(), "http://h/" + "x" * 5000, r"at most 2000 characters, got .*\(5009 characters\)"),
    ],
)
def test_bad_addresses_are_one_line_naming_the_setting(kind: Url, text: str, message: str) -> None:
    """Red-team 1 and 16: these were taken as written and failed, if at all, inside run."""
    with pytest.raises(SettingsError, match=message) as caught:
        kind.parse("NAME", text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 160
