"""The canonical form of a link: what makes two URLs one article (and one feed).

A leaf module (standard library only): ingest normalises every link with it, and the store's
migrations use it to recompute keys stored under older rules.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit, urlunsplit

from digests.errors import InputError

_TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Characters a path or query may hold as they are (RFC 3986 reserved and unreserved, and
# "%" so that existing escapes are not escaped twice); anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# The longest link accepted anywhere (the API, imports, feeds, the command line): longer
# is no address anyone shares (browsers and sitemaps stop near 2,000), and it is stored,
# indexed and shown. A canonical URL is ASCII, so this is also its size in bytes: it
# keeps the (scope, url) and feed URL index rows under PostgreSQL's limit (2,704 bytes a
# B-tree row; a longer key is refused there, where SQLite stores it).
MAX_URL_CHARS = 2048


class InvalidURL(InputError, ValueError):
    """A URL that is not an absolute http(s) address."""


def query_pairs_without(query: str, drop: Callable[[str], bool]) -> list[str]:
    """A query's ``key=value`` pairs as written, in order, without those whose decoded
    key ``drop`` says (tracking parameters, a tag about to be set again)."""
    return [
        pair for pair in query.split("&") if pair and not drop(unquote_plus(pair.split("=", 1)[0]))
    ]


def canonical_url(url: str) -> str:
    """Return the canonical form of an http(s) URL.

    Lower-cases scheme and host, writes an international host in its ASCII (punycode)
    form, drops default ports, credentials, fragments and tracking parameters (``utm_*``,
    ``fbclid``, ``gclid``, …), resolves ``.`` and ``..`` path segments, percent-encodes
    characters that a URL cannot hold (upper-case hex; unreserved characters decoded).
    Every other parameter is kept in order and exactly as written: ``%20`` stays ``%20``,
    ``+`` stays ``+`` and ``?flag`` stays ``?flag``. Applying it twice changes nothing.
    Raises InvalidURL when the text is not an absolute http(s) URL.
    """
    raw = url.strip()
    if len(raw) > MAX_URL_CHARS:
        raise InvalidURL(_too_long(raw))
    try:
        if not raw.isascii():
            raw.encode()  # a lone surrogate cannot be part of any address
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:  # UnicodeEncodeError included
        raise InvalidURL(f"not a valid URL: {url!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or any(c.isspace() for c in raw):
        raise InvalidURL(f"not an http(s) URL: {url!r}")
    host = _ascii_host(parts.hostname.lower().rstrip("."), url)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # Credentials never belong in a link shown to readers (or in a log): they are dropped.
    path = _remove_dot_segments(_escaped(parts.path, _PATH_SAFE) or "/")
    kept = query_pairs_without(parts.query, lambda key: _is_tracking(key.lower()))
    query = _escaped("&".join(kept), _QUERY_SAFE)
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > MAX_URL_CHARS:  # percent-encoding can triple a link's length
        raise InvalidURL(_too_long(canonical))
    return canonical


def _too_long(url: str) -> str:
    return f"URL too long ({len(url)} characters; at most {MAX_URL_CHARS}): {url[:60]!r}…"


def legacy_url_key(url: str) -> str:
    """The key a canonical URL had before schema 5 (digestbot 0.1.0): its query re-encoded
    form-style (``%20`` became ``+``, ``?flag`` became ``?flag=``). That loses what was
    written, so migration 5 could not recompute such keys; the store looks an incoming URL
    up under this form as well, so an article stored before the upgrade stays one article.
    """
    if "?" not in url:
        return url
    parts = urlsplit(url)
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True), doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _ascii_host(host: str, url: str) -> str:
    """The host in ASCII; InvalidURL for an empty label (``a..b``) or a punycode label
    that decodes to nothing (``xn--``), which no name server resolves."""
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
        if ":" not in ascii_host:  # an IPv6 literal has no labels
            for label in ascii_host.split("."):
                if not label:
                    raise UnicodeError("empty label")
                if label.startswith("xn--"):
                    label.encode("ascii").decode("idna")
    except UnicodeError:
        raise InvalidURL(f"not a valid host name: {url!r}") from None
    return ascii_host


def _is_tracking(key: str) -> bool:
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def _escaped(text: str, safe: str) -> str:
    """``text`` with illegal characters percent-encoded and existing escapes normalised."""
    if not text:
        return text
    text = quote(text, safe=safe)
    if "%" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path: ``/a/b/../c/./d`` → ``/a/c/d``."""
    if "." not in path:
        return path
    segments = path.split("/")
    resolved: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    if segments[-1] in (".", ".."):
        resolved.append("")  # "/a/b/.." names the folder "/a/"
    return "/" + "/".join(resolved)
