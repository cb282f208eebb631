"""Subscribe links: what a ``/start`` payload names, and the codes that name categories.

A payload is a category slug or a code made by ``digestbot links add``. Telegram allows
1–64 characters of ``A–Z a–z 0–9 _ -`` in a payload. A code always starts with an
uppercase letter, which no slug may (``feedsfile.SLUG``), so a code can never equal a
slug, now or after a category is added. Pure functions; the store keeps the codes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# What Telegram accepts in ?start= and ?startgroup=.
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Without 0/O and 1/I/l, so that a code read off print or a slide is typed right.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
CODE_FIRST = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 7
CODE = re.compile(rf"[{CODE_FIRST}][{CODE_ALPHABET}]{{{CODE_LENGTH - 1}}}")
# A link's source names the page or campaign that carries it (website, newsletter, ...).
SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Link:
    """A stored code: the categories it subscribes to and where it is published."""

    code: str
    categories: tuple[str, ...]
    source: str
    created_at: datetime
    retired_at: datetime | None = None


@dataclass(frozen=True)
class SignupCount:
    """How many chats one link (a code or a slug) brought in, with the code's source."""

    link: str
    source: str
    count: int


@dataclass(frozen=True)
class LinkJoin:
    """What one tap of a link did to a chat: the subscriptions it added (those the chat
    had already are not repeated) and whether it counted as the chat's sign-up."""

    added: tuple[str, ...]
    signed_up: bool


PayloadKind = Literal["code", "slug", "invalid"]


def live_categories(link: Link, live: Collection[str]) -> tuple[str, ...]:
    """The categories a tap on ``link`` still subscribes to: those of them that are live,
    in the link's order (none: the link is no longer in use)."""
    return tuple(slug for slug in link.categories if slug in live)


def new_code() -> str:
    """A fresh random code (the store retries on the rare collision)."""
    rest = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH - 1))
    return secrets.choice(CODE_FIRST) + rest


def payload_kind(payload: str) -> PayloadKind:
    """Whether a payload has the shape of a code or of a slug; ``invalid`` when Telegram
    would never send it (too long, characters outside its set)."""
    if not PAYLOAD.fullmatch(payload):
        return "invalid"
    return "code" if CODE.fullmatch(payload) else "slug"


def check_source(source: str) -> str:
    """Return a link's source as given, or raise ValueError saying what is wrong."""
    if not SOURCE.fullmatch(source):
        raise ValueError(
            "a source is 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit"
        )
    return source
