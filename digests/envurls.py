"""A setting that is a server's address (``Url``): the Bot API's, Discord's REST API's and
gateway's. Checked when the settings are read, so a mistake is one line naming the
variable, not an error from deep inside a platform library that may print what was
appended to the address (a Telegram token).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from digests.envfields import SettingsError, show

# A server's address longer than this is a mistake (the API caps article links at 4096).
MAX_URL = 2000


def url_problem(text: str, schemes: Sequence[str], *, path: bool = False) -> str | None:
    """What is wrong with ``text`` as the address of a server (``None`` when nothing):
    one of ``schemes``, a host, a port 1-65535 if any, no query, fragment, space or
    control character; with ``path``, a path too (a token appended to a bare host would
    become its port, and be printed in the error)."""
    wanted = " or ".join(f"{one}://" for one in schemes)
    if len(text) > MAX_URL:
        return f"must be a URL of at most {MAX_URL} characters"
    # Spaces, controls, bidi and other format characters, lone surrogates: categories Z, C.
    if any(unicodedata.category(char)[0] in "ZC" for char in text):
        return "must be a URL without spaces or control characters"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port, or a broken [IPv6] host
        return f"must be a URL starting with {wanted}, with a valid host and a port 1-65535"
    if parts.scheme.lower() not in schemes or "//" not in text:
        return f"must be a URL starting with {wanted}"
    if not parts.hostname:
        return f"must be a URL starting with {wanted}, with a host"
    if port == 0:
        return "must have a port 1-65535"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "must not have a query (?) or fragment (#)"
    if path and not parts.path:
        return "must have a path, such as /bot"
    return None


@dataclass(frozen=True)
class Url:
    """The address of a server: a URL with one of ``schemes`` and a host (``url_problem``);
    with ``path``, a path the caller appends to."""

    schemes: tuple[str, ...] = ("http", "https")
    path: bool = False

    def parse(self, name: str, text: str) -> str:
        problem = url_problem(text, self.schemes, path=self.path)
        if problem is not None:
            # A query or fragment may carry a key (?api-key=…): the error leaves it out.
            cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
            shown = text if cut < 0 else text[:cut] + "…"
            raise SettingsError(f"{name} {problem}, got {show(shown)}")
        return text

    def show(self, value: str | None) -> str:
        return value or ""  # an optional address left unset
