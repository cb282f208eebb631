"""The checks a new feed passes before it is stored, whoever adds it: ``digestbot feeds
add`` and the web console call the same functions, so a URL one refuses the other refuses
too. Pure functions; each refusal is a ``FeedRefused`` whose ``reason`` names the check (a
console shows its own translated line for it) and whose text says it in English with the
detail (the command line prints it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from digests.errors import InputError
from digests.feedsfile import check_name, reject_credentials
from digests.suggest import unknown_categories
from digests.timeutil import check_feed_interval, parse_duration
from digests.urls import InvalidURL, canonical_url

# Why a feed was refused (``FeedRefused.reason``).
URL, LINK_LOCAL, CREDENTIALS, NAME, INTERVAL, NO_CATEGORY, UNKNOWN_CATEGORY = (
    "url",
    "link-local",
    "credentials",
    "name",
    "interval",
    "no-category",
    "unknown-category",
)


class FeedRefused(InputError):
    """A new feed's URL, name, interval or categories cannot be used."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class FeedFields:
    """A new feed's checked fields: its canonical URL, name and interval (None: the
    default, or what the feed had)."""

    url: str
    name: str | None
    interval: timedelta | None


def check_feed_fields(url: str, *, name: str | None, interval: str | None) -> FeedFields:
    """The URL (http(s), no credentials, at most MAX_URL_CHARS) in canonical form, the
    name (no control or bidi characters, not too long) and the interval (a duration of at
    least MIN_FEED_INTERVAL); raises FeedRefused for the first that is wrong. Addresses on
    this machine or a private network are allowed, as they always were on the command line:
    a newsroom may serve its own feeds there. Link-local addresses are not: nothing serves
    a feed there, and a cloud's metadata service answers there."""
    try:
        reject_credentials(url)
    except ValueError as exc:  # urlsplit's "Invalid IPv6 URL" too
        reason = CREDENTIALS if "credentials" in str(exc) else URL
        raise FeedRefused(reason, str(exc)) from None
    try:
        canonical = canonical_url(url)
    except InvalidURL as exc:
        raise FeedRefused(URL, str(exc)) from None
    if link_local(canonical):
        raise FeedRefused(
            LINK_LOCAL,
            "a link-local address (such as a cloud's metadata service at 169.254.169.254) "
            "serves no feed",
        )
    try:
        every = check_feed_interval(parse_duration(interval)) if interval else None
    except ValueError as exc:
        raise FeedRefused(INTERVAL, str(exc)) from None
    try:
        if name is not None:
            check_name(name)
            # Text from a form or argv may hold one; no database can store it.
            if any("\ud800" <= char <= "\udfff" for char in name):
                raise ValueError("name is not valid text (a lone surrogate)")
    except ValueError as exc:
        raise FeedRefused(NAME, str(exc)) from None
    return FeedFields(canonical, name, every)


def link_local(url: str) -> bool:
    """Whether ``url`` names a link-local address literally (169.254.0.0/16, fe80::/10,
    also IPv4-mapped): where clouds answer with machine credentials, never a feed. A
    name that resolves there is not looked up here (pure)."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_link_local)


def check_feed_categories(slugs: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """The chosen categories, each once, in order; FeedRefused when there is none or one
    is not a live category (with the closest known ones suggested)."""
    chosen = tuple(dict.fromkeys(slugs))
    if not chosen:
        raise FeedRefused(NO_CATEGORY, "a feed needs at least one category")
    problem = unknown_categories(chosen, known)
    if problem:
        raise FeedRefused(UNKNOWN_CATEGORY, problem)
    return chosen
